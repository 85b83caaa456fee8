"""The module's imports, and the ones the rewrites add.

``Imports.ref("asyncio", "sleep")`` is the source text that names
``asyncio.sleep`` in this module: through an existing ``import asyncio`` (or
its alias) or ``from asyncio import sleep``; else by merging ``sleep`` into an
existing ``from asyncio import ...``; else by adding ``import asyncio`` next
to the module's other imports (standard library before third party, sorted
within the group). None when a name the import needs is already taken.
"""

from __future__ import annotations

import sys
from typing import Optional

import libcst as cst

from .nodes import comma_like, dotted

STDLIB = set(getattr(sys, "stdlib_module_names", ())) | {"__future__"}


class Imports:
    """What the top-level import statements bind, and the imports to add.

    ``statements``: the module's top-level statements holding an import, in
    order (LibCST nodes; a ``from`` import may receive new names). ``bound``:
    every name bound at module level (``layout.module_bindings``)."""

    def __init__(self, statements, bound: set):
        self.module_alias: dict = {}  # module -> bound name (``import asyncio as aio``)
        self.from_names: dict = {}  # (module, name) -> bound name
        self.from_stmts: dict = {}  # module -> its first ``from module import`` (no star)
        self.bound: set = set(bound)
        self.add_modules: list = []  # modules to import
        self.merge: dict = {}  # id(ImportFrom) -> names to add to it
        for stmt in statements:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Import):
                        self._read_import(small)
                    elif isinstance(small, cst.ImportFrom):
                        self._read_import_from(small)

    def _read_import(self, small: cst.Import) -> None:
        for alias in small.names:
            full = dotted(alias.name)
            self.module_alias.setdefault(full, alias.asname.name.value if alias.asname is not None else full)

    def _read_import_from(self, small: cst.ImportFrom) -> None:
        if isinstance(small.names, cst.ImportStar):
            return
        mod = None if small.relative or small.module is None else dotted(small.module)
        if not mod:
            return
        for alias in small.names:
            name = dotted(alias.name)
            self.from_names.setdefault((mod, name), alias.asname.name.value if alias.asname is not None else name)
        if mod not in self.from_stmts and mod != "__future__":
            self.from_stmts[mod] = small

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
            self.from_names[(module, name)] = name
            self.bound.add(name)
            return name
        base = self.ref(module)
        return f"{base}.{name}" if base else None

    def existing(self, module: str, name: str) -> Optional[str]:
        """How the module already names ``module.name``, without importing anything."""
        if module in self.module_alias:
            return f"{self.module_alias[module]}.{name}"
        return self.from_names.get((module, name))

    # -- applying
    def merge_into(self, original: cst.ImportFrom, node: cst.ImportFrom) -> cst.ImportFrom:
        names = self.merge.get(id(original))
        if not names or isinstance(node.names, cst.ImportStar):
            return node
        aliases = list(node.names)
        for name in names:
            last = aliases[-1]
            if isinstance(last.comma, cst.Comma):
                # trailing comma (parenthesised list): the new name takes it, the old one takes the previous style
                prev = comma_like(aliases[:-1]) if len(aliases) > 1 else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                aliases[-1] = last.with_changes(comma=prev)
                aliases.append(cst.ImportAlias(name=cst.Name(name), comma=last.comma))
            else:
                aliases[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                aliases.append(cst.ImportAlias(name=cst.Name(name)))
        return node.with_changes(names=aliases)

    def add_to(self, module: cst.Module) -> cst.Module:
        """``module`` (the start of the file) with the new ``import`` statements."""
        if not self.add_modules:
            return module
        body = list(module.body)
        for mod in self.add_modules:
            body = _insert_import(body, mod)
        return module.with_changes(body=body)


def _import_info(stmt):
    """(group, sort key) of a top-level import statement, or None."""
    if not isinstance(stmt, cst.SimpleStatementLine) or not stmt.body:
        return None
    small = stmt.body[0]
    if not all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body):
        return None
    if isinstance(small, cst.Import):
        name = dotted(small.names[0].name) or ""
    else:
        if small.relative:
            return ("local", "")
        name = dotted(small.module) if small.module is not None else ""
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
        return _insert_after(body, stdlib[-1], new.with_changes(leading_lines=[cst.EmptyLine()]))
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
