"""Reduce one Python file to a ``ModuleSummary``.

One parse and one walk: names and imports are resolved here, in source
order, without LibCST's scope metadata.  The summary depends only on the
file's text (module names are applied later by ``link``), so it can be cached
by content hash and built in worker processes.

Files are parsed with the interpreter's own parser (``ast``), which gives
positions for free and is several times faster than building a LibCST tree
with positions.  A file whose syntax is newer than the running interpreter
(PEP 695 type parameters, PEP 701 f-strings, PEP 758 ``except A, B:``) is
parsed with LibCST instead and lowered to equivalent older syntax first; see
``downgrade``.
"""

from __future__ import annotations

import ast
import re
from typing import Optional

from ..deep import run_deep
from .guards import RAW, GuardReader, dict_literal_keys
from .names import mentioned
from . import nodes
from .fresh import ACQUIRES, private_local, taken_fresh
from .memo import (cache_read, latched_when, catches_import_error, decorator_memoizes, memo_subject, rearmed,
                   rebuilt_when_closed, records_argument, registry_lookup, released, released_by_key,
                   reset_between_uses, MethodTable, SEEN_ADDS, seen_removed, stamp_test, stamped, stores, tested_subject)
from ..model import FILE_KEYWORDS, UNKNOWN, CallSite, ClassSummary, Expr, FunctionSummary, ModuleSummary, Param

# Depth bounds.  The interpreter compiles expressions and elif chains thousands of levels deep;
# a summary keeps at most this many levels of one expression (deeper parts are unknown, which
# link never evaluates past anyway), so that summaries stay small, cacheable and shallow for
# every later stage.  The walk itself is recursive: a file too deep for the interpreter's
# recursion limit is walked again in a thread with room for it (``_walk``).
MAX_EXPR_DEPTH = 64  # levels of one expression
MAX_ALTERNATIVES = 8  # values of ``a or b or ...`` kept
MAX_GUARDS = 16  # conditions kept on one call site (the innermost ones)
MAX_TEXT_PARTS = 24  # dotted parts of a call site's text, ``a.b().c`` (the last ones)

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_DEPENDS = {"Depends", "Security"}
_NONE_NAMES = {"None", "NoneType"}
# typing's qualifiers say how a name is bound, not what it holds: ``router: Final = APIRouter()`` is typed
# by its value, ``Final[FastAPI]`` / ``ClassVar[Lock]`` by what they wrap
_QUALIFIERS = {"Final", "ClassVar", "Required", "NotRequired", "ReadOnly"}
_CONDITION_WAITS = frozenset({"wait", "wait_for"})  # a condition's waits, which release it
_FLAG_ARGS = 4  # arguments of a call whose literal or constant values are kept (catalog variants)
_MAX_RETURNED_ITEMS = 16  # items of a returned tuple literal kept one by one (``return a, b``)
_FLAG_FORMS = frozenset({"g", "m", "a", "s", "k"})  # forms of such a value (a name, an attribute, a literal)
_HEAD = 64  # the most of an f-string's leading literal text a summary keeps


def literal_head(node: ast.JoinedStr) -> str:
    """The literal text an f-string begins with (``f"/proc/{pid}/stat"``: ``/proc/``), at most ``_HEAD``
    characters of it; '' when it begins with a formatted value."""
    first = node.values[0] if node.values else None
    if type(first) is ast.Constant and isinstance(first.value, str):
        return first.value[:_HEAD]
    return ""


# attributes whose assignment the framework stage reads, kept as a "store" site: a lifespan set on an
# app's router after the app was made (``app.router.lifespan_context = lifespan``)
_STORED_ATTRS = frozenset({"lifespan_context"})


def null_byte_problem(text: str) -> str:
    """Where the first NUL character is: Python source cannot hold one (a binary or UTF-16 file)."""
    at = text.index("\0")
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return (f"a NUL byte at line {line}, column {column}: Python source cannot contain one "
            "(a binary file, or text in UTF-16/UTF-32?)")


class ParseFailure(Exception):
    """The file is not valid Python for any parser we have."""


def parse_noqa(text: str) -> dict:
    out: dict = {}
    if "noqa" not in text and "NOQA" not in text:
        return out
    for lineno, line in enumerate(text.splitlines(), 1):
        if "#" not in line:
            continue
        m = _NOQA.search(line)
        if not m:
            continue
        codes = m.group("codes")
        if codes:
            out[lineno] = frozenset(c.upper() for c in re.split(r"[,\s]+", codes.strip()) if c)
        else:
            out[lineno] = None
    return out


def summarize_source(text: str) -> ModuleSummary:
    downgraded = False
    if "\0" in text:  # the parser says "source code string cannot contain null bytes", at no line
        raise ParseFailure(null_byte_problem(text))
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        from .downgrade import lower_to_ast

        tree = lower_to_ast(text, exc)  # raises ParseFailure
        downgraded = True
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ParseFailure(str(exc)) from exc
    try:
        summary = _walk(tree)
    finally:
        _HEIGHTS.clear()
    if not text.isascii():
        _columns_to_characters(summary, text)
    summary.noqa = parse_noqa(text)
    summary.downgraded = downgraded
    summary.names = mentioned(summary)
    return summary


def _walk(tree: ast.Module) -> ModuleSummary:
    """The summary of a parsed module.  A tree deeper than the recursion limit allows (long
    elif chains, method chains, sums: all valid Python) is walked again with room for it."""
    summary = ModuleSummary()
    try:
        _summarize_into(summary, tree)
        return summary
    except RecursionError:
        pass
    summary = ModuleSummary()
    run_deep(_summarize_into, summary, tree)
    return summary


def _summarize_into(summary: ModuleSummary, tree: ast.Module) -> None:
    """Walk ``tree`` into ``summary``, then take the summarizer apart: its guard reader points back at
    it, a cycle that would keep the whole syntax tree alive until the cyclic collector came by (on a
    cold run, the collector freeing trees was about a tenth of the CPU time)."""
    summarizer = _Summarizer(summary)
    try:
        summarizer.run(tree)
    finally:
        summarizer.guards = None


def _columns_to_characters(summary: ModuleSummary, text: str) -> None:
    """``ast`` columns count UTF-8 bytes; users, editors and flake8 count characters."""
    lines = text.splitlines()
    wide = {i + 1 for i, line in enumerate(lines) if not line.isascii()}
    if not wide:
        return

    def char_col(line: int, col: int) -> int:
        if line not in wide or line > len(lines):
            return col
        return len(lines[line - 1].encode("utf-8")[:col].decode("utf-8", errors="ignore"))

    sites = list(summary.module_calls)
    for fn in summary.functions.values():
        sites += fn.calls
        sites += fn.decorators
        if fn.line in wide:
            fn.col = char_col(fn.line, fn.col)
    for site in sites:
        if site.line in wide:
            site.col = char_col(site.line, site.col)
        if site.end_line in wide:
            site.end_col = char_col(site.end_line, site.end_col)


# what takes an item from a queue or a connection, or the outcome of a future (``filled_queues``: when one
# is there, it does not wait)
_TAKES = frozenset({"get", "recv", "recv_bytes", "recv_bytes_into", "result", "exception"})

# statements that may store into a cache one-time initialization fills (``memo.stores``)
_STORING = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr)
_PLATFORM_NAMES = frozenset({"os.name", "sys.platform", "platform.system", "platform.platform"})
_PLATFORM_ATTRS = frozenset(n.rpartition(".")[2] for n in _PLATFORM_NAMES)  # (what dotted_text ends with)


def _union_members(node: ast.AST) -> list:
    """The members of an ``A | B | C`` annotation."""
    if type(node) is ast.BinOp and isinstance(node.op, ast.BitOr):
        return _union_members(node.left) + _union_members(node.right)
    return [node]


def _sync_or_async(members) -> bool:
    """A union of a class and its async counterpart (``HTTPHandler | AsyncHTTPHandler``, ``Union[Session,
    AsyncSession]``): the value may be either, and code written for both awaits what the async one
    returns; its type is not known."""
    names = [m.attr if type(m) is ast.Attribute else m.id if type(m) is ast.Name else "" for m in members]
    names = [n for n in names if n and n not in _NONE_NAMES]
    return len(names) > 1 and any(n.startswith("Async") for n in names) and not all(n.startswith("Async") for n in names)


def _platform_test(test: ast.AST) -> bool:
    """Does an ``if`` test ask which platform this is (``os.name == "nt"``, ``sys.platform.startswith("win")``)?"""
    return any(type(n) is ast.Attribute and n.attr in _PLATFORM_ATTRS and dotted_text(n) in _PLATFORM_NAMES
               for n in nodes.walk(test))


def dotted_text(node: ast.AST) -> str:
    """Short source text of a callee: ``requests.get``, ``db.query().all``; the last
    ``MAX_TEXT_PARTS`` steps of a longer chain, after ``(...)``."""
    parts = []
    suffix = ""  # "()" and "[]" of calls and subscripts, attached to the next part
    for _ in range(MAX_TEXT_PARTS * 2):
        t = type(node)
        if t is ast.Attribute:
            parts.append(node.attr + suffix)
            suffix = ""
            node = node.value
        elif t is ast.Call:
            suffix = "()" + suffix
            node = node.func
        elif t is ast.Name:
            parts.append(node.id + suffix)
            break
        elif t is ast.Subscript:
            suffix = "[]" + suffix
            node = node.value
        elif t is ast.Await:
            node = node.value
        else:
            parts.append("(...)" + suffix)
            break
        if len(parts) >= MAX_TEXT_PARTS:
            parts.append("(...)")
            break
    else:
        parts.append("(...)" + suffix)
    return ".".join(reversed(parts))


# the sub-expressions of common expression nodes (faster than ast.iter_child_nodes)
_EXPR_CHILDREN = {
    ast.BinOp: ("left", "right"), ast.BoolOp: ("values",), ast.Compare: ("left", "comparators"),
    ast.UnaryOp: ("operand",), ast.JoinedStr: ("values",), ast.FormattedValue: ("value",),
    ast.List: ("elts",), ast.Tuple: ("elts",), ast.Set: ("elts",), ast.Dict: ("keys", "values"),
    ast.Subscript: ("value", "slice"), ast.Starred: ("value",), ast.IfExp: ("test", "body", "orelse"),
    ast.Slice: ("lower", "upper", "step"), ast.keyword: ("value",),
}


_STR_METHODS = {"replace", "strip", "lstrip", "rstrip", "lower", "upper", "removeprefix", "removesuffix"}


def _bounded(value: Expr) -> Expr:
    """``value``, or unknown when it nests deeper than ``MAX_EXPR_DEPTH`` (a name rebound from
    itself many times, ``x = x.y`` line after line, or merged across hundreds of branches)."""
    got = _HEIGHTS.get(id(value))
    if got is not None and got[0] is value and got[2]:  # (measured already: most values are kept as they were)
        return value if got[1] <= MAX_EXPR_DEPTH else UNKNOWN
    return value if _within(value, MAX_EXPR_DEPTH) else UNKNOWN


def _within(value: tuple, levels: int) -> bool:
    """Does ``value`` nest at most ``levels`` levels of (non-empty) tuples?"""
    return _height(value, levels) <= levels


# id(expression) -> (the expression, its height, exact) while one module is summarized (see
# ``_height``): bindings share their parts (a value merged after every branch holds the values
# before it), and each part is measured once instead of once per binding that holds it
_HEIGHTS: dict = {}


def _height(value: tuple, room: int) -> int:
    """The levels of nested non-empty tuples in ``value`` (1 for a flat one) when at most ``room``,
    else ``room + 1`` (the walk stops there). Remembered by identity (``_HEIGHTS``): an exact height,
    or, for a walk that stopped, that the height is more than the room it had."""
    got = _HEIGHTS.get(id(value))
    if got is not None and got[0] is value:
        if got[2]:
            return got[1] if got[1] <= room else room + 1
        if got[1] >= room:
            return room + 1
    if room <= 0:
        return 1
    best = 0
    for part in value:
        if type(part) is tuple and part:
            h = _height(part, room - 1)
            if h >= room:
                _HEIGHTS[id(value)] = (value, room, False)
                return room + 1
            if h > best:
                best = h
    _HEIGHTS[id(value)] = (value, best + 1, True)
    return best + 1


def filled_queues(test: ast.AST, holds: bool) -> list:
    """The queues that ``test`` being ``holds`` says hold an item, as ast dumps of the queue
    expression: ``not q.empty()``, ``q.qsize()``, ``q.qsize() > 0`` (``>= 1``, ``!= 0``) true, or
    ``q.empty()`` false; ``a and b`` true: both. Likewise a connection whose ``poll()`` was true, and a
    future whose ``done()`` (a pool's result: ``ready()``) was: its ``result()`` is there."""
    t = type(test)
    if t is ast.UnaryOp and isinstance(test.op, ast.Not):
        return filled_queues(test.operand, not holds)
    if t is ast.BoolOp:
        return [q for v in test.values for q in filled_queues(v, holds)] if isinstance(test.op, ast.And) == holds else []
    if t is ast.Await and type(test.value) is ast.Call and isinstance(test.value.func, ast.Attribute):
        # ``if await asyncio.to_thread(conn.poll, timeout):`` (what --fix makes of the next one)
        call = test.value
        at = 1 if call.func.attr == "run_in_executor" else 0 if call.func.attr in ("to_thread", "run_sync") else None
        polled = call.args[at] if at is not None and len(call.args) > at else None
        if isinstance(polled, ast.Attribute) and polled.attr == "poll":
            return [ast.dump(polled.value)] if holds else []
        return []
    if t is ast.Call and isinstance(test.func, ast.Attribute) and test.func.attr == "poll":
        # ``if conn.poll(timeout):`` (a multiprocessing connection): there is something to receive
        return [ast.dump(test.func.value)] if holds else []
    if t is ast.Call and isinstance(test.func, ast.Attribute) and not test.args and not test.keywords:
        attr = test.func.attr
        if attr == "empty" and not holds or holds and (attr == "qsize" or attr == "done" or attr == "ready"):
            return [ast.dump(test.func.value)]
        return []
    if t is ast.Compare and len(test.ops) == 1 and holds and type(test.left) is ast.Call \
            and isinstance(test.comparators[0], ast.Constant):
        op, n = type(test.ops[0]), test.comparators[0].value
        if (op is ast.Gt and n == 0 or op is ast.GtE and n == 1 or op is ast.NotEq and n == 0) and \
                type(n) is int:
            return filled_queues(test.left, True)
    return []


def _without_flags(test: ast.AST, present: bool, params) -> ast.AST:
    """``cache is not None and not reload`` (``cache is None or force``): the cache test without the
    parameters that ask to build again, which callers leave at their default."""
    if type(test) is not ast.BoolOp or isinstance(test.op, ast.And) != present:
        return test

    def flag(v) -> bool:
        while type(v) is ast.UnaryOp and isinstance(v.op, ast.Not):
            v = v.operand
        return type(v) is ast.Name and v.id in params

    rest = [v for v in test.values if not flag(v)]
    if not rest or len(rest) == len(test.values):
        return test
    return rest[0] if len(rest) == 1 else ast.BoolOp(op=test.op, values=rest)


_JUMPS = (ast.Return, ast.Raise, ast.Continue, ast.Break)


def _constant_test(test: ast.AST) -> Optional[bool]:
    """Whether an ``if`` on a literal (``if True:``, ``if 0:``, ``if not False:``) runs its body; None
    for any other test."""
    negate = False
    while type(test) is ast.UnaryOp and type(test.op) is ast.Not:
        test, negate = test.operand, not negate
    if type(test) is ast.Constant and (test.value is None or isinstance(test.value, (bool, int, str))):
        return bool(test.value) != negate
    return None


def _leaves(body) -> bool:
    """Does this block always leave the enclosing block (return, raise, continue, break)?"""
    return bool(body) and isinstance(body[-1], _JUMPS)


def _imported_names(stmts) -> list:
    """The names ``import`` statements among ``stmts`` bind."""
    out = []
    for stmt in stmts:
        if type(stmt) is ast.Import:
            out += [a.asname or a.name.split(".", 1)[0] for a in stmt.names]
        elif type(stmt) is ast.ImportFrom:
            out += [a.asname or a.name for a in stmt.names if a.name != "*"]
    return out


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None or isinstance(node, ast.Name) and node.id in _NONE_NAMES


def _accessor_of(node) -> bool:
    """Is the method ``node`` a property's setter or deleter (``@name.setter`` on a def named ``name``, or
    ``@Base.name.setter`` in a subclass)?"""
    return any(type(d) is ast.Attribute and d.attr in ("setter", "deleter")
               and (d.value.id if type(d.value) is ast.Name else getattr(d.value, "attr", None)) == node.name
               for d in node.decorator_list)


def _is_stub(body) -> bool:
    """A body that does nothing but document, pass or raise NotImplementedError (abstract methods)."""
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # docstring or ...
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                continue
        return False
    return True


MAX_ARGS = 8  # positional arguments kept per call site
UNKNOWN_POSITIONS = (("*", None),)  # in ``CallSite.kwargs``: the positions after the kept arguments are not known
# sys.exit, os._exit, os.abort, os.kill (what the name is, and for kill whom it signals: checked when linked)
_EXIT_NAMES = frozenset({"exit", "_exit", "abort", "kill"})
_LEAVING = (ast.Return, ast.Break, ast.Continue, ast.Raise)
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_AWAITING = (ast.Await, ast.AsyncFor, ast.AsyncWith)
_NOT_STATEMENTS = _NESTED + (ast.expr,)  # (what a walk for a statement that leaves skips)


def _ends_in_exit(stmts) -> int:
    """The line of the last statement of ``stmts`` when it is a call of a function named exit or _exit."""
    last = stmts[-1] if stmts else None
    if type(last) is ast.Expr and type(last.value) is ast.Call:
        func = last.value.func
        name = func.attr if type(func) is ast.Attribute else func.id if type(func) is ast.Name else ""
        if name in _EXIT_NAMES:
            return last.lineno
    return 0


def _has_node(stmt, wanted: tuple, skipped: tuple) -> bool:
    """Is a node of the types ``wanted`` in ``stmt``, not going below nodes of the types ``skipped``?"""
    todo = [stmt]
    while todo:
        node = todo.pop()
        if isinstance(node, wanted):
            return True
        todo.extend(c for c in nodes.child_nodes(node) if not isinstance(c, skipped))
    return False


def _awaits_in(stmt) -> bool:
    """Does a statement await (await, async for, async with), outside the functions it defines?"""
    return _has_node(stmt, _AWAITING, _NESTED)


def _may_leave(stmt) -> bool:
    """Can a statement leave the statement list it is in other than by running on (return, break,
    continue, raise), outside the functions it defines?"""
    return _has_node(stmt, _LEAVING, _NOT_STATEMENTS)


def _exit_tails(node) -> tuple:
    """(first line, exit line) of the tails of a function's statement lists -- its body, and every
    ``except`` handler's in it -- that end by exiting the process (``sys.exit(1)``, ``os._exit(0)``,
    ``os.kill(os.getpid(), SIGKILL)``): in a coroutine the statements after the last one that awaits.
    Nothing the loop runs comes after them (SystemExit leaves the task and the loop running it), so
    they run once, as the program ends. In a sync function, the whole list, when none of its
    statements can leave it before the exit (a return, a raise). Only statement lists are walked,
    and expressions only of a list that ends so."""
    sync = type(node) is not ast.AsyncFunctionDef
    out = []
    todo = [node.body]
    while todo:
        stmts = todo.pop()
        for stmt in stmts:
            if isinstance(stmt, _NESTED):
                continue
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if inner and type(inner) is list:
                    todo.append(inner)
            for handler in getattr(stmt, "handlers", ()):
                todo.append(handler.body)
            for case in getattr(stmt, "cases", ()):
                todo.append(case.body)
        exit_line = _ends_in_exit(stmts)
        if not exit_line:
            continue
        start = 0
        if sync:
            if any(_may_leave(s) for s in stmts[:-1]):
                continue
        else:
            for i in range(len(stmts) - 2, -1, -1):
                if _awaits_in(stmts[i]):
                    start = i + 1
                    break
        if start < len(stmts) - 1:
            out.append((stmts[start].lineno, exit_line))
    return tuple(sorted(out))


_ROUTE_CLASSES = {"Route", "WebSocketRoute", "Mount", "APIRoute", "APIWebSocketRoute"}


def _is_route_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return name in _ROUTE_CLASSES


def _own_bindings(stmts) -> dict:
    """The names a function body binds itself (assignments, loop and ``with`` targets, imports, nested
    defs and classes), not counting what nested functions and classes bind inside: name -> the last
    line binding it."""
    found: dict = {}

    def add(name: str, line: int) -> None:
        if line > found.get(name, 0):
            found[name] = line
    todo = list(stmts)
    while todo:
        node = todo.pop()
        t = type(node)
        if t in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            add(node.name, node.lineno)
            todo.extend(node.decorator_list)
            continue
        if t is ast.Lambda:
            continue
        if t is ast.Name and type(node.ctx) is ast.Store:
            add(node.id, node.lineno)
        elif t in (ast.Import, ast.ImportFrom):
            for alias in node.names:
                add((alias.asname or alias.name).split(".")[0], node.lineno)
        elif t is ast.ExceptHandler and node.name:
            add(node.name, node.lineno)
        todo.extend(nodes.child_nodes(node))
    return found


def _written_keywords(node: Optional[ast.AST]) -> tuple:
    """The (keyword, value node) pairs of a mapping written out as keywords: a dict display whose
    keys are all strings (``{"title": t, "lifespan": lifespan}``) or ``dict(title=t, ...)`` with
    keywords only; () for anything else. Sixteen at most."""
    t = type(node)
    if t is ast.Dict:
        if node.keys and all(type(k) is ast.Constant and isinstance(k.value, str) for k in node.keys):
            return tuple((k.value, v) for k, v in zip(node.keys[:16], node.values[:16]))
    elif t is ast.Call and type(node.func) is ast.Name and node.func.id == "dict" and not node.args \
            and node.keywords and all(k.arg is not None for k in node.keywords):
        return tuple((k.arg, k.value) for k in node.keywords[:16])
    return ()


# ``typing.cast`` imported, or read from its module (``typing.cast``, ``t.cast``)
_CASTS = frozenset({("m", "typing.cast"), ("m", "typing_extensions.cast")})


class _Scope:
    __slots__ = ("kind", "bindings", "qualname", "func", "cls", "globals_decl", "guards", "params", "once",
                 "once_of", "once_filled", "rearmed", "cache_reads", "keyed_reads", "facts", "awaits_seen", "handler", "declared", "aliases",
                 "node", "bound_later", "deferred", "filled", "spreads", "pending")

    def __init__(self, kind: str, qualname: str, func: Optional[FunctionSummary] = None, cls=None):
        self.kind = kind  # "module" | "class" | "function"
        self.bindings: dict = {}
        self.qualname = qualname
        self.func = func
        self.cls = cls
        self.globals_decl: set = set()
        self.guards: list = []  # conditions on parameters under which the current statement runs
        self.params: set = set()
        self.once = 0  # > 0 inside one-time initialization (see memo)
        self.once_of: list = []  # the caches the one-time initialization around fills, outermost first
        self.once_filled: set = set()  # of those, the ones a statement walked so far stored into
        self.keyed_reads: set = set()  # locals read from a cache by key (``cached = CACHE.get(key)``)
        self.filled: list = []  # queues a test around says hold an item (``if not q.empty():``), as ast dumps
        self.rearmed: set = set()  # caches this function stored into or cleared outside one-time code so far
        self.cache_reads: dict = {}  # local name -> the cache it was read from (``cached = CACHE.get(k)``)
        self.facts: dict = {}  # subject -> what this function stored into it so far (see guards)
        self.awaits_seen = 0  # awaits (and async for/with) walked so far in this function
        self.handler = 0  # > 0 inside an ``except`` block
        self.declared: dict = {}  # name -> annotation (``pool: urllib3.PoolManager``), kept across assignments
        self.aliases: dict = {}  # "self.x" -> the parameter stored there unchanged (``self.x = x``)
        self.node = None  # the function's syntax tree
        self.bound_later: Optional[dict] = None  # name -> last line the function's own body binds it on
        self.deferred: list = []  # nested functions to summarize at the end of the body (see function)
        # name -> the keywords a mapping written out in it holds (``kw = {"lifespan": lifespan}``,
        # ``kw = dict(title=t, lifespan=self.lifespan)``): what ``f(**kw)`` passes; None until one is
        self.spreads: Optional[dict] = None
        # name -> the site of the call whose result it holds, not awaited yet (``call = stub.Get(req)``):
        # awaiting the name later awaits that result (None until one is)
        self.pending: Optional[dict] = None


def _holds(sc: _Scope, name: str) -> Optional[bool]:
    """What function scope ``sc`` says of ``name`` keeping a value from one of its calls to the next:
    True for a declared global or its ``self``/``cls``, False for another local or a parameter, None
    when the name is not its own."""
    if name in sc.globals_decl:
        return True
    bound = sc.bindings.get(name)
    if bound is not None:
        return bound[0] in ("self", "cls")
    if name in sc.params:
        return False
    return None


class _Summarizer:
    def __init__(self, summary: ModuleSummary):
        self.s = summary
        self.scopes: list[_Scope] = [_Scope("module", "")]
        self.guards = GuardReader(self)
        self.depth = 0  # levels of the expression being built (``MAX_EXPR_DEPTH``)
        self.returning: Optional[ast.AST] = None  # the value of the return statement being walked
        self.global_writes: dict = {}  # global name -> values functions store into it (``global x``)
        self.tree: Optional[ast.Module] = None
        self.removed: Optional[set] = None  # ``seen_removed``, once asked for
        self._method_tables: dict = {}  # id(class node) -> (its methods, memo.MethodTable)
        self.released_entries: Optional[set] = None  # ``released_by_key``, once asked for
        self.module_functions: Optional[dict] = None  # name -> the module-level ``def``, once asked for
        self.private_locals: dict = {}  # (id of a function's tree, name) -> ``fresh.private_local``

    # ----------------------------------------------------------------- scopes
    @property
    def scope(self) -> _Scope:
        return self.scopes[-1]

    def current_function(self) -> Optional[_Scope]:
        sc = self.scopes[-1]
        return sc if sc.kind == "function" else None

    def enclosing_class(self) -> Optional[_Scope]:
        """The class whose method we are in (for ``self``), if any."""
        for sc in reversed(self.scopes):
            if sc.kind == "class":
                return sc
        return None

    def imported(self, ref: Expr) -> None:
        """An import written anywhere in the module (``ModuleSummary.imports``)."""
        if ref not in self.s.imports:
            self.s.imports = self.s.imports + (ref,)

    def bind(self, name: str, value: Expr) -> None:
        value = _bounded(value)
        sc = self.scope
        if sc.kind == "module":
            self.s.globals[name] = value
        elif name in sc.globals_decl:
            # a function storing into a module global: one of the values it may hold whenever any
            # function runs, merged with the others at the end (``stop()`` setting it back to None
            # does not make ``start()``'s manager unknown)
            writes = self.global_writes.setdefault(name, [])
            if value not in writes:
                writes.append(value)
        elif sc.kind == "class":
            sc.bindings[name] = value
            if sc.cls is not None:
                sc.cls.attrs.setdefault(name, ())
                sc.cls.attrs[name] = sc.cls.attrs[name] + (value,)
        else:
            sc.bindings[name] = value

    def lookup(self, name: str) -> Expr:
        top = self.scopes[-1]
        if top.kind == "class":
            if name in top.bindings:
                return top.bindings[name]
        for sc in reversed(self.scopes):
            if sc.kind == "function":
                if name in sc.globals_decl:
                    break
                if name in sc.bindings:
                    return sc.bindings[name]
        return ("g", name)

    def qual(self, name: str) -> str:
        q = self.scope.qualname
        return f"{q}.{name}" if q else name

    # ------------------------------------------------------------ expressions
    def expr(self, node: Optional[ast.AST]) -> Expr:
        depth = self.depth
        if depth >= MAX_EXPR_DEPTH:
            return UNKNOWN
        self.depth = depth + 1
        try:
            return self._expr(node)
        finally:
            self.depth = depth

    def _expr(self, node: Optional[ast.AST]) -> Expr:
        if node is None:
            return UNKNOWN
        t = type(node)
        if t is ast.Name:
            return self.lookup(node.id)
        if t is ast.Attribute:
            return ("a", self.expr(node.value), node.attr)
        if t is ast.Call:
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if fname == "super" and isinstance(func, ast.Name) and not node.args:
                own = self.lookup("self")
                if own[0] not in ("self", "cls"):
                    own = self.lookup("cls")
                if own[0] in ("self", "cls"):
                    return ("sup", own[1], own[0])
            if fname == "cast" and len(node.args) == 2 and not node.keywords:
                cast = self.cast_value(func, node.args)
                if cast is not None:
                    return cast
            if fname in _DEPENDS:
                dep = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "dependency"), None)
                return ("dep", self.expr(dep)) if dep is not None else UNKNOWN
            if node.args:
                arg0 = self.simple_arg(node.args[0])
            else:
                # the file object a reader, writer or archive works on, passed by keyword:
                # csv.DictWriter(f=io.StringIO()), tarfile.open(fileobj=io.BytesIO(raw))
                kw = next((k.value for k in node.keywords if k.arg in FILE_KEYWORDS), None)
                arg0 = self.simple_arg(kw) if kw is not None else None
            # what was passed, for catalog variants (queue.Queue() without maxsize is unbounded; a
            # socket built with SOCK_DGRAM): the arguments after the first and the keyword values,
            # when they are literals or named constants
            passed = (len(node.args), tuple(k.arg or "**" for k in node.keywords),
                      tuple(self.flag_arg(a) for a in node.args[1:_FLAG_ARGS]),
                      tuple(self.flag_arg(k.value) for k in node.keywords[:_FLAG_ARGS])) \
                if node.args or node.keywords else None
            return ("c", self.expr(func), arg0, passed)
        if t is ast.Await:
            return ("aw", self.expr(node.value))
        if t is ast.Subscript:
            return ("sub", self.expr(node.value))
        if t is ast.BinOp:
            if isinstance(node.op, ast.Div):
                return ("div", self.expr(node.left))
            return UNKNOWN
        if t is ast.IfExp:
            return ("either", self.expr(node.body), self.expr(node.orelse))
        if t is ast.BoolOp:
            values = node.values[:MAX_ALTERNATIVES]
            out = self.expr(values[-1])
            for v in reversed(values[:-1]):
                out = ("alt", self.expr(v), out)
            return out
        if t is ast.NamedExpr:
            val = self.expr(node.value)
            return val
        if t is ast.Constant:
            v = node.value
            if isinstance(v, str):
                return ("s", v)
            return ("k", v) if v is None or isinstance(v, (bool, int, float)) else UNKNOWN
        if t is ast.Lambda:
            return ("d", self.lambda_name(node))
        if t in (ast.ListComp, ast.SetComp, ast.GeneratorExp):
            # the loop variables were bound when the comprehension was visited
            return ("seqof", self.expr(node.elt))
        if t in (ast.List, ast.Tuple, ast.Set) and node.elts:
            if all(_is_route_call(e) for e in node.elts):
                return self.simple_arg(node)  # routes = [Route(...), Mount(...)]: kept whole
            return ("seqof", self.expr(node.elts[0]))
        if t is ast.Dict and node.values and None not in node.keys:
            # {"plain": requests.Session(), "auth": requests.Session()}: a mapping of alike values
            values = [self.expr(v) for v in node.values[:16]]
            if all(v == values[0] for v in values) and values[0] != UNKNOWN:
                return ("mapof", values[0])
        return UNKNOWN

    def cast_value(self, func: ast.AST, args: list) -> Optional[Expr]:
        """``typing.cast(T, x)``: an instance of ``T`` (also written as a string), else (a type variable,
        a generic alias) what ``x`` is; None when the callee is not ``typing.cast``."""
        callee = self.expr(func)
        if callee[0] == "a" and callee[2] == "cast":
            base = callee[1]
            callee = ("m", f"{self.s.globals.get(base[1], base)[1]}.cast") if base[0] == "g" else base
        elif callee[0] == "g":
            callee = self.s.globals.get(callee[1], callee)  # (an import above, by the time the call runs)
        if callee not in _CASTS:
            return None
        ann = self.annotation(args[0])
        value = self.expr(args[1])
        return ("cast", ann, value) if ann is not None else value

    def returned(self, node: ast.AST) -> Expr:
        """What ``return node`` gives: a tuple literal keeps each of its items (``return session, conn``,
        unpacked by the caller into one name each), anything else is its expression."""
        if type(node) is ast.Tuple and 1 < len(node.elts) <= _MAX_RETURNED_ITEMS \
                and not any(type(e) is ast.Starred for e in node.elts):
            return ("tup", tuple(self.expr(e) for e in node.elts))
        return self.expr(node)

    def flag_arg(self, node: ast.AST) -> Optional[Expr]:
        """A literal or a named constant (``socket.SOCK_DGRAM``, ``SOCK_DGRAM``) passed to a call, else None."""
        t = type(node)
        if t is ast.Constant:
            v = node.value
            if isinstance(v, str):
                return ("s", v)
            return ("k", v) if v is None or isinstance(v, (bool, int, float)) else None
        if t is ast.Name or t is ast.Attribute and type(node.value) is ast.Name:
            v = self.expr(node)
            return v if v[0] in _FLAG_FORMS and _within(v, 3) else None
        return None

    def simple_arg(self, node: ast.AST) -> Optional[Expr]:
        depth = self.depth
        if depth >= MAX_EXPR_DEPTH:
            return UNKNOWN
        self.depth = depth + 1
        try:
            return self._simple_arg(node)
        finally:
            self.depth = depth

    def _simple_arg(self, node: ast.AST) -> Optional[Expr]:
        t = type(node)
        if t is ast.Call and _is_route_call(node):
            # Route("/x", endpoint, methods=[...]): the route table needs every argument
            return ("callargs", self.expr(node.func), tuple(self.simple_arg(a) for a in node.args[:4]),
                    tuple((k.arg or "**", self.simple_arg(k.value)) for k in node.keywords[:12]))
        if t in (ast.Name, ast.Attribute, ast.Call, ast.Lambda, ast.Await, ast.Subscript):
            return self.expr(node)
        if t is ast.Constant:
            if isinstance(node.value, str):
                return ("s", node.value)
            if node.value is None or isinstance(node.value, (bool, int, float)):
                return ("k", node.value)
            return None
        if t in (ast.List, ast.Tuple):
            return ("list",) + tuple(self.simple_arg(e) for e in node.elts[:32])
        if t is ast.JoinedStr:
            if len(node.values) == 1:
                # f"{path}": the same string as the name formatted (the same file, the same URL)
                part = node.values[0]
                if type(part) is ast.FormattedValue and part.format_spec is None and part.conversion in (-1, 115) \
                        and type(part.value) in (ast.Name, ast.Attribute):
                    return self.expr(part.value)
            return ("text", "", literal_head(node))  # a str of no known value, and the text it begins with
        return None

    def annotation(self, node: Optional[ast.AST]) -> Optional[Expr]:
        """The instance type an annotation describes, ``("i", cls)``; Depends found inside Annotated."""
        depth = self.depth
        if node is None or depth >= MAX_EXPR_DEPTH:
            return None
        self.depth = depth + 1
        try:
            return self._annotation(node)
        finally:
            self.depth = depth

    def _union(self, members, optional: bool = False) -> Optional[Expr]:
        """``A | B | None``, ``Union[A, B]``, ``Optional[A]``: read as its first member that is a class,
        ``("opt", ...)`` when it admits more than that class (None, or another class: an ``isinstance``
        test on the value is then not decided by the annotation)."""
        for e in members:
            got = self.annotation(e)
            if got is not None:
                if got[0] != "opt" and (optional or sum(1 for m in members if not _is_none(m)) > 1
                                        or any(_is_none(m) for m in members)):
                    return ("opt", got)
                return got
        return None

    def _annotation(self, node: ast.AST) -> Optional[Expr]:
        t = type(node)
        if t is ast.Constant:
            if isinstance(node.value, str):
                try:
                    inner = ast.parse(node.value.strip(), mode="eval").body
                except SyntaxError:
                    return None
                return self.annotation(inner)
            return None
        if t in (ast.Name, ast.Attribute):
            if t is ast.Name and node.id in _NONE_NAMES or (node.id if t is ast.Name else node.attr) in _QUALIFIERS:
                return None
            return ("i", self.expr(node))
        if t is ast.BinOp and isinstance(node.op, ast.BitOr):
            members = _union_members(node)
            if _sync_or_async(members):
                return None
            return self._union(members)
        if t is ast.Subscript:
            head = node.value
            hname = head.attr if isinstance(head, ast.Attribute) else head.id if isinstance(head, ast.Name) else ""
            sl = node.slice
            elts = sl.elts if isinstance(sl, ast.Tuple) else [sl]
            if hname in _QUALIFIERS:
                return self.annotation(elts[0])
            if hname in ("Optional", "Union"):
                if _sync_or_async(elts):
                    return None
                return self._union(elts, optional=hname == "Optional")
            if hname == "Annotated" and elts:
                base = self.annotation(elts[0])
                for meta in elts[1:]:
                    if isinstance(meta, ast.Call):
                        dep = self.expr(meta)
                        if dep[0] == "dep":
                            return ("alt", base, dep) if base is not None else dep
                return base
            if hname in ("Type", "type"):
                inner = self.annotation(elts[0]) if elts else None
                return inner[1] if inner and inner[0] == "i" else None
            # a generic class such as Session[...] or Generator[Session, None, None]
            if hname in ("Generator", "Iterator", "AsyncGenerator", "AsyncIterator", "ContextManager"):
                return self.annotation(elts[0]) if elts else None
            if hname in ("dict", "Dict", "Mapping", "MutableMapping", "DefaultDict", "defaultdict",
                         "OrderedDict") and len(elts) == 2:
                inner = self.annotation(elts[1])
                return ("mapof", inner) if inner is not None else None
            if hname in ("tuple", "Tuple") and 1 < len(elts) <= _MAX_RETURNED_ITEMS \
                    and not any(type(e) is ast.Constant and e.value is Ellipsis for e in elts):
                # -> tuple[Session, Connection]: what each name unpacking the result holds (``part``)
                return ("tup", tuple(self.annotation(e) or UNKNOWN for e in elts))
            if hname in ("list", "List", "Sequence", "MutableSequence", "set", "Set", "frozenset", "FrozenSet",
                         "Iterable", "Collection", "deque", "Deque"):
                inner = self.annotation(elts[0]) if elts else None
                return ("seqof", inner) if inner is not None else None
            return ("i", self.expr(head))
        return None

    def derived(self, node: ast.Assign) -> Optional[Expr]:
        """``name = name.replace("a", "b")`` (strip, lower, removeprefix ...) on a parameter."""
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            return None
        name, v = node.targets[0].id, node.value
        if not (isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr in _STR_METHODS
                and isinstance(v.func.value, ast.Name) and v.func.value.id == name and not v.keywords
                and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in v.args)):
            return None
        sc = self.current_function()
        if sc is None or name not in sc.params:
            return None
        return ("derive", self.lookup(name), v.func.attr, tuple(a.value for a in v.args))

    def type_alias(self, node: ast.AST) -> Optional[Expr]:
        """``X = Annotated[Session, Depends(get_db)]`` / ``Optional[Redis]``: a name standing for a type."""
        if isinstance(node, ast.Subscript):
            head = node.value
            hname = head.attr if isinstance(head, ast.Attribute) else head.id if isinstance(head, ast.Name) else ""
            if hname in ("Annotated", "Optional", "Union"):
                ann = self.annotation(node)
                return ("tal", ann) if ann is not None else None
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            ann = self.annotation(node)
            return ("tal", ann) if ann is not None else None
        return None

    def lambda_name(self, node: ast.Lambda) -> str:
        return self.qual(f"<lambda:{node.lineno}:{node.col_offset}>")

    # -------------------------------------------------------------- call sites
    def add_site(self, site: CallSite) -> None:
        sc = self.current_function()
        if sc is not None:
            if sc.guards:
                site.guards = tuple(sc.guards[-MAX_GUARDS:])
            # an await after the cache is filled (``self._running = True; await self._loop()``) is not
            # waited for before the guard lets the next caller through: only one before it is initialization
            if sc.once and not (site.awaited and sc.once_filled
                                and any(memo_subject(s) in sc.once_filled for s in sc.once_of)):
                site.once = True
                if sc.once_of:
                    site.once_of = sc.once_of[0]
            if sc.facts:
                site.facts = tuple(sc.facts.values())
            if sc.handler:
                site.in_handler = True
            if not sc.awaits_seen:
                site.before_await = True
            sc.func.calls.append(site)
        elif self.scope.kind == "module":
            self.s.module_calls.append(site)

    def call_site(self, node: ast.Call, awaited: bool, target: Optional[str] = None) -> CallSite:
        positional = node.args
        args = tuple(self.simple_arg(a) for a in positional[:MAX_ARGS])
        kwargs = tuple((k.arg or "**", self.simple_arg(k.value)) for k in node.keywords[:16])
        unknown_positions = len(positional) > MAX_ARGS or any(type(a) is ast.Starred for a in positional)
        spreads = self.scope.spreads
        if spreads:
            # ``FastAPI(**app_kwargs)`` after ``app_kwargs = {"title": t, "lifespan": lifespan}``: the
            # keywords written in the mapping are passed too (after the ``**`` entry, which stays)
            for k in node.keywords:
                if k.arg is None and type(k.value) is ast.Name and k.value.id in spreads:
                    kwargs += tuple((key, self.simple_arg(v)) for key, v in spreads[k.value.id])
            kwargs = kwargs[:24]
        if unknown_positions:
            kwargs += UNKNOWN_POSITIONS
        sc = self.current_function()
        return CallSite(
            line=node.lineno,
            col=node.col_offset,
            end_line=node.end_lineno or node.lineno,
            end_col=node.end_col_offset or node.col_offset,
            kind="call",
            callee=self.expr(node.func),
            text=dotted_text(node.func),
            awaited=awaited,
            args=args,
            kwargs=kwargs,
            target=target,
            returned=node is self.returning,
            # `if not q.empty(): q.get()`: the queue has an item for this get
            filled=bool(sc is not None and sc.filled and type(node.func) is ast.Attribute and node.func.attr in _TAKES
                        and ast.dump(node.func.value) in sc.filled),
            # `lock = threading.Lock(); lock.acquire()`: taken before anyone else can have it
            fresh=type(node.func) is ast.Attribute and node.func.attr in ACQUIRES and self.fresh(node.func.value, node),
            # `with cond: ... cond.wait()` on a private local condition: the wait is part of its sections
            private=self.private(node.func.value) if type(node.func) is ast.Attribute
            and node.func.attr in _CONDITION_WAITS else "",
        )

    def fresh(self, taken: ast.AST, use: ast.AST) -> bool:
        """Was the object ``use`` takes (the expression ``taken``) made right there, or bound to a local
        of this function just before, ``use`` being the first thing done with it (``fresh``)?"""
        if type(taken) is ast.Call:
            return True
        sc = self.current_function()
        return type(taken) is ast.Name and sc is not None and sc.node is not None \
            and taken_fresh(sc.node, taken.id, use)

    # ------------------------------------------------------------------ walk
    def run(self, tree: ast.Module) -> None:
        self.tree = tree
        self.guards.dict_keys = dict_literal_keys(tree)
        for stmt in tree.body:
            self.stmt(stmt)
        for name, writes in self.global_writes.items():
            value = self.s.globals.get(name)
            for w in writes:
                value = w if value is None or value == w else ("either", value, w)
            self.s.globals[name] = _bounded(value)

    def body(self, stmts) -> None:
        sc = self.current_function()
        pushed = filled_pushed = 0
        once = None
        for i, stmt in enumerate(stmts):
            if sc is not None and type(stmt) is ast.If:
                known = _constant_test(stmt.test)
                if known is not None:
                    # `if True:` / `if False:` in a function: only one branch ever runs, and when it
                    # always leaves (`if True: return x`), what follows it in the block never does
                    taken, dead = (stmt.body, stmt.orelse) if known else (stmt.orelse, stmt.body)
                    self.body(taken)
                    self.unreachable(sc, dead)
                    if _leaves(taken):
                        self.unreachable(sc, stmts[i + 1:])
                        break
                    continue
            self.stmt(stmt)
            if sc is not None and type(stmt) in _JUMPS:
                self.unreachable(sc, stmts[i + 1:])  # after a return, raise, continue or break
                break
            # `if name.startswith("x"): return ...` guards the rest of the block with the opposite
            if sc is not None and type(stmt) is ast.If and not stmt.orelse and _leaves(stmt.body):
                for g in self.guards_of(stmt.test, False):
                    sc.guards.append(g)
                    pushed += 1
                filled = filled_queues(stmt.test, False)  # `if q.empty(): continue` ... `q.get()`
                sc.filled.extend(filled)
                filled_pushed += len(filled)
                # `if not isinstance(engine, AsyncEngine): raise ...`: what follows holds an AsyncEngine
                if type(stmt.test) is ast.UnaryOp and type(stmt.test.op) is ast.Not:
                    narrow = self.narrowed(stmt.test.operand)
                    if narrow is not None:
                        self.bind(*narrow)
                # `if self._x is not None: return self._x` ... `self._x = ...`: the rest runs once
                if once is None:
                    once = self.memo_test(stmt.test, True, stmts[i + 1:])
                    if once is not None:
                        self.enter_once(once)
            elif sc is not None and once is None and type(stmt) is ast.For:
                # `for cb in LOGGERS: if isinstance(cb, C): return cb` ... `LOGGERS.append(C())`
                registry = registry_lookup(stmt, self.is_cache_holder)
                if registry is not None and registry not in sc.rearmed and stores(
                        stmts[i + 1:], registry, self.is_cache_holder, ("append", "add", "insert")):
                    once = ("keyed",) + registry
                    self.enter_once(once)
        if pushed:
            del sc.guards[len(sc.guards) - pushed:]
        if filled_pushed:
            del sc.filled[len(sc.filled) - filled_pushed:]
        if once is not None:
            self.leave_once(once)

    @staticmethod
    def unreachable(sc, stmts) -> None:
        """Statements of ``sc``'s function that never run: not visited, but a ``yield`` among them still
        makes it a generator (``return`` then ``yield``: a generator that yields nothing)."""
        todo = list(stmts)
        while todo and not sc.func.is_generator:
            node = todo.pop()
            t = type(node)
            if t in (ast.Yield, ast.YieldFrom):
                sc.func.is_generator = True
            elif t not in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda):
                todo.extend(ast.iter_child_nodes(node))

    def is_cache_holder(self, name: str) -> bool:
        """Can ``name`` (or ``name.attr``) keep a value from one call to the next: a declared global,
        ``self``/``cls``, or a module-level name?"""
        sc = self.current_function()
        if sc is None:
            return False
        held = _holds(sc, name)
        return self.outer_holder(name) if held is None else held

    def outer_holder(self, name: str) -> bool:
        """Does ``name``, free in the current function, outlive a call of the function that binds it:
        not a local (or ``nonlocal``) of an enclosing function, which a closure sees afresh on each
        call of that function (``finished = False`` ... ``def finish(): nonlocal finished; if
        finished: return``: once per stream, not per process), unless it is that function's
        ``self``/``cls``?"""
        for sc in reversed(self.scopes[:-1]):
            if sc.kind != "function":
                continue  # (a class body's names are not seen by its methods)
            held = _holds(sc, name)
            if held is not None:
                return held
            if sc.node is not None:
                if sc.bound_later is None:
                    sc.bound_later = _own_bindings(sc.node.body)
                if name in sc.bound_later:
                    return False
        return True

    def note_cache_read(self, targets: list, value: ast.AST) -> None:
        """``cached = CACHE.get(key)`` (or ``cached: Final = ...``): a later test on ``cached`` tests the cache."""
        sc = self.current_function()
        name = self._single_target(targets)
        if sc is None or name is None:
            return
        if type(value) is ast.Name:
            # ``instance = _instance`` (declared global), then ``if instance is None:`` builds it and
            # stores ``_instance = instance``: only a declared global can be stored back so
            subject = ("name", value.id) if value.id in sc.globals_decl else None
        else:
            subject = cache_read(value, self.is_cache_holder)
        if subject is not None:
            sc.cache_reads[name] = subject
        else:
            sc.cache_reads.pop(name, None)
        if subject is not None and (type(value) is ast.Subscript or type(value) is ast.Call
                                    and type(value.func) is ast.Attribute and value.func.attr == "get"):
            sc.keyed_reads.add(name)
        else:
            sc.keyed_reads.discard(name)

    def memo_test(self, test: ast.AST, present: bool, then) -> Optional[tuple]:
        """The cache (``memo.Subject``) that ``test`` being ``present`` says holds its value, when the
        statements ``then`` store that value (the shapes in ``memo``); else None."""
        sc = self.current_function()
        if sc is None or not then:
            return None
        found = tested_subject(_without_flags(test, present, sc.params), self.is_cache_holder, sc.cache_reads)
        if found is None or found[1] != present or found[0] in sc.rearmed:
            return None
        stamp = stamp_test(test)
        if stamp and not stamped(then, test):
            return None  # `if self.version != version: reload()` without storing the version: every call
        if stamp and records_argument(then, test, sc.params, self.is_cache_holder):
            return None  # `if self.data == data: return` ... `self.data = data; save(data)`: every new value
        if found[0][:2] == ("attr", "self") and self.reset_between_uses(found[0][2]):
            return None  # opened on first use, set back to None after each use by the same method's run
        member = any(type(n) is ast.Compare and type(n.ops[0]) in (ast.In, ast.NotIn) for n in nodes.walk(test))
        adds = ("setdefault", "update") + (SEEN_ADDS if member else ())
        if latched_when(then, found[0], self.is_cache_holder, adds) and not self.called_stores(then, found[0]):
            return None  # `if full: _cap_reached = True`: a latch set when a state is seen, not a cache
        if (stores(then, found[0], self.is_cache_holder) or self.called_stores(then, found[0])
                # `if key in _SEEN: return` ... `_SEEN.add(key)`: a set of the keys done, unless the
                # module takes keys out of it again (a set of the keys in flight)
                or member and stores(then, found[0], self.is_cache_holder, SEEN_ADDS)
                and found[0] not in self.seen_removed()) \
                and found[0] not in released(sc.node.body if sc.node is not None else (), self.is_cache_holder,
                                             sc.params) and found[0] not in self.released_by_key():
            # a cache of many entries (``key in CACHE``, ``CACHE.get(key)``): once per key, not per process
            keyed = member or stamp or any(type(n) is ast.Name and n.id in sc.keyed_reads for n in nodes.walk(test))
            if not present and rebuilt_when_closed(test):
                return ("reopen",) + found[0]  # a closed client replaced: not on the normal path
            return ("keyed",) + found[0] if keyed else found[0]
        return None

    def memo_conjunction(self, node: ast.If) -> Optional[ast.If]:
        """``if <cache empty> and rest: body`` (no else) with a cache ``body`` fills, as the nested
        ``if <cache empty>: if rest: body`` it means; None for any other ``if``."""
        test = node.test
        if node.orelse or type(test) is not ast.BoolOp or type(test.op) is not ast.And \
                or self.memo_test(test.values[0], False, node.body) is None:
            return None
        rest = test.values[1:]
        inner_test = rest[0] if len(rest) == 1 else ast.copy_location(ast.BoolOp(op=ast.And(), values=rest), rest[0])
        inner = ast.copy_location(ast.If(test=inner_test, body=node.body, orelse=[]), node)
        return ast.copy_location(ast.If(test=test.values[0], body=[inner], orelse=[]), node)

    def reset_between_uses(self, attr: str) -> bool:
        """``memo.reset_between_uses`` for the method being summarized and ``self.<attr>``."""
        cls, sc = self.enclosing_class(), self.current_function()
        if cls is None or cls.node is None or sc is None or sc.node is None:
            return False
        got = self._method_tables.get(id(cls.node))  # (one walk of the class for all its lazy attributes)
        if got is None:
            methods = {n.name: n for n in cls.node.body if type(n) in (ast.FunctionDef, ast.AsyncFunctionDef)}
            got = self._method_tables[id(cls.node)] = (methods, MethodTable(methods))
        methods, table = got
        return methods.get(sc.node.name) is sc.node and reset_between_uses(table, sc.node.name, attr)

    def method_stores(self, stmts, subject) -> bool:
        """Does a method of the enclosing class that these statements call on ``self`` store the
        attribute ``subject`` (``if not self._markets: self.reload_markets()``, where
        ``reload_markets`` assigns ``self._markets``)? One call deep, methods of this class only."""
        if subject[:2] != ("attr", "self"):
            return False
        cls = self.enclosing_class()
        if cls is None or cls.node is None:
            return False
        methods = {n.name: n for n in cls.node.body if type(n) in (ast.FunctionDef, ast.AsyncFunctionDef)}
        return any(type(node) is ast.Call and type(node.func) is ast.Attribute and type(node.func.value) is ast.Name
                   and node.func.value.id == "self" and node.func.attr in methods
                   and stores(methods[node.func.attr].body, subject, self.is_cache_holder)
                   for node in nodes.in_scope(stmts))

    def called_stores(self, stmts, subject) -> bool:
        """Does a method or a function these statements call store ``subject`` (``method_stores``,
        ``function_stores``)?"""
        return self.method_stores(stmts, subject) or self.function_stores(stmts, subject)

    def function_stores(self, stmts, subject) -> bool:
        """Does a function of this module that these statements call by its plain name declare the
        global ``subject`` and store it (``if not _APP: init_manager(app)``, where ``init_manager``
        says ``global _APP`` and assigns it; the start-up code may call it first)? One call deep,
        plain ``def``s at the top level of this module only (calling an ``async def`` runs nothing)."""
        if subject[0] != "name":
            return False
        called = {node.func.id for node in nodes.in_scope(stmts)
                  if type(node) is ast.Call and type(node.func) is ast.Name}
        if not called:
            return False
        if self.module_functions is None:
            body = self.tree.body if self.tree is not None else ()
            self.module_functions = {n.name: n for n in body if type(n) is ast.FunctionDef}  # (the last def wins)
        for name in called:
            fn = self.module_functions.get(name)
            if fn is not None and any(type(n) is ast.Global and subject[1] in n.names for n in nodes.in_scope(fn.body)) \
                    and stores(fn.body, subject, self.is_cache_holder):
                return True
        return False

    def seen_removed(self) -> set:
        """``memo.seen_removed`` of this module, looked for the first time a test needs it."""
        if self.removed is None:
            self.removed = seen_removed(self.tree) if self.tree is not None else set()
        return self.removed

    def released_by_key(self) -> set:
        """``memo.released_by_key`` of this module, looked for the first time a test needs it."""
        if self.released_entries is None:
            self.released_entries = released_by_key(self.tree) if self.tree is not None else set()
        return self.released_entries

    def enter_once(self, subject) -> None:
        """Entering code that runs once: the first time, until ``subject`` (a ``memo.Subject``, or
        () for a memoized function) holds its value."""
        sc = self.current_function()
        sc.once += 1
        sc.once_of.append(subject)
        sc.once_filled.discard(memo_subject(subject))

    def leave_once(self, subject) -> None:
        sc = self.current_function()
        sc.once -= 1
        sc.once_of.pop()
        if not sc.once:
            sc.once_filled.clear()

    def note_once_filled(self, node: ast.stmt) -> None:
        """A simple statement in one-time initialization that stores into the cache it fills."""
        sc = self.current_function()
        for subject in sc.once_of:
            raw = memo_subject(subject)
            if raw and raw != ("installed",) and raw not in sc.once_filled \
                    and stores((node,), raw, self.is_cache_holder, ("setdefault", "update") + SEEN_ADDS):
                sc.once_filled.add(raw)

    def guards_of(self, test: ast.AST, holds: bool) -> list:
        """The guards ``test`` being ``holds`` implies, on subjects this function has not stored into."""
        sc = self.current_function()
        if sc is None:
            return []
        facts = sc.facts
        return [g for g in self.guards.guards_of(test, holds) if g[0] not in facts
                and (g[1] != "any" or not any(x[0] in facts for d in g[2] for x in d))]

    def stmt(self, node: ast.stmt) -> None:
        t = type(node)
        sc = self.current_function()
        if sc is not None and not sc.once:
            # `state.model = None` / `CACHE.clear()` before `if state.model is None:`: re-armed every call
            sc.rearmed |= rearmed(node, self.is_cache_holder)
        if t is ast.Expr:
            self.visit(node.value)
        elif t is ast.Assign:
            fsc = self.current_function() if type(node.value) is ast.Call else None
            first = len(fsc.func.calls) if fsc is not None else 0
            self.visit(node.value, target=self._single_target(node.targets))
            value = self.type_alias(node.value) or self.derived(node) or self.expr(node.value)
            declared = self.scopes[-1].declared
            for tgt in node.targets:
                ann = declared.get(tgt.id) if declared and type(tgt) is ast.Name else None
                # a name declared with a type keeps it: ``pm: PoolManager`` then ``pm = make()``
                self.assign(tgt, ("alt", ann, value) if ann is not None else value, node.value)
            self.note_cache_read(node.targets, node.value)
            if fsc is not None and fsc.func.is_async and len(fsc.func.calls) > first \
                    and len(node.targets) == 1 and type(node.targets[0]) is ast.Name:
                site = fsc.func.calls[first]  # (the assigned call's own site comes before its arguments')
                if site.kind == "call" and not site.awaited and site.line == node.value.lineno \
                        and site.col == node.value.col_offset:
                    if fsc.pending is None:
                        fsc.pending = {}
                    fsc.pending[node.targets[0].id] = site
        elif t is ast.AnnAssign:
            if node.value is not None:
                self.visit(node.value, target=self._single_target([node.target]))
            ann = self.annotation(node.annotation)
            if ann is not None and type(node.target) is ast.Name:
                self.scopes[-1].declared[node.target.id] = ann
            value = self.expr(node.value) if node.value is not None else None
            if ann is not None and value is not None:
                combined = ("alt", ann, value)
            else:
                combined = ann or value or UNKNOWN
            self.assign(node.target, combined, node.value)
            if node.value is not None:
                self.note_cache_read([node.target], node.value)
        elif t is ast.AugAssign:
            self.visit(node.value)
            if isinstance(node.target, (ast.Attribute, ast.Subscript)):
                self.note_facts(node.target, None)
        elif t in (ast.FunctionDef, ast.AsyncFunctionDef):
            self.function(node)
        elif t is ast.ClassDef:
            self.classdef(node)
        elif t is ast.Return:
            if node.value is not None:
                self.returning = node.value
                self.visit(node.value)
                self.returning = None
                sc = self.current_function()
                if sc is not None:
                    sc.func.returns = sc.func.returns + (self.returned(node.value),)
        elif t is ast.If:
            nested = self.memo_conjunction(node)
            if nested is not None:
                # `if self._x is None and probe(db): self._x = db` runs as `if self._x is None:` around
                # `if probe(db): self._x = db`: what the rest of the test calls runs while the cache is empty
                self.stmt(nested)
                return
            self.visit(node.test)
            # `if _client is None: _client = make()`: the body runs once; `if k in CACHE: ... else:
            # CACHE[k] = load()`: the else branch does
            once = (self.memo_test(node.test, False, node.body), self.memo_test(node.test, True, node.orelse))
            self.branches([node.body, node.orelse], guards=(self.guards_of(node.test, True),
                                                           self.guards_of(node.test, False)), once=once,
                          narrow=self.narrowed(node.test), platform=_platform_test(node.test),
                          filled=(filled_queues(node.test, True), filled_queues(node.test, False)))
        elif t is ast.While:
            mark = self.loop_start()
            self.visit(node.test)
            filled = filled_queues(node.test, True) if sc is not None else []  # while not q.empty(): q.get()
            if filled:
                sc.filled.extend(filled)
            self.body(node.body)
            if filled:
                del sc.filled[len(sc.filled) - len(filled):]
            self.loop_end(mark)
            self.body(node.orelse)
        elif t in (ast.For, ast.AsyncFor):
            # ``async for x in stub.stream(req)``: what the call gives is iterated asynchronously, as an
            # awaited call's result is awaited: a call that returns an async iterator, not one that waits
            self.visit(node.iter, awaited=t is ast.AsyncFor and type(node.iter) is ast.Call)
            mark = self.loop_start()
            if t is ast.For:
                self.add_site(self.loop_site(node.iter))
            else:
                self.mark_awaits()
            self.assign(node.target, ("it", self.expr(node.iter)), None)
            self.body(node.body)
            self.loop_end(mark)
            self.body(node.orelse)
        elif t in (ast.With, ast.AsyncWith):
            if t is ast.AsyncWith:
                self.mark_awaits()
            entered = []
            for item in node.items:
                self.visit(item.context_expr)
                if t is ast.With:
                    entered.append(self.with_site(item.context_expr))
                    self.add_site(entered[-1])
                else:
                    # `async with Server(port):` awaits the __aenter__ of what it enters (a project
                    # class's runs there, as `await server.__aenter__()` would)
                    self.add_site(self.aenter_site(item.context_expr))
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, ("en", self.expr(item.context_expr)), None)
            sc = self.current_function()
            before = sc.awaits_seen if sc is not None else 0
            self.body(node.body)
            for site in entered:
                site.body_end = node.end_lineno or node.lineno
                if sc is not None and sc.awaits_seen != before:
                    site.body_awaits = True  # held across an await: another coroutine may wait for it
        elif t is ast.Try or t.__name__ == "TryStar":
            for h in node.handlers:
                if h.type is not None:
                    self.visit(h.type)
            fallback = any(catches_import_error(h) for h in node.handlers if h.type is not None)
            self.branches([list(node.body) + list(node.orelse)] + [h.body for h in node.handlers], node.handlers,
                          once_handlers=fallback and self.current_function() is not None)
            if fallback:
                # try: import pysqlite3 as sqlite3 / except ImportError: import sqlite3 (or a stub class):
                # not one value or the other at random, but the first that means something (a library
                # the catalog knows, a project object): the import tried first, else its fallback
                self.prefer_first(_imported_names(node.body))
            self.body(node.finalbody)
        elif t is ast.Import:
            for alias in node.names:
                self.imported(("m", alias.name))
                if alias.asname:
                    self.bind(alias.asname, ("m", alias.name))
                else:
                    top = alias.name.split(".", 1)[0]
                    self.bind(top, ("m", top))
        elif t is ast.ImportFrom:
            mod = node.module or ""
            for alias in node.names:
                if alias.name == "*":
                    ref = ("m", mod) if node.level == 0 else ("r", node.level, mod)
                    self.imported(ref)
                    if self.scope.kind == "module":
                        self.s.star_imports = self.s.star_imports + (ref,)
                    continue
                full = f"{mod}.{alias.name}" if mod else alias.name
                ref = ("m", full) if node.level == 0 else ("r", node.level, full)
                self.imported(ref)
                self.bind(alias.asname or alias.name, ref)
        elif t is ast.Global or t is ast.Nonlocal:
            if t is ast.Global:
                self.scope.globals_decl.update(node.names)
        elif t is ast.Match:
            self.visit(node.subject)
            for case in node.cases:
                if case.guard is not None:
                    self.visit(case.guard)
                self.body(case.body)
        elif t is ast.Raise:
            if node.exc is not None:
                self.visit(node.exc)
        elif t is ast.Assert:
            self.visit(node.test)
        elif t is ast.Delete:
            pass
        elif t.__name__ == "TypeAlias":
            ann = self.annotation(node.value)
            self.bind(node.name.id, ("tal", ann) if ann is not None else UNKNOWN)
        else:
            for child in nodes.child_nodes(node):
                if isinstance(child, ast.expr):
                    self.visit(child)
        if sc is not None and sc.once and t in _STORING:
            self.note_once_filled(node)

    def narrowed(self, test: ast.AST):
        """``isinstance(db, Engine)``: (name, its value in the branch where the test holds)."""
        if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance" \
                and len(test.args) == 2 and isinstance(test.args[0], ast.Name) \
                and isinstance(test.args[1], (ast.Name, ast.Attribute)):
            name = test.args[0].id
            return name, ("alt", ("i", self.expr(test.args[1])), self.lookup(name))
        return None

    def branches(self, branches, handlers=(), guards=None, once=(), once_handlers: bool = False, narrow=None,
                 platform: bool = False, filled=None) -> None:
        """Visit alternative branches; a name bound to different values in them becomes ``("either", ...)``.
        ``once``: for each branch, the cache (``memo.Subject``) it fills once, or None: that branch is
        one-time initialization; with ``once_handlers``, the
        ``except ImportError`` handlers are (a package installed or a fallback loaded once). With
        ``platform``, each branch runs on some platforms only (``if os.name == "nt":``): like an
        ``except`` block, off the path every run takes."""
        sc = self.scope
        if sc.kind == "class":
            for stmts in branches:
                self.body(stmts)
            return
        target = self.s.globals if sc.kind == "module" else sc.bindings
        before = dict(target)
        facts_before = dict(sc.facts)
        results, facts_after = [], []
        # the branches of an if are alternatives: an await in one has not run in another, which is still
        # before the function's first await if nothing before the if awaited (a handler, though, runs
        # after what of the try's body ran)
        exclusive = sc.kind == "function" and not handlers
        awaits_before, awaits_after = sc.awaits_seen if exclusive else 0, 0
        for i, stmts in enumerate(branches):
            if exclusive:
                sc.awaits_seen = awaits_before
            target.clear()
            target.update(before)
            sc.facts.clear()
            sc.facts.update(facts_before)
            if i >= 1 and handlers and handlers[i - 1].name:
                self.bind(handlers[i - 1].name, UNKNOWN)
            if i == 0 and narrow is not None:
                self.bind(*narrow)  # the name has that type where the isinstance test holds
            extra = list(guards[i]) if guards and sc.kind == "function" else []
            sc.guards.extend(extra)
            queues = list(filled[i]) if filled and sc.kind == "function" else []
            sc.filled.extend(queues)
            handler = bool(handlers) and i >= 1 or platform
            subject = once[i] if i < len(once) else None
            if subject is None and once_handlers and handler and handlers[i - 1].type is not None \
                    and catches_import_error(handlers[i - 1]):
                subject = ("installed",)
            if subject is not None:
                self.enter_once(subject)
            if sc.kind == "function":
                sc.handler += handler
            self.body(stmts)
            if subject is not None:
                self.leave_once(subject)
            if sc.kind == "function":
                sc.handler -= handler
            if extra:
                del sc.guards[len(sc.guards) - len(extra):]
            if queues:
                del sc.filled[len(sc.filled) - len(queues):]
            results.append(dict(target))
            facts_after.append(dict(sc.facts))
            if exclusive:
                awaits_after = max(awaits_after, sc.awaits_seen)
        if exclusive:
            sc.awaits_seen = awaits_after
        # what every branch stored alike is known after them; what some did is not
        sc.facts.clear()
        for subject in sorted(set().union(*facts_after)):  # in one order whatever the hash seed
            values = {f.get(subject) for f in facts_after}
            sc.facts[subject] = values.pop() if len(values) == 1 else (subject, "dirty", None, True, RAW)
        if len(results) == 1:
            results.append(before)
        merged = {}
        if narrow is not None and results[0].get(narrow[0]) == narrow[1]:
            # narrowed by isinstance only: after the if, the name is what it was
            results[0][narrow[0]] = before.get(narrow[0], UNKNOWN)
        first, rest = results[0], results[1:]
        for name in sorted(set().union(*results)):
            unset = before.get(name, UNKNOWN)
            value = first.get(name, unset)
            for r in rest:
                other = r.get(name, unset)
                if other is not value and other != value:  # (most names keep the very value they had)
                    value = ("either", value, other)
            merged[name] = _bounded(value)
        target.clear()
        target.update(merged)

    def prefer_first(self, names) -> None:
        sc = self.scope
        target = self.s.globals if sc.kind == "module" else sc.bindings
        for name in names:
            value = target.get(name)
            if value is not None and value[0] == "either":
                target[name] = ("alt", value[1], value[2])

    @staticmethod
    def _single_target(targets) -> Optional[str]:
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            return targets[0].id
        return None

    def loop_site(self, it: ast.AST) -> CallSite:
        return CallSite(
            line=it.lineno, col=it.col_offset, end_line=it.end_lineno or it.lineno,
            end_col=it.end_col_offset or it.col_offset, kind="iter", callee=self.expr(it), text=dotted_text(it),
        )

    def with_site(self, ctx: ast.AST) -> CallSite:
        return CallSite(
            line=ctx.lineno, col=ctx.col_offset, end_line=ctx.end_lineno or ctx.lineno,
            end_col=ctx.end_col_offset or ctx.col_offset, kind="with", callee=self.expr(ctx), text=dotted_text(ctx),
            fresh=self.fresh(ctx, ctx), private=self.private(ctx),
        )

    def private(self, ctx: ast.AST) -> str:
        """``CallSite.private`` of a ``with`` entering ``ctx``."""
        if type(ctx) is not ast.Name:
            return ""
        for sc in reversed(self.scopes):
            if sc.kind != "function":
                continue
            if ctx.id in sc.globals_decl or sc.node is None:
                return ""
            if ctx.id in sc.bindings:
                key = (id(sc.node), ctx.id)  # (the tree lives as long as this summarizer)
                got = self.private_locals.get(key)
                if got is None:
                    got = self.private_locals[key] = private_local(sc.node, ctx.id)
                return f"{sc.qualname}:{ctx.id}" if got else ""
        return ""

    def aenter_site(self, ctx: ast.AST) -> CallSite:
        return CallSite(
            line=ctx.lineno, col=ctx.col_offset, end_line=ctx.end_lineno or ctx.lineno,
            end_col=ctx.end_col_offset or ctx.col_offset, kind="call", callee=("a", self.expr(ctx), "__aenter__"),
            text=f"{dotted_text(ctx)}.__aenter__", awaited=True,
        )

    def loop_start(self):
        """Where a loop's sites begin, and how many awaits came before it (see ``loop_end``)."""
        sc = self.current_function()
        return (len(sc.func.calls), sc.awaits_seen) if sc is not None else None

    def loop_end(self, mark) -> None:
        """A loop that awaits runs its sites again after an await: they are not before the first one."""
        sc = self.current_function()
        if mark is not None and sc is not None and sc.awaits_seen != mark[1]:
            for site in sc.func.calls[mark[0]:]:
                site.before_await = False

    def mark_awaits(self) -> None:
        sc = self.current_function()
        if sc is not None:
            sc.func.awaits = True
            sc.awaits_seen += 1

    def assign(self, target: ast.AST, value: Expr, value_node: Optional[ast.AST]) -> None:
        t = type(target)
        if t is ast.Name:
            if value == UNKNOWN and self.scope.kind == "function":
                # a local of no known value: still the same one where it is used; a str when an f-string
                value = ("text", target.id, literal_head(value_node)) if type(value_node) is ast.JoinedStr \
                    else ("lv", target.id)
            self.bind(target.id, value)
            sc = self.scope
            if sc.pending:
                sc.pending.pop(target.id, None)  # bound anew: awaiting it awaits something else
            entries = _written_keywords(value_node)
            if entries:
                if sc.spreads is None:
                    sc.spreads = {}
                sc.spreads[target.id] = entries
            elif sc.spreads:
                sc.spreads.pop(target.id, None)
        elif t in (ast.Tuple, ast.List):
            elts = target.elts
            if value_node is not None and type(value_node) in (ast.Tuple, ast.List) and len(value_node.elts) == len(elts):
                for sub, vnode in zip(elts, value_node.elts):
                    self.assign(sub, self.expr(vnode), vnode)
            else:
                for i, sub in enumerate(elts):
                    if value[0] == "it":
                        part = ("it", value)
                    elif value[0] == "c" or value[0] == "aw" and value[1][0] == "c":
                        # fd, path = tempfile.mkstemp(), client, db = make_clients() (also at module
                        # level, and awaited): what that call gave
                        part = ("part", value, i)
                    else:
                        part = UNKNOWN
                    self.assign(sub, part, None)
        elif t is ast.Starred:
            self.assign(target.value, UNKNOWN, None)
        elif t is ast.Attribute:
            base = target.value
            self.note_facts(target, value_node)
            if isinstance(base, ast.Name):
                self.visit(base)
                recv = self.lookup(base.id)
                if recv[0] in ("self", "cls"):
                    cls = self.s.classes.get(recv[1])
                    if cls is not None:
                        cls.attrs[target.attr] = cls.attrs.get(target.attr, ()) + (_bounded(value),)
            else:
                self.visit(base)
            if target.attr in _STORED_ATTRS:
                self.add_site(CallSite(line=target.lineno, col=target.col_offset,
                                       end_line=target.end_lineno or target.lineno,
                                       end_col=target.end_col_offset or target.col_offset, kind="store",
                                       callee=self.expr(target), text=dotted_text(target), args=(_bounded(value),)))
        elif t is ast.Subscript:
            self.note_facts(target, value_node)
            self.visit(target.value)
            self.visit(target.slice)

    def note_facts(self, target: ast.AST, value_node: Optional[ast.AST]) -> None:
        sc = self.current_function()
        if sc is not None:
            for subject, fact in self.guards.facts_of_store(target, value_node):
                sc.facts[subject] = fact
                sc.aliases.pop(subject, None)
            alias = self.guards.parameter_stored(target, value_node)
            if alias is not None:
                # self.plugins_dir = plugins_dir: a test of self.plugins_dir is a test of the parameter
                sc.facts.pop(alias[0], None)
                sc.aliases[alias[0]] = alias[1]

    # ---------------------------------------------------- expression visiting
    def visit(self, node: Optional[ast.AST], awaited: bool = False, target: Optional[str] = None) -> None:
        """Record the call sites inside an expression (not inside nested scopes)."""
        if node is None:
            return
        t = type(node)
        if t is ast.Name or t is ast.Constant:
            return
        if t is ast.Call:
            self.add_site(self.call_site(node, awaited, target))
            func = node.func
            # a called attribute is a method, not a property read: visit only its receiver
            self.visit(func.value if type(func) is ast.Attribute else func)
            for a in node.args:
                self.visit(a)
            for k in node.keywords:
                self.visit(k.value)
            return
        if t is ast.Await:
            if type(node.value) is ast.Name:
                self.mark_awaits()
                sc = self.current_function()
                site = sc.pending.pop(node.value.id, None) if sc is not None and sc.pending else None
                if site is not None:
                    site.awaited = True  # ``call = stub.Get(req)`` ... ``await call``: it gave an awaitable
                return
            # what the awaited expression calls (its receiver, its arguments: ``await show(sys.stdin.read())``)
            # runs before it suspends; the awaited call itself is counted after the await, as it may
            sc = self.current_function()
            first = len(sc.func.calls) if sc is not None else 0
            self.visit(node.value, awaited=True)
            if sc is not None and sc.awaits_seen == 0 and first < len(sc.func.calls) \
                    and sc.func.calls[first].awaited:
                sc.func.calls[first].before_await = False
            self.mark_awaits()
            return
        if t is ast.Lambda:
            self.lambda_(node)
            return
        if t in (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp):
            self.comprehension(node)
            return
        if t is ast.NamedExpr:
            self.visit(node.value)
            self.assign(node.target, self.expr(node.value), node.value)
            return
        if t in (ast.Yield, ast.YieldFrom):
            sc = self.current_function()
            if sc is not None:
                sc.func.is_generator = True
                if node.value is not None:
                    value = self.expr(node.value)
                    sc.func.returns = sc.func.returns + (value if t is ast.Yield else ("it", value),)
            self.visit(node.value)
            return
        if t is ast.Attribute:
            if isinstance(node.value, ast.Name) and isinstance(node.ctx, ast.Load):
                # possibly a property getter: self.x, or obj.x on a local object
                recv = self.lookup(node.value.id)
                if recv[0] not in ("d", "u", "p", "s"):
                    self.add_site(CallSite(
                        line=node.lineno, col=node.col_offset, end_line=node.end_lineno or node.lineno,
                        end_col=node.end_col_offset or node.col_offset, kind="attr",
                        callee=("a", recv, node.attr), text=f"{node.value.id}.{node.attr}",
                    ))
            self.visit(node.value)
            return
        if (t is ast.IfExp or t is ast.BoolOp) and self.scopes[-1].kind == "function":
            self.conditional(node)
            return
        fields = _EXPR_CHILDREN.get(t)
        if fields is not None:
            visit = self.visit
            for name in fields:
                child = getattr(node, name)
                if type(child) is list:
                    for c in child:
                        visit(c)
                else:
                    visit(child)
            return
        for child in nodes.child_nodes(node):
            self.visit(child)

    def conditional(self, node) -> None:
        """``fut.result() if fut.done() else None``, ``fut.done() and fut.result()``,
        ``local_only or remote.get(key)``: a part that runs only when a test before it holds (or, after
        ``or``, fails) is visited under the guards and filled queues that test gives, as an ``if`` body."""
        sc = self.scopes[-1]
        if type(node) is ast.IfExp:
            self.visit(node.test)
            parts = ((node.body, node.test, True), (node.orelse, node.test, False))
        else:
            values = node.values
            self.visit(values[0])
            holds = isinstance(node.op, ast.And)
            parts = tuple((v, before, holds) for before, v in zip(values, values[1:]))
        guards, filled = [], []
        for part, test, holds in parts:
            # after `a and b and c`, c runs when both a and b held: the tests pile up
            if type(node) is ast.IfExp:
                guards, filled = self.guards_of(test, holds), filled_queues(test, holds)
            else:
                guards = guards + self.guards_of(test, holds)
                filled = filled + filled_queues(test, holds)
            sc.guards.extend(guards)
            sc.filled.extend(filled)
            self.visit(part)
            if guards:
                del sc.guards[len(sc.guards) - len(guards):]
            if filled:
                del sc.filled[len(sc.filled) - len(filled):]

    def comprehension(self, node) -> None:
        gens = node.generators
        is_genexp = type(node) is ast.GeneratorExp
        for i, gen in enumerate(gens):
            self.visit(gen.iter)
            if gen.is_async:
                self.mark_awaits()
            elif not (is_genexp and i > 0):
                self.add_site(self.loop_site(gen.iter))
            self.assign(gen.target, ("it", self.expr(gen.iter)), None)
            for cond in gen.ifs:
                self.visit(cond)
        if type(node) is ast.DictComp:
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)

    # ------------------------------------------------------------- functions
    def params(self, args: ast.arguments, cls_scope: Optional[_Scope], kind: str) -> tuple:
        out = []
        positional = list(args.posonlyargs) + list(args.args)
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        for i, (a, d) in enumerate(zip(positional, defaults)):
            out.append(Param(a.arg, self.annotation(a.annotation), self.default(d), "pos"))
        if args.vararg is not None:
            out.append(Param(args.vararg.arg, None, None, "vararg"))
        for a, d in zip(args.kwonlyargs, args.kw_defaults):
            out.append(Param(a.arg, self.annotation(a.annotation), self.default(d), "kwonly"))
        if args.kwarg is not None:
            out.append(Param(args.kwarg.arg, None, None, "kwarg"))
        return tuple(out)

    def default(self, d) -> Optional[Expr]:
        if d is None:
            return None
        if type(d) is ast.Constant:
            return self.simple_arg(d) or UNKNOWN  # literals matter to guards (path=None)
        return self.expr(d)

    def decorator_sites(self, decorators) -> tuple:
        sites = []
        for d in decorators:
            if isinstance(d, ast.Call):
                site = self.call_site(d, False)
                site.kind = "decorator"
            else:
                site = CallSite(
                    line=d.lineno, col=d.col_offset, end_line=d.end_lineno or d.lineno,
                    end_col=d.end_col_offset or d.col_offset, kind="decorator-ref",
                    callee=self.expr(d), text=dotted_text(d),
                )
            sites.append(site)
        return tuple(sites)

    def function(self, node) -> None:
        for d in node.decorator_list:
            # calls inside decorator arguments run at definition time, in the enclosing scope
            if isinstance(d, ast.Call):
                for a in d.args:
                    self.visit(a)
                for k in d.keywords:
                    self.visit(k.value)
        for d in node.args.defaults + [x for x in node.args.kw_defaults if x is not None]:
            if not (isinstance(d, ast.Call) and self.expr(d)[0] == "dep"):
                self.visit(d)
        parent_scope = self.scope
        qualname = self.qual(node.name)
        deco_names = {
            (d.id if isinstance(d, ast.Name) else d.attr if isinstance(d, ast.Attribute) else "") for d in node.decorator_list
        }
        in_class = parent_scope.kind == "class"
        if in_class:
            if "staticmethod" in deco_names:
                kind = "staticmethod"
            elif "classmethod" in deco_names:
                kind = "classmethod"
            elif "property" in deco_names or "cached_property" in deco_names:
                kind = "property"
            else:
                kind = "method"
        else:
            kind = "function"
        fn = FunctionSummary(
            qualname=qualname,
            name=node.name,
            is_async=isinstance(node, ast.AsyncFunctionDef),
            line=node.lineno,
            col=node.col_offset,
            end_line=node.end_lineno or node.lineno,
            class_name=parent_scope.qualname if in_class else None,
            parent=parent_scope.qualname if parent_scope.kind == "function" else None,
            decorators=self.decorator_sites(node.decorator_list),
            kind=kind,
        )
        fn.params = self.params(node.args, parent_scope if in_class else None, kind)
        fn.return_annotation = self.annotation(node.returns)
        fn.is_stub = _is_stub(node.body)
        fn.exit_tails = _exit_tails(node)
        fn.predicate = self.guards.predicate_of(node)
        accessor = in_class and _accessor_of(node)
        if accessor:
            # ``@client.setter def client(...)``: the property's setter or deleter, under a name of its
            # own; ``client`` still names the getter (what reading ``obj.client`` gives)
            qualname = fn.qualname = f"{qualname}@{node.lineno}"
        earlier = self.s.functions.get(qualname)
        if earlier is not None:
            # redefined (conditional defs, two routes with one name): both run, the name means the last
            earlier.qualname = f"{qualname}@{earlier.line}"
            self.s.functions[earlier.qualname] = earlier
        self.s.functions[qualname] = fn
        if not accessor:
            if in_class and parent_scope.cls is not None:
                parent_scope.cls.methods = parent_scope.cls.methods + (node.name,)
            self.bind(node.name, ("d", qualname))

        scope = _Scope("function", qualname, func=fn)
        scope.node = node
        scope.params = {p.name for p in fn.params}
        scope.once = int(decorator_memoizes(node.decorator_list))  # functools.cache & co: the body runs once
        if scope.once and any(p.name not in ("self", "cls") for p in fn.params):
            scope.once_of = [("keyed",)]  # ... once per argument

        def summarize_body(late: dict = None) -> None:
            if late:
                # each late name: what the enclosing function binds it to last, or, when it was bound
                # already where the closure was defined, either value
                final = {n: parent_scope.bindings.get(n) for n in late}
                for n, before in late.items():
                    after = final[n]
                    if before is not None and after is not None and after != before:
                        parent_scope.bindings[n] = _bounded(("either", before, after))
            self.scopes.append(scope)
            try:
                for i, p in enumerate(fn.params):
                    if in_class and i == 0 and kind in ("method", "property") and p.kind == "pos":
                        scope.bindings[p.name] = ("self", parent_scope.qualname)
                    elif in_class and i == 0 and kind == "classmethod" and p.kind == "pos":
                        scope.bindings[p.name] = ("cls", parent_scope.qualname)
                    else:
                        scope.bindings[p.name] = self.param_value(p)
                self.body(node.body)
                # closures over names bound after their def: now that every binding is known
                for deferred, late_here in scope.deferred:
                    deferred(late_here)
                scope.deferred.clear()  # (each closes over this scope: a cycle holding the tree)
            finally:
                self.scopes.pop()
                if late:
                    parent_scope.bindings.update((n, a) for n, a in final.items() if a is not None)

        late = self.late_names(parent_scope, node) if parent_scope.kind == "function" else None
        if late:
            # `async def inner(): staging.exists()` ... `staging = Path(...)`: a closure reads the name
            # when it runs, after the enclosing function bound it: summarize it at the end of that body
            parent_scope.deferred.append((summarize_body, late))
        else:
            summarize_body()

    @staticmethod
    def late_names(parent: _Scope, node) -> dict:
        """The names the nested function ``node`` reads that ``parent`` (the enclosing function) binds
        further on, each with what it is bound to where ``node`` is defined (None: not bound yet)."""
        if parent.node is None:
            return {}
        if parent.bound_later is None:
            parent.bound_later = _own_bindings(parent.node.body)
        end = node.end_lineno or node.lineno
        later = {n for n, line in parent.bound_later.items() if line > end}
        if not later:
            return {}
        return {n.id: parent.bindings.get(n.id) for n in ast.walk(node) if type(n) is ast.Name and n.id in later}

    @staticmethod
    def param_value(p: Param) -> Expr:
        ann, default = p.annotation, p.default
        if default is not None and default[0] != "dep":
            default = None
        if ann is not None and default is not None:
            return ("alt", ann, default)
        if ann is not None:
            return ("alt", ann, ("p", p.name))  # typed, and still known to be this parameter
        if default is not None:
            return default
        return ("p", p.name)

    def lambda_(self, node: ast.Lambda) -> None:
        qualname = self.lambda_name(node)
        fn = FunctionSummary(
            qualname=qualname, name="<lambda>", is_async=False, line=node.lineno, col=node.col_offset,
            end_line=node.end_lineno or node.lineno,
            parent=self.scope.qualname if self.scope.kind == "function" else None, kind="lambda",
        )
        fn.params = self.params(node.args, None, "lambda")
        self.s.functions[qualname] = fn
        scope = _Scope("function", qualname, func=fn)
        self.scopes.append(scope)
        try:
            for p in fn.params:
                scope.bindings[p.name] = self.param_value(p)
            self.visit(node.body)
            fn.returns = (self.expr(node.body),)
        finally:
            self.scopes.pop()

    def classdef(self, node: ast.ClassDef) -> None:
        for b in node.bases:
            self.visit(b)
        qualname = self.qual(node.name)
        cls = ClassSummary(
            qualname=qualname, name=node.name, line=node.lineno,
            bases=tuple(self.expr(b) for b in node.bases),
            decorators=self.decorator_sites(node.decorator_list),
        )
        self.s.classes[qualname] = cls
        self.bind(node.name, ("d", qualname))
        scope = _Scope("class", qualname, cls=cls)
        scope.node = node
        self.scopes.append(scope)
        try:
            self.body(node.body)
        finally:
            self.scopes.pop()
