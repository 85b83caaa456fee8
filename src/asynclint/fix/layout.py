"""Where a module's statements and functions are, and what it binds at module level.

Read with Python's ``ast`` (files with syntax newer than the interpreter are
lowered first, keeping their lines), which is several times faster than a
LibCST parse: the fixer then parses with LibCST only the functions it
rewrites and the imports, so that fixing one function of a large file costs
what that function costs.
"""

from __future__ import annotations

import ast
import bisect
import gc
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """One top-level statement, decorators included (or several sharing a line: ``a = 1; b = 2``)."""

    start: int  # first line, 1-based
    end: int  # last line
    imports: bool  # holds an import statement
    future: bool  # holds only ``from __future__`` imports


@dataclass(frozen=True)
class Function:
    """A function definition, decorators included."""

    start: int  # first line
    end: int  # last line
    indent_unit: str  # what its body is indented by, relative to the ``def``; "" when it is on one line


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass
class Layout:
    units: list  # Unit, in order
    bound: set  # names bound at module level
    tree: ast.Module
    lines: list  # the text's lines, line endings included
    lowered: bool = False  # ``tree`` is of the text lowered from syntax newer than this interpreter

    def __post_init__(self) -> None:
        self._starts = [u.start for u in self.units]

    def unit_at(self, line: int) -> int:
        """Index of the unit holding ``line``, or -1."""
        i = bisect.bisect_right(self._starts, line) - 1
        return i if i >= 0 and line <= self.units[i].end else -1

    def function_at(self, line: int, on_def_line: bool = False):
        """The innermost function whose body holds ``line`` (or, with ``on_def_line``, whose ``def``
        keyword is on it), or None."""
        found = None
        nodes = self.tree.body
        while nodes:
            inner = []
            for node in nodes:
                if not _holds(node, line):
                    continue
                if isinstance(node, _FUNCTIONS) and (
                    (on_def_line and node.lineno == line) or _start(node.body[0]) <= line
                ):
                    found = node
                inner = _children(node)
                break
            nodes = inner
        if found is None:
            return None
        return Function(_start(found), found.end_lineno, self._indent_unit(found))

    def _indent_unit(self, fn) -> str:
        first = _start(fn.body[0])
        if first == fn.lineno:
            return ""
        def_indent = _leading_space(self.lines[_start(fn) - 1])
        body_indent = _leading_space(self.lines[first - 1])
        return body_indent[len(def_indent):] if body_indent.startswith(def_indent) else ""


def read_layout(text: str, lines: list) -> Layout:
    """``lines``: the text's lines. Raises SyntaxError (or the summarizer's ParseFailure) when the
    text does not parse."""
    lowered = False
    try:
        tree = parse_quietly(text)
    except SyntaxError as exc:
        from ..summarize.downgrade import lower_to_ast

        tree, lowered = lower_to_ast(text, exc), True
    units: list = []
    for stmt in tree.body:
        start = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", ())])
        end = stmt.end_lineno or stmt.lineno
        imports = isinstance(stmt, (ast.Import, ast.ImportFrom))
        future = isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"
        if units and start <= units[-1].end:
            last = units.pop()
            units.append(Unit(last.start, max(end, last.end), last.imports or imports, last.future and future))
        else:
            units.append(Unit(start, end, imports, future))
    return Layout(units, module_bindings(tree), tree, lines, lowered)


def parse_quietly(text: str) -> ast.Module:
    """``ast.parse`` with the cyclic collector off meanwhile: a syntax tree holds no cycles, and the
    collections its many new objects set off would walk the trees made before it (a second
    parse of a 600 KB module took 2.4 times the first)."""
    was = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(text)
    finally:
        if was:
            gc.enable()


def _start(node) -> int:
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])


def _holds(node, line: int) -> bool:
    return getattr(node, "lineno", None) is not None and _start(node) <= line <= (node.end_lineno or node.lineno)


def _children(node) -> list:
    """The statements (and handlers, cases) directly inside a compound statement."""
    out = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.match_case):  # no position of its own
            out.extend(child.body)
        elif isinstance(child, (ast.stmt, ast.excepthandler)):
            out.append(child)
    return out


def _leading_space(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" \t"))]


def module_bindings(tree: ast.Module) -> set:
    """Names bound at module level: imports, assignments, functions, classes, and the names
    bound inside top-level ``if``/``try``/``with``/``for`` blocks (not inside functions)."""
    out: set = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            _bind_aliases(stmt, out)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                out |= _names(target)
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
            out |= _names(stmt.target)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(stmt.name)
        else:
            _bind_nested(stmt, out)
    return out


def _bind_nested(node, out: set) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(child.name)
            continue
        if isinstance(child, ast.Assign):
            for target in child.targets:
                out |= _names(target)
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            _bind_aliases(child, out)
        elif isinstance(child, ast.withitem) and child.optional_vars is not None:
            out |= _names(child.optional_vars)
        elif isinstance(child, ast.ExceptHandler) and child.name:
            out.add(child.name)
        _bind_nested(child, out)


def _bind_aliases(stmt, out: set) -> None:
    for alias in stmt.names:
        if alias.name == "*":
            continue
        out.add(alias.asname or alias.name.split(".")[0])


def _names(node) -> set:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
