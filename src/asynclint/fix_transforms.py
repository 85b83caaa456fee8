"""LibCST transforms behind ``asynclint --fix``.

One file at a time: ``plan_file`` matches every finding to the node at its
position (LibCST ``PositionProvider``), decides which rewrite applies (or
none), and ``FixTransformer`` rewrites exactly those nodes, keeping every
other byte of the file. Imports the rewrites need are added once, next to the
module's other imports (merged into an existing ``from x import ...`` where
that is possible).

Rewrites:
- ``time.sleep(x)`` -> ``await asyncio.sleep(x)`` (safe)
- ``async def`` route/dependency that never awaits (ASL301) -> ``def`` (safe)
- ``requests.<verb>(...)`` -> ``async with httpx.AsyncClient() as client:`` around the statement
  and ``await client.<verb>(...)`` (unsafe)
- ``with open(p) as f: x = f.read()`` / ``open(p).read()`` / writes, and
  ``path.read_text()`` & co -> ``await anyio.Path(p).read_text()`` (unsafe)
- ``subprocess.run([...])`` & co -> ``asyncio.create_subprocess_exec`` (unsafe)
- any other blocking call -> ``await asyncio.to_thread(fn, *args, **kwargs)``
  or ``await run_in_threadpool(...)`` where the module already imports it (unsafe)

An ``await`` is only ever written directly in the body of an ``async def``:
never in a lambda, a nested sync ``def``, a class body, a comprehension or a
generator expression.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import Optional

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

# --------------------------------------------------------------------------- knowledge

REQUESTS_VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "request"}
REQUESTS_APIS = {f"{mod}.{v}": v for mod in ("requests", "requests.api") for v in REQUESTS_VERBS}
# positional parameters after ``url`` in requests' helpers
REQUESTS_POSITIONAL = {
    "get": ("url", "params"),
    "post": ("url", "data", "json"),
    "put": ("url", "data"),
    "patch": ("url", "data"),
    "delete": ("url",),
    "head": ("url",),
    "options": ("url",),
    "request": ("method", "url"),
}
REQUEST_KWARGS = {"params", "data", "json", "headers", "cookies", "files", "auth", "timeout", "allow_redirects"}
CLIENT_KWARGS = {"verify", "cert"}
BODY_KWARGS = {"data", "json", "files", "content"}
BODYLESS_VERBS = {"get", "head", "options", "delete"}
# attributes of requests.Response that httpx.Response lacks or means differently
REQUESTS_ONLY_ATTRS = {
    "ok", "reason", "iter_content", "iter_lines", "raw", "apparent_encoding", "is_permanent_redirect",
    "next", "close", "connection",
}
REQUESTS_EXCEPTIONS = {
    "RequestException", "HTTPError", "ConnectionError", "Timeout", "ConnectTimeout", "ReadTimeout",
    "TooManyRedirects", "JSONDecodeError", "SSLError", "ProxyError", "InvalidURL", "MissingSchema",
}

OPEN_APIS = {"builtins.open", "io.open"}
READ_MODES = {"r": "text", "rt": "text", "tr": "text", "rb": "bytes", "br": "bytes"}
WRITE_MODES = {"w": "text", "wt": "text", "tw": "text", "wb": "bytes", "bw": "bytes"}
# pathlib.Path methods whose anyio.Path twin returns the same thing, awaited
ANYIO_PATH_METHODS = {
    "read_text", "read_bytes", "write_text", "write_bytes", "exists", "is_file", "is_dir", "is_symlink",
    "is_mount", "is_socket", "is_fifo", "is_block_device", "is_char_device", "mkdir", "unlink", "rmdir",
    "touch", "stat", "lstat", "chmod", "lchmod", "samefile", "owner", "group",
}

SUBPROCESS_APIS = {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output"}
SUBPROCESS_KWARGS = {"capture_output", "stdout", "stderr", "stdin", "check", "text", "universal_newlines",
                     "encoding", "cwd", "env", "input"}

# calls returning a lazy iterator: offloading the call alone offloads nothing;
# directly iterated by a ``for`` they become ``await asyncio.to_thread(list, call)``
LAZY_FINITE = {
    "os.walk", "os.fwalk", "glob.iglob", "pathlib.Path.iterdir", "pathlib.Path.glob", "pathlib.Path.rglob",
    "pathlib.Path.walk", "concurrent.futures.as_completed", "concurrent.futures.ThreadPoolExecutor.map",
    "concurrent.futures.ProcessPoolExecutor.map", "concurrent.futures.Executor.map",
    "multiprocessing.pool.Pool.imap", "multiprocessing.pool.Pool.imap_unordered",
    "multiprocessing.pool.ThreadPool.imap", "multiprocessing.pool.ThreadPool.imap_unordered",
}
# never offloaded with to_thread: the call returns something whose use blocks
# (context managers entered later, endless streams), or the object is bound to
# the thread that uses it (sqlite3 connections, re-entrant locks, conditions)
NO_THREAD = {
    "httpx.stream", "httpx.Client.stream", "sqlalchemy.Engine.begin", "psycopg_pool.ConnectionPool.connection",
    "redis.client.PubSub.listen", "kubernetes.watch.Watch.stream", "threading.RLock.acquire",
    "threading.Condition.acquire", "threading.Condition.wait", "threading.Condition.wait_for",
}
NO_THREAD_PREFIXES = ("sqlite3.", "iteration over ", "with ")
NO_THREAD_SUFFIXES = (".watch",)

STDLIB = set(getattr(sys, "stdlib_module_names", ())) | {"__future__"}

_SIMPLE_KW = {"True", "False", "None"}


def _is_lazy_infinite(api: str) -> bool:
    return api in NO_THREAD or api.startswith(NO_THREAD_PREFIXES) or api.endswith(NO_THREAD_SUFFIXES)


# --------------------------------------------------------------------------- helpers


def _code(node) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _dotted(node) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _bool_literal(node) -> Optional[bool]:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


def _string_literal(node) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:  # pragma: no cover - defensive
            return None
        return value if isinstance(value, str) else None
    return None


def _is_simple(node) -> bool:
    """An expression that can be evaluated twice without side effects."""
    if isinstance(node, (cst.Name, cst.SimpleString, cst.Integer, cst.Float)):
        return True
    if isinstance(node, cst.Attribute):
        return _is_simple(node.value)
    if isinstance(node, cst.FormattedString):
        return all(
            not isinstance(p, cst.FormattedStringExpression) or _is_simple(p.expression) for p in node.parts
        )
    if isinstance(node, cst.ConcatenatedString):
        return _is_simple(node.left) and _is_simple(node.right)
    if isinstance(node, cst.BinaryOperation):
        return _is_simple(node.left) and _is_simple(node.right)
    return False


def _names_in(node) -> set:
    out: set = set()

    class _V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            out.add(n.value)

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False  # the attribute's own name binds nothing

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)
            return False  # nor does a keyword argument's name

    node.visit(_V())
    return out


def _unique(base: str, taken: set) -> str:
    if base not in taken:
        taken.add(base)
        return base
    i = 1
    while f"{base}_{i}" in taken:
        i += 1
    taken.add(f"{base}_{i}")
    return f"{base}_{i}"


def _comma_like(args, default=" ") -> cst.Comma:
    for a in args:
        if isinstance(a.comma, cst.Comma):
            return cst.Comma(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=a.comma.whitespace_after)
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(default))


def _kwarg(name: str, value, comma=cst.MaybeSentinel.DEFAULT) -> cst.Arg:
    return cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
        comma=comma,
    )


def _join_args(args: list) -> list:
    """Make sure every argument but the last has a comma."""
    out = []
    sep = _comma_like(args)
    for i, a in enumerate(args):
        last = i == len(args) - 1
        if not last and not isinstance(a.comma, cst.Comma):
            a = a.with_changes(comma=sep)
        out.append(a)
    return out


# --------------------------------------------------------------------------- imports


class Imports:
    """Top-level imports of a module, and the ones the fixes need."""

    def __init__(self, module: cst.Module):
        self.module = module
        self.module_alias: dict = {}  # module -> bound name (``import asyncio as aio``)
        self.from_names: dict = {}  # (module, name) -> bound name
        self.from_stmts: dict = {}  # module -> ImportFrom node (the first, no star)
        self.bound: set = set()
        self.add_modules: list = []  # modules to import
        self.merge: dict = {}  # id(ImportFrom) -> list of names to add
        self.merge_nodes: dict = {}
        for stmt in module.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Import):
                        for alias in small.names:
                            full = _dotted(alias.name)
                            if alias.asname is not None:
                                bound = alias.asname.name.value
                                self.module_alias.setdefault(full, bound)
                            else:
                                bound = full.split(".")[0]
                                self.module_alias.setdefault(full, full)
                            self.bound.add(bound)
                    elif isinstance(small, cst.ImportFrom):
                        if small.relative:
                            mod = None
                        else:
                            mod = _dotted(small.module) if small.module is not None else None
                        if isinstance(small.names, cst.ImportStar):
                            continue
                        for alias in small.names:
                            name = _dotted(alias.name)
                            bound = alias.asname.name.value if alias.asname is not None else name
                            self.bound.add(bound)
                            if mod:
                                self.from_names.setdefault((mod, name), bound)
                        if mod and mod not in self.from_stmts and mod != "__future__":
                            self.from_stmts[mod] = small
                    elif isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                        targets = small.targets if isinstance(small, cst.Assign) else [small]
                        for t in targets:
                            self.bound |= _names_in(t.target)
            elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                self.bound.add(stmt.name.value)
            else:
                # if/try/with/for at module level: anything they bind
                self.bound |= _bound_in_block(stmt)

    def ref(self, module: str, name: Optional[str] = None) -> Optional[str]:
        """Source text naming ``module.name`` (or the module itself), importing it if needed."""
        if name is None:
            if module in self.module_alias:
                return self.module_alias[module]
            top = module.split(".")[0]
            if top in self.bound or top in self.add_modules:
                if module in self.add_modules:
                    return module
                return None
            self.add_modules.append(module)
            return module
        if module in self.module_alias:
            return f"{self.module_alias[module]}.{name}"
        if (module, name) in self.from_names:
            return self.from_names[(module, name)]
        stmt = self.from_stmts.get(module)
        if stmt is not None and name not in self.bound:
            self.merge.setdefault(id(stmt), []).append(name)
            self.merge_nodes[id(stmt)] = stmt
            self.from_names[(module, name)] = name
            self.bound.add(name)
            return name
        base = self.ref(module)
        return f"{base}.{name}" if base else None

    def existing(self, module: str, name: str) -> Optional[str]:
        if module in self.module_alias:
            return f"{self.module_alias[module]}.{name}"
        return self.from_names.get((module, name))

    @property
    def changed(self) -> bool:
        return bool(self.add_modules or self.merge)

    # -- applying
    def merge_into(self, node: cst.ImportFrom, names: list) -> cst.ImportFrom:
        if not names or isinstance(node.names, cst.ImportStar):
            return node
        aliases = list(node.names)
        for name in names:
            last = aliases[-1]
            if isinstance(last.comma, cst.Comma):
                # trailing comma (parenthesised list): the new name takes it, the old one takes the previous style
                prev = _comma_like(aliases[:-1]) if len(aliases) > 1 else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                aliases[-1] = last.with_changes(comma=prev)
                aliases.append(cst.ImportAlias(name=cst.Name(name), comma=last.comma))
            else:
                aliases[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                aliases.append(cst.ImportAlias(name=cst.Name(name)))
        return node.with_changes(names=aliases)

    def add_to(self, module: cst.Module) -> cst.Module:
        body = list(module.body)
        for mod in self.add_modules:
            body = _insert_import(body, mod)
        return module.with_changes(body=body)


def _bound_in_block(node) -> set:
    out: set = set()

    class _V(cst.CSTVisitor):
        def visit_FunctionDef(self, n) -> bool:
            out.add(n.name.value)
            return False

        def visit_ClassDef(self, n) -> bool:
            out.add(n.name.value)
            return False

        def visit_AssignTarget(self, n) -> None:
            out.update(_names_in(n.target))

        def visit_ImportAlias(self, n) -> None:
            if n.asname is not None:
                out.update(_names_in(n.asname.name))
            else:
                d = _dotted(n.name)
                if d:
                    out.add(d.split(".")[0])

        def visit_AsName(self, n) -> None:
            out.update(_names_in(n.name))

    node.visit(_V())
    return out


def _import_info(stmt):
    """(group, sort key) of a top-level import statement, or None."""
    if not isinstance(stmt, cst.SimpleStatementLine) or not stmt.body:
        return None
    small = stmt.body[0]
    if not all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body):
        return None
    if isinstance(small, cst.Import):
        name = _dotted(small.names[0].name) or ""
    else:
        if small.relative:
            return ("local", "")
        name = _dotted(small.module) if small.module is not None else ""
    top = name.split(".")[0]
    if top == "__future__":
        return ("future", name)
    return ("stdlib" if top in STDLIB else "third", name.lower())


def _is_docstring(stmt) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _insert_import(body: list, module: str) -> list:
    new = cst.SimpleStatementLine(body=[cst.Import(names=[cst.ImportAlias(name=cst.parse_expression(module))])])
    group = "stdlib" if module.split(".")[0] in STDLIB else "third"
    start = 0
    if body and _is_docstring(body[0]):
        start = 1
    while start < len(body) and (_import_info(body[start]) or ("", ""))[0] == "future":
        start += 1
    end = start
    while end < len(body) and _import_info(body[end]) is not None:
        end += 1
    block = [(i, _import_info(body[i])) for i in range(start, end)]
    same = [(i, info) for i, info in block if info[0] == group]
    if same:
        for i, info in same:
            if info[1] > module.lower():
                return _insert_before(body, i, new, same_group=True)
        return _insert_after(body, same[-1][0], new)
    if not block:
        return _insert_before(body, start, new, same_group=False, first=(start == 0))
    if group == "stdlib":
        return _insert_before(body, block[0][0], new, same_group=False)
    stdlib = [i for i, info in block if info[0] == "stdlib"]
    if stdlib:
        out = _insert_after(body, stdlib[-1], new.with_changes(leading_lines=[cst.EmptyLine()]))
        return out
    return _insert_before(body, block[0][0], new, same_group=False)


def _insert_before(body: list, i: int, new, same_group: bool, first: bool = False) -> list:
    if i >= len(body):
        lines = [cst.EmptyLine()] if body else []
        return body + [new.with_changes(leading_lines=lines)]
    target = body[i]
    lines = list(target.leading_lines)
    if same_group:
        new = new.with_changes(leading_lines=lines)
        target = target.with_changes(leading_lines=[])
    else:
        # blank lines go above the new import; comments stay with their statement
        k = 0
        while k < len(lines) and lines[k].comment is None:
            k += 1
        above, rest = lines[:k], lines[k:]
        if not above and not first and i > 0:
            above = [cst.EmptyLine()]
        new = new.with_changes(leading_lines=above)
        sep = [cst.EmptyLine()]
        if isinstance(target, (cst.FunctionDef, cst.ClassDef)) or (
            hasattr(target, "decorators") and getattr(target, "decorators", None)
        ):
            sep = [cst.EmptyLine(), cst.EmptyLine()]
        target = target.with_changes(leading_lines=sep + rest)
    return body[:i] + [new, target] + body[i + 1:]


def _insert_after(body: list, i: int, new) -> list:
    return body[: i + 1] + [new] + body[i + 1:]


# --------------------------------------------------------------------------- planning


@dataclass
class Claim:
    """A fix decided for one node."""

    kind: str  # "sleep" | "thread" | "thread_list" | "http" | "open_expr" | "path_method" | "defify"
    node: object
    diags: list = field(default_factory=list)
    data: dict = field(default_factory=dict)


@dataclass
class StmtPlan:
    kind: str  # "client" | "subprocess" | "open_with"
    data: dict = field(default_factory=dict)
    diags: list = field(default_factory=list)


@dataclass
class FilePlan:
    calls: dict = field(default_factory=dict)  # Call node -> Claim
    stmts: dict = field(default_factory=dict)  # SimpleStatementLine / With node -> StmtPlan
    defs: dict = field(default_factory=dict)  # FunctionDef node -> Claim
    fixed: list = field(default_factory=list)  # diagnostics a fix was applied for
    skipped: list = field(default_factory=list)  # (diagnostic, reason)


class _Index(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, lines: list):
        super().__init__()
        self.lines = lines
        self.by_range: dict = {}
        self.defs_by_line: dict = {}

    def _key(self, node):
        pos = self.get_metadata(PositionProvider, node)
        return (pos.start.line, pos.start.column, pos.end.line, pos.end.column)

    def visit_Call(self, node: cst.Call) -> None:
        self.by_range.setdefault(self._key(node), node)

    def visit_Name(self, node: cst.Name) -> None:
        self.by_range.setdefault(self._key(node), node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.by_range.setdefault(self._key(node), node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        pos = self.get_metadata(PositionProvider, node.name)
        self.defs_by_line.setdefault(pos.start.line, []).append(node)


def _char_col(lines: list, line: int, byte_col: int) -> int:
    """ast's UTF-8 byte column -> character column."""
    if 1 <= line <= len(lines):
        text = lines[line - 1]
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "ignore"))
    return byte_col


_SCOPES = (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


class Planner:
    def __init__(self, module: cst.Module, wrapper: MetadataWrapper, diagnostics: list, unsafe: bool, imports: Imports):
        self.module = module
        self.wrapper = wrapper
        self.diags = diagnostics
        self.unsafe = unsafe
        self.imports = imports
        self.parents = wrapper.resolve(ParentNodeProvider)
        self.lines = re.split(r"\r\n|\r|\n", module.code)
        self.index = _Index(self.lines)
        wrapper.visit(self.index)
        self.plan = FilePlan()
        self.consumed: set = set()
        self.taken_names: dict = {}  # id(function) -> set of names

    # -- context
    def parent(self, node):
        return self.parents.get(node)

    def enclosing_function(self, node):
        """The innermost function whose *body* holds ``node``, and whether an await may go there."""
        child, cur = node, self.parent(node)
        while cur is not None:
            if isinstance(cur, _SCOPES):
                return cur, False
            if isinstance(cur, cst.ClassDef) and child is cur.body:
                return cur, False
            if isinstance(cur, cst.FunctionDef) and child is cur.body:
                return cur, cur.asynchronous is not None
            child, cur = cur, self.parent(cur)
        return None, False

    def statement_of(self, node):
        cur = node
        while cur is not None and not isinstance(cur, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            if isinstance(cur, cst.SimpleStatementSuite):
                return None
            cur = self.parent(cur)
        return cur

    def names_of(self, fn) -> set:
        key = id(fn)
        if key not in self.taken_names:
            self.taken_names[key] = _names_in(fn) | self.imports.bound
        return self.taken_names[key]

    # -- entry
    def _blocking_uses(self) -> set:
        """(function, name) for every unfixable ``for x in name:`` / ``with name:`` finding."""
        out = set()
        for d in self.diags:
            if d.fix is not None:
                continue
            keys = {(d.line, _char_col(self.lines, d.line, d.column - 1), d.end_line,
                     _char_col(self.lines, d.end_line, d.end_column - 1))}
            for k in keys:
                node = self.index.by_range.get(k)
                if isinstance(node, cst.Name):
                    out.add((d.function, node.value))
        return out

    def run(self) -> FilePlan:
        self.blocking_uses = self._blocking_uses()
        by_fn_301 = set()
        defs = []
        others = []
        for d in self.diags:
            if d.fix is None or (d.fix == "unsafe" and not self.unsafe):
                continue
            if d.code == "ASL301":
                defs.append(d)
            else:
                others.append(d)
        for d in defs:
            nodes = [n for n in self.index.defs_by_line.get(d.line, []) if n.asynchronous is not None]
            if len(nodes) != 1:
                self.plan.skipped.append((d, "function not found at its position"))
                continue
            self.plan.defs[nodes[0]] = Claim("defify", nodes[0], [d])
            self.plan.fixed.append(d)
            by_fn_301.add(d.function)
        # findings inside functions that become plain `def` are gone with it (FastAPI runs them in its pool)
        for d in self.diags:
            if d.code != "ASL301" and d.function in by_fn_301:
                self.plan.fixed.append(d)
        others = [d for d in others if d.function not in by_fn_301]
        # special patterns first (they may consume other findings), then the generic ones
        located = []
        for d in others:
            node = self.locate(d)
            if node is None:
                self.plan.skipped.append((d, "no call at the finding's position"))
                continue
            located.append((d, node))
        for d, node in located:
            if id(node) in self.consumed or id(d) in self._fixed_ids():
                continue
            self.plan_one(d, node, special=True)
        for d, node in located:
            fixed = self._fixed_ids()
            if id(d) in fixed:
                continue
            if id(node) in self.consumed and node not in self.plan.calls:
                self.plan.fixed.append(d)  # rewritten with the statement around it
                continue
            self.plan_one(d, node, special=False)
        # one entry per finding
        seen, unique = set(), []
        for d in self.plan.fixed:
            if id(d) not in seen:
                seen.add(id(d))
                unique.append(d)
        self.plan.fixed = unique
        return self.plan

    def _fixed_ids(self) -> set:
        return {id(d) for d in self.plan.fixed}

    def locate(self, d):
        sl, el = d.line, d.end_line
        keys = {
            (sl, _char_col(self.lines, sl, d.column - 1), el, _char_col(self.lines, el, d.end_column - 1)),
            (sl, d.column - 1, el, d.end_column - 1),
        }
        for k in keys:
            node = self.index.by_range.get(k)
            if isinstance(node, cst.Call):
                return node
        return None

    def thread_ref(self, call: cst.Call) -> Optional[str]:
        pool = self.imports.existing("starlette.concurrency", "run_in_threadpool") or self.imports.existing(
            "fastapi.concurrency", "run_in_threadpool"
        )
        if pool and not any(a.keyword is not None and a.keyword.value == "func" for a in call.args):
            return pool
        return self.imports.ref("asyncio", "to_thread")

    def claim(self, d, node, kind, **data):
        c = self.plan.calls.get(node)
        if c is None:
            c = Claim(kind, node, [], data)
            self.plan.calls[node] = c
        c.diags.append(d)
        self.plan.fixed.append(d)
        self.consumed.add(id(node))
        return c

    def plan_one(self, d, node: cst.Call, special: bool) -> None:
        fn, await_ok = self.enclosing_function(node)
        if not await_ok:
            if not special:
                self.plan.skipped.append((d, "an await is not allowed there"))
            return
        api = d.api or ""
        code = d.code
        if node in self.plan.calls:
            if not special:
                self.plan.calls[node].diags.append(d)
                self.plan.fixed.append(d)
            return
        if special:
            if code == "ASL102" and api == "time.sleep":
                if self.imports.ref("asyncio", "sleep") is None:
                    return
                self.claim(d, node, "sleep")
                return
            if d.fix != "unsafe" or not code.startswith("ASL1"):
                return
            if api in REQUESTS_APIS:
                self.plan_http(d, node, fn, REQUESTS_APIS[api])
            elif api in OPEN_APIS:
                self.plan_open(d, node, fn)
            elif api.startswith("pathlib.Path.") and api.rsplit(".", 1)[1] in ANYIO_PATH_METHODS:
                self.plan_path_method(d, node)
            elif api in SUBPROCESS_APIS:
                self.plan_subprocess(d, node, fn, api.rsplit(".", 1)[1])
            return
        if d.fix == "safe":
            self.plan.skipped.append((d, "no rewrite applies"))
            return
        # generic: run the call in a thread
        if code.startswith("ASL1") and _is_lazy_infinite(api):
            self.plan.skipped.append((d, f"{api} cannot simply run in a thread"))
            return
        if code.startswith("ASL1") and api in LAZY_FINITE:
            parent = self.parent(node)
            ref = self.thread_ref(node)
            if isinstance(parent, cst.For) and parent.iter is node and parent.asynchronous is None and ref:
                self.claim(d, node, "thread_list", ref=ref)
            else:
                self.plan.skipped.append((d, f"{api} returns a lazy iterator"))
            return
        bound = self._bound_name(node)
        if bound is not None and (d.function, bound) in self.blocking_uses:
            # `for line in f:` / `with lock:` on the result still blocks, and would no longer be reported
            self.plan.skipped.append((d, f"{bound} is then iterated or entered on the event loop"))
            return
        ref = self.thread_ref(node)
        if ref is None:
            self.plan.skipped.append((d, "cannot import asyncio"))
            return
        self.claim(d, node, "thread", ref=ref)

    def _bound_name(self, node) -> Optional[str]:
        parent = self.parent(node)
        if isinstance(parent, cst.WithItem) and parent.item is node and parent.asname is not None:
            target = parent.asname.name
        elif isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is node:
            targets = parent.targets if isinstance(parent, cst.Assign) else [parent]
            if len(targets) != 1:
                return None
            target = targets[0].target
        else:
            return None
        return target.value if isinstance(target, cst.Name) else None

    # -- requests -> httpx
    def plan_http(self, d, node: cst.Call, fn, verb: str) -> None:
        stmt = self.statement_of(node)
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            return
        if not isinstance(self.parent(stmt), cst.IndentedBlock):
            return
        if self._catches_requests_errors(fn):
            return
        translated = self._translate_requests_args(node, verb)
        if translated is None:
            return
        args, client_kwargs, follow = translated
        # what the response is used for
        parent = self.parent(node)
        if isinstance(parent, cst.Attribute) and parent.attr.value in REQUESTS_ONLY_ATTRS:
            return
        small = stmt.body[0]
        if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is node:
            targets = small.targets if isinstance(small, cst.Assign) else [small]
            for t in targets:
                if isinstance(t.target, cst.Name) and self._uses_requests_only_attrs(fn, t.target.value):
                    return
        plan = self.plan.stmts.get(stmt)
        if plan is None:
            plan = StmtPlan("client", {"calls": []})
        elif plan.kind != "client":
            return
        if client_kwargs and plan.data["calls"]:
            return
        if any(c.data.get("client_kwargs") for c in plan.data["calls"]):
            return
        if self.imports.ref("httpx", "AsyncClient") is None:
            return
        self.plan.stmts[stmt] = plan
        claim = self.claim(d, node, "http", verb=verb, args=args, client_kwargs=client_kwargs, follow=follow)
        plan.data["calls"].append(claim)
        plan.data.setdefault("fn", fn)

    def _catches_requests_errors(self, fn) -> bool:
        found = []

        class _V(cst.CSTVisitor):
            def visit_ExceptHandler(self, n: cst.ExceptHandler) -> None:
                if n.type is not None:
                    text = _code(n.type)
                    if "requests" in text or _names_in(n.type) & REQUESTS_EXCEPTIONS:
                        found.append(n)

            def visit_ExceptStarHandler(self, n) -> None:
                found.append(n)

        fn.visit(_V())
        return bool(found)

    def _uses_requests_only_attrs(self, fn, name: str) -> bool:
        found = []

        class _V(cst.CSTVisitor):
            def visit_Attribute(self, n: cst.Attribute) -> None:
                if isinstance(n.value, cst.Name) and n.value.value == name and n.attr.value in REQUESTS_ONLY_ATTRS:
                    found.append(n)

        fn.visit(_V())
        return bool(found)

    def _translate_requests_args(self, node: cst.Call, verb: str):
        positional = REQUESTS_POSITIONAL[verb]
        out = []
        client_kwargs = {}
        follow = None
        seen = set()
        pos_i = 0
        for a in node.args:
            if a.star:
                return None
            if a.keyword is None:
                if pos_i >= len(positional):
                    return None
                pname = positional[pos_i]
                pos_i += 1
                if pname in ("url", "method"):
                    out.append(("pos", None, a.value))
                    continue
                key = pname
            else:
                key = a.keyword.value
            if key in seen:
                return None
            seen.add(key)
            value = a.value
            if key in CLIENT_KWARGS:
                client_kwargs[key] = value
                continue
            if key not in REQUEST_KWARGS:
                return None
            if key == "allow_redirects":
                follow = value
                out.append(("kw", "follow_redirects", value))
                continue
            if key == "auth" and not isinstance(value, cst.Tuple):
                return None
            if key == "timeout" and isinstance(value, cst.Tuple):
                return None
            if key == "data" and isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
                key = "content"
            out.append(("kw", key, value))
        if verb in BODYLESS_VERBS and any(k in BODY_KWARGS for kind, k, _ in out if kind == "kw"):
            return None
        needed = 2 if verb == "request" else 1
        if sum(1 for kind, _, _ in out if kind == "pos") != needed:
            return None
        return out, client_kwargs, follow

    # -- open()
    def plan_open(self, d, node: cst.Call, fn) -> None:
        spec = self._open_spec(node)
        if spec is None:
            return
        path, mode, kwargs = spec
        parent = self.parent(node)
        # with open(p) as f: <one statement using f.read()/f.write(x)>
        if isinstance(parent, cst.WithItem) and parent.item is node:
            with_node = self.parent(parent)
            if not isinstance(with_node, cst.With) or len(with_node.items) != 1 or with_node.asynchronous is not None:
                return
            if parent.asname is None or not isinstance(parent.asname.name, cst.Name):
                return
            fname = parent.asname.name.value
            body = with_node.body
            if not isinstance(body, cst.IndentedBlock) or len(body.body) != 1:
                return
            line = body.body[0]
            if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
                return
            small = line.body[0]
            call = None
            if isinstance(small, (cst.Assign, cst.AnnAssign, cst.Return)) and isinstance(small.value, cst.Call):
                call = small.value
            elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                call = small.value
            if call is None or not isinstance(call.func, cst.Attribute):
                return
            if not isinstance(call.func.value, cst.Name) or call.func.value.value != fname:
                return
            method = self._file_method(call, mode, kwargs, small)
            if method is None:
                return
            if isinstance(small, cst.Expr) is (method.startswith("read")):
                return  # a read whose value is dropped, or a write whose count is used
            if sum(1 for n in self._name_nodes(fn) if n == fname) != 2:
                return
            if self.imports.ref("anyio", "Path") is None:
                return
            self.plan.stmts[with_node] = StmtPlan(
                "open_with", {"path": path, "method": method, "kwargs": kwargs, "call": call, "small": small}, [d]
            )
            self.plan.fixed.append(d)
            self.consumed.add(id(node))
            self.consumed.add(id(call))
            for other in self.diags:
                if other is d:
                    continue
                onode = self.locate(other)
                if onode is call:
                    self.plan.fixed.append(other)
            return
        # open(p).read() / open(p, "w").write(x)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            outer = self.parent(parent)
            if not isinstance(outer, cst.Call) or outer.func is not parent:
                return
            method = self._file_method(outer, mode, kwargs, None)
            if method is None:
                return
            if self.imports.ref("anyio", "Path") is None:
                return
            claim = self.claim(d, outer, "open_expr", path=path, method=method, kwargs=kwargs, call=outer)
            self.consumed.add(id(node))
            for other in self.diags:
                if other is not d and self.locate(other) is outer:
                    claim.diags.append(other)
                    self.plan.fixed.append(other)

    def _name_nodes(self, fn):
        out = []

        class _V(cst.CSTVisitor):
            def visit_Name(self, n: cst.Name) -> None:
                out.append(n.value)

        fn.visit(_V())
        return out

    def _open_spec(self, node: cst.Call):
        path = None
        mode = "r"
        kwargs = {}
        pos = 0
        for a in node.args:
            if a.star:
                return None
            if a.keyword is None:
                if pos == 0:
                    path = a.value
                elif pos == 1:
                    mode = _string_literal(a.value)
                else:
                    return None
                pos += 1
                continue
            key = a.keyword.value
            if key == "file":
                path = a.value
            elif key == "mode":
                mode = _string_literal(a.value)
            elif key in ("encoding", "errors", "newline"):
                kwargs[key] = a.value
            else:
                return None
        if path is None or mode is None:
            return None
        if mode not in READ_MODES and mode not in WRITE_MODES:
            return None
        if "b" in mode and kwargs:
            return None
        return path, mode, kwargs

    def _file_method(self, call: cst.Call, mode: str, kwargs: dict, small) -> Optional[str]:
        name = call.func.attr.value
        if name == "read" and mode in READ_MODES:
            if call.args or "newline" in kwargs:
                return None
            return "read_text" if READ_MODES[mode] == "text" else "read_bytes"
        if name == "write" and mode in WRITE_MODES:
            if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
                return None
            return "write_text" if WRITE_MODES[mode] == "text" else "write_bytes"
        return None

    # -- pathlib.Path.read_text() & co -> anyio.Path
    def plan_path_method(self, d, node: cst.Call) -> None:
        if not isinstance(node.func, cst.Attribute):
            return
        if any(a.star for a in node.args):
            return
        if self.imports.ref("anyio", "Path") is None:
            return
        self.claim(d, node, "path_method")

    # -- subprocess
    def plan_subprocess(self, d, node: cst.Call, fn, which: str) -> None:
        stmt = self.statement_of(node)
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1 or stmt in self.plan.stmts:
            return
        if not isinstance(self.parent(stmt), cst.IndentedBlock):
            return
        small = stmt.body[0]
        if isinstance(small, cst.Expr) and small.value is node:
            target = None
        elif isinstance(small, cst.Assign) and small.value is node and len(small.targets) == 1:
            target = small.targets[0].target
        elif isinstance(small, cst.AnnAssign) and small.value is node:
            target = small.target
        elif isinstance(small, cst.Return) and small.value is node:
            target = "return"
        else:
            return
        argv = None
        kw = {}
        for i, a in enumerate(node.args):
            if a.star:
                return
            if a.keyword is None:
                if i != 0:
                    return
                argv = a.value
            elif a.keyword.value == "args":
                argv = a.value
            elif a.keyword.value in SUBPROCESS_KWARGS:
                kw[a.keyword.value] = a.value
            else:
                return
        if not isinstance(argv, (cst.List, cst.Tuple)) or not argv.elements:
            return
        for el in argv.elements:
            if not _is_simple(el.value):
                return
        flags = {}
        for key in ("capture_output", "check", "text", "universal_newlines"):
            if key in kw:
                b = _bool_literal(kw[key])
                if b is None:
                    return
                flags[key] = b
        text = flags.get("text", False) or flags.get("universal_newlines", False) or "encoding" in kw
        if "input" in kw and text:
            return
        if flags.get("capture_output") and ("stdout" in kw or "stderr" in kw):
            return
        if "input" in kw and "stdin" in kw:
            return
        asyncio_exec = self.imports.ref("asyncio", "create_subprocess_exec")
        sp = self.imports.ref("subprocess")
        if asyncio_exec is None or sp is None:
            return
        fn_names = self.names_of(fn)
        self.plan.stmts[stmt] = StmtPlan("subprocess", {
            "which": which, "argv": argv, "kw": kw, "flags": flags, "text": text, "target": target,
            "exec": asyncio_exec, "sp": sp, "names": fn_names,
        }, [d])
        self.plan.fixed.append(d)
        self.consumed.add(id(node))


# --------------------------------------------------------------------------- rewriting


class FixTransformer(cst.CSTTransformer):
    def __init__(self, plan: FilePlan, imports: Imports, module: cst.Module):
        super().__init__()
        self.client_blocks: dict = {}  # id(With) -> (client name, constructor code)
        self.plan = plan
        self.imports = imports
        self.module = module

    # -- function defs
    def leave_FunctionDef(self, original, updated):
        if original in self.plan.defs:
            return updated.with_changes(asynchronous=None)
        return updated

    # -- calls
    def leave_Call(self, original: cst.Call, updated: cst.Call):
        updated = self._paren_await(updated, "func")
        claim = self.plan.calls.get(original)
        if claim is None:
            return updated
        kind = claim.kind
        if kind == "sleep":
            ref = self.imports.ref("asyncio", "sleep")
            return cst.Await(expression=updated.with_changes(func=cst.parse_expression(ref)))
        if kind in ("thread", "thread_list"):
            return self._to_thread(updated, claim.data["ref"], lazy=kind == "thread_list")
        if kind == "http":
            return self._http(updated, claim)
        if kind == "open_expr":
            inner = updated.func.value  # open(...)
            spec = _reopen(inner)
            return self._anyio_call(spec[0], claim.data["method"], spec[2], list(updated.args))
        if kind == "path_method":
            return self._path_method(updated)
        return updated

    def _to_thread(self, call: cst.Call, ref: str, lazy: bool) -> cst.Await:
        if lazy:
            # the iterator is lazy: list it in the thread (`lambda: list(os.walk(p))`, awaited at once)
            body = cst.Call(func=cst.Name("list"), args=[cst.Arg(call.with_changes(lpar=[], rpar=[]))])
            lam = cst.Lambda(params=cst.Parameters(), body=body)
            return cst.Await(expression=cst.Call(func=cst.parse_expression(ref), args=[cst.Arg(lam)]))
        func = call.func
        args = []
        for a in call.args:
            if isinstance(a.value, cst.GeneratorExp) and not a.value.lpar:
                # `f(x for x in y)` -> `to_thread(f, (x for x in y))`
                a = a.with_changes(value=a.value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]))
            args.append(a)
        if args:
            lead = cst.Arg(func, comma=_comma_like(args))
        else:
            lead = cst.Arg(func)
        new = cst.Call(
            func=cst.parse_expression(ref),
            args=[lead] + args,
            whitespace_before_args=call.whitespace_before_args,
            whitespace_after_func=call.whitespace_after_func,
        )
        return cst.Await(expression=new, lpar=call.lpar, rpar=call.rpar)

    def _http(self, call: cst.Call, claim: Claim) -> cst.Await:
        client = claim.data["client"]
        verb = claim.data["verb"]
        # rebuild the argument list from the updated call, in the same order
        new_args = []
        originals = list(call.args)
        positional = REQUESTS_POSITIONAL[verb]
        pos_i = 0
        for a in originals:
            if a.keyword is None:
                pname = positional[pos_i]
                pos_i += 1
                if pname in ("url", "method"):
                    new_args.append(a)
                    continue
                key = pname
            else:
                key = a.keyword.value
            if key in CLIENT_KWARGS:
                continue
            if key == "allow_redirects":
                key = "follow_redirects"
            elif key == "data" and isinstance(a.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
                key = "content"
            if a.keyword is None or a.keyword.value != key:
                a = _kwarg(key, a.value, comma=a.comma)
            new_args.append(a)
        if claim.data.get("extra_follow") is not None:
            new_args.append(_kwarg("follow_redirects", cst.Name(claim.data["extra_follow"])))
        if new_args:
            last = new_args[-1]
            if isinstance(last.comma, cst.Comma) and not _has_newline(last.comma):
                new_args[-1] = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        new_args = _join_args(new_args)
        new = call.with_changes(func=cst.Attribute(value=cst.Name(client), attr=cst.Name(verb)), args=new_args)
        return cst.Await(expression=new.with_changes(lpar=[], rpar=[]), lpar=call.lpar, rpar=call.rpar)

    def _anyio_call(self, path, method: str, kwargs: dict, args: list) -> cst.Await:
        anyio_path = self.imports.ref("anyio", "Path")
        call_args = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args]
        for key in ("encoding", "errors", "newline"):
            if key in kwargs and (key != "newline" or method == "write_text"):
                call_args.append(_kwarg(key, kwargs[key]))
        call_args = _join_args(call_args) if call_args else []
        base = cst.Call(func=cst.parse_expression(anyio_path), args=[cst.Arg(_strip_parens_ok(path))])
        return cst.Await(expression=cst.Call(func=cst.Attribute(value=base, attr=cst.Name(method)), args=call_args))

    def _path_method(self, call: cst.Call) -> cst.Await:
        anyio_path = self.imports.ref("anyio", "Path")
        receiver = call.func.value
        # Path(p).read_text() -> anyio.Path(p).read_text()
        if (
            isinstance(receiver, cst.Call)
            and _dotted(receiver.func) in ("Path", "pathlib.Path", "PurePath")
            and len(receiver.args) == 1
            and receiver.args[0].keyword is None
            and not receiver.args[0].star
            and not receiver.lpar
        ):
            base = receiver.with_changes(func=cst.parse_expression(anyio_path))
        else:
            base = cst.Call(func=cst.parse_expression(anyio_path), args=[cst.Arg(_strip_parens_ok(receiver))])
        new = call.with_changes(func=call.func.with_changes(value=base), lpar=[], rpar=[])
        return cst.Await(expression=new, lpar=call.lpar, rpar=call.rpar)

    # -- keep `await` parenthesised where a primary is expected
    def _paren_await(self, node, attr):
        inner = getattr(node, attr)
        if isinstance(inner, cst.Await) and not inner.lpar:
            return node.with_changes(**{attr: inner.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])})
        return node

    def leave_Attribute(self, original, updated):
        return self._paren_await(updated, "value")

    def leave_Subscript(self, original, updated):
        return self._paren_await(updated, "value")

    # -- statements
    def leave_ImportFrom(self, original, updated):
        if id(original) in self.imports.merge:
            return self.imports.merge_into(updated, self.imports.merge[id(original)])
        return updated

    def leave_With(self, original: cst.With, updated: cst.With):
        plan = self.plan.stmts.get(original)
        if plan is None or plan.kind != "open_with":
            return updated
        data = plan.data
        line = updated.body.body[0]
        small = line.body[0]
        call = small.value
        path, _, kwargs = _reopen(updated.items[0].item)
        value = self._anyio_call(path, data["method"], kwargs, list(call.args))
        if isinstance(small, cst.Expr):
            new_small = small.with_changes(value=value)
        else:
            new_small = small.with_changes(value=value)
        leading = list(updated.leading_lines)
        header = updated.body.header
        if header.comment is not None:
            leading.append(cst.EmptyLine(comment=header.comment))
        leading.extend(line.leading_lines)
        return line.with_changes(body=[new_small], leading_lines=leading)

    def leave_SimpleStatementLine(self, original, updated):
        plan = self.plan.stmts.get(original)
        if plan is None:
            return updated
        if plan.kind == "client":
            return self._wrap_client(updated, plan)
        if plan.kind == "subprocess":
            return self._subprocess(updated, plan)
        return updated

    def _wrap_client(self, line: cst.SimpleStatementLine, plan: StmtPlan):
        data = plan.data
        client = data["client"]
        kwargs = []
        for claim in data["calls"]:
            for k, v in claim.data["client_kwargs"].items():
                kwargs.append(_kwarg(k, v))
        if data.get("client_follow"):
            kwargs.append(_kwarg("follow_redirects", cst.Name("True")))
        if data.get("client_timeout_none"):
            kwargs.append(_kwarg("timeout", cst.Name("None")))
        ctor = cst.Call(func=cst.parse_expression(data["ctor"]), args=_join_args(kwargs) if kwargs else [])
        inner = line.with_changes(leading_lines=[])
        node = cst.With(
            items=[cst.WithItem(item=ctor, asname=cst.AsName(name=cst.Name(client)))],
            body=cst.IndentedBlock(body=[inner]),
            asynchronous=cst.Asynchronous(),
            leading_lines=line.leading_lines,
        )
        self.client_blocks[id(node)] = (client, _code(ctor))
        return node

    def leave_IndentedBlock(self, original, updated):
        """Consecutive statements that each got a client share one ``async with`` block."""
        if not self.client_blocks:
            return updated
        body = []
        changed = False
        for stmt in updated.body:
            key = self.client_blocks.get(id(stmt))
            prev = body[-1] if body else None
            if (
                key is not None
                and prev is not None
                and self.client_blocks.get(id(prev)) == key
                and all(line.comment is None for line in stmt.leading_lines)
            ):
                inner = list(stmt.body.body)
                inner[0] = inner[0].with_changes(leading_lines=list(stmt.leading_lines) + list(inner[0].leading_lines))
                merged = prev.with_changes(body=prev.body.with_changes(body=list(prev.body.body) + inner))
                self.client_blocks[id(merged)] = key
                body[-1] = merged
                changed = True
                continue
            body.append(stmt)
        return updated.with_changes(body=body) if changed else updated

    def _subprocess(self, line: cst.SimpleStatementLine, plan: StmtPlan):
        data = plan.data
        small = line.body[0]
        call = small.value
        which = data["which"]
        kw = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        argv = call.args[0].value if call.args[0].keyword is None else kw.pop("args")
        kw.pop("args", None)
        flags = data["flags"]
        names = data["names"]
        sp = data["sp"]
        c = _code
        check = flags.get("check", False) or which in ("check_call", "check_output")
        pipe = f"{sp}.PIPE"
        stdout = kw.get("stdout")
        stderr = kw.get("stderr")
        if flags.get("capture_output"):
            stdout = stderr = cst.parse_expression(pipe)
        if which == "check_output" and stdout is None:
            stdout = cst.parse_expression(pipe)
        cap_out = stdout is not None and c(stdout).endswith("PIPE")
        cap_err = stderr is not None and c(stderr).endswith("PIPE")
        has_input = "input" in kw
        if has_input:
            kw["stdin"] = cst.parse_expression(pipe)
        exec_args = []
        for el in argv.elements:
            exec_args.append(("*" if isinstance(el, cst.StarredElement) else "") + c(el.value))
        for key in ("stdin", "cwd", "env"):
            if key in kw:
                exec_args.append(f"{key}={c(kw[key])}")
        if stdout is not None:
            exec_args.append(f"stdout={c(stdout)}")
        if stderr is not None:
            exec_args.append(f"stderr={c(stderr)}")
        proc = _unique("proc", names)
        lines = [f"{proc} = await {data['exec']}({', '.join(exec_args)})"]
        out = err = "None"
        target = data["target"]
        direct = which == "check_output" and isinstance(target, cst.Name) and not data["text"]
        direct = direct and target.value not in _names_in(argv) and not isinstance(small, cst.AnnAssign)
        if cap_out or cap_err or has_input:
            out = (target.value if direct else _unique("stdout", names)) if cap_out else "_"
            err = _unique("stderr", names) if cap_err else ("_" if out != "_" else "_err")
            comm = f"input={c(kw['input'])}" if has_input else ""
            lines.append(f"{out}, {err} = await {proc}.communicate({comm})")
            if out == "_":
                out = "None"
            if err in ("_", "_err"):
                err = "None"
        else:
            lines.append(f"await {proc}.wait()")
        if data["text"]:
            enc = c(kw["encoding"]) if "encoding" in kw else ""
            if out != "None":
                lines.append(f"{out} = {out}.decode({enc})")
            if err != "None":
                lines.append(f"{err} = {err}.decode({enc})")
        argv_text = c(argv.with_changes(lpar=[], rpar=[]))
        if isinstance(argv, cst.Tuple) and not argv.lpar:
            argv_text = f"({argv_text})"
        if check:
            lines.append(
                f"if {proc}.returncode:\n    raise {sp}.CalledProcessError({proc}.returncode, {argv_text}, {out}, {err})"
            )
        if which == "run":
            result = f"{sp}.CompletedProcess({argv_text}, {proc}.returncode, {out}, {err})"
        elif which == "check_output":
            result = out
        else:
            result = f"{proc}.returncode"
        if target == "return":
            lines.append(f"return {result}")
        elif target is not None and not direct:
            if isinstance(small, cst.AnnAssign):
                lines.append(f"{c(small.target)}: {c(small.annotation.annotation)} = {result}")
            else:
                lines.append(f"{c(target)} = {result}")
        cfg = self.module.config_for_parsing
        stmts = [cst.parse_statement(text + self.module.default_newline, config=cfg) for text in lines]
        first = stmts[0].with_changes(leading_lines=line.leading_lines, trailing_whitespace=line.trailing_whitespace)
        stmts[0] = first
        return cst.FlattenSentinel(stmts)


def _has_newline(comma: cst.Comma) -> bool:
    return isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace)


def _strip_parens_ok(node):
    return node


def _reopen(call: cst.Call):
    """(path, mode, kwargs) of an ``open(...)`` call node (already validated)."""
    path, mode, kwargs = None, "r", {}
    pos = 0
    for a in call.args:
        if a.keyword is None:
            if pos == 0:
                path = a.value
            else:
                mode = _string_literal(a.value)
            pos += 1
        elif a.keyword.value == "file":
            path = a.value
        elif a.keyword.value == "mode":
            mode = _string_literal(a.value)
        else:
            kwargs[a.keyword.value] = a.value
    return path, mode, kwargs


def finish_plan(plan: FilePlan, imports: Imports, planner: Planner) -> None:
    """Second step of planning: names and constructor arguments of httpx clients."""
    client_names: dict = {}
    for stmt, sp in list(plan.stmts.items()):
        if sp.kind != "client":
            continue
        fn = sp.data["fn"]
        # one name for every client of a function: each lives only in its own `async with`
        if id(fn) not in client_names:
            client_names[id(fn)] = _unique("client", planner.names_of(fn))
        sp.data["client"] = client_names[id(fn)]
        sp.data["ctor"] = imports.ref("httpx", "AsyncClient")
        need_follow = False
        need_timeout = False
        for claim in sp.data["calls"]:
            claim.data["client"] = sp.data["client"]
            verb = claim.data["verb"]
            keys = {k for kind, k, _ in claim.data["args"] if kind == "kw"}
            if claim.data["follow"] is None and verb != "head":
                need_follow = True
            if "timeout" not in keys:
                need_timeout = True
        for claim in sp.data["calls"]:
            if claim.data["verb"] == "head" and claim.data["follow"] is None and need_follow:
                claim.data["extra_follow"] = "False"
        sp.data["client_follow"] = need_follow
        sp.data["client_timeout_none"] = need_timeout
