"""Keeping the file's line length: a call a rewrite made too long is split over lines, as black would.

The limit is the project's (``line-length`` of ``[tool.ruff]`` or ``[tool.black]``,
flake8's ``max-line-length``), else the one the file keeps to (the smallest
usual limit that at most a handful of its lines exceed). Only calls the
rewrites wrote are split: first their arguments on one line of their own,
then, when that is still too long, one argument per line with a trailing
comma. Calls whose arguments already span lines are left as they are.
"""

from __future__ import annotations

import configparser
import os
from typing import Optional

import libcst as cst

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

USUAL_LIMITS = (79, 88, 100, 110, 120, 127, 140, 150, 160, 180, 200)


def configured_line_length(root: Optional[str]) -> Optional[int]:
    """``line-length`` from ``pyproject.toml`` (ruff, black), else flake8's ``max-line-length``."""
    if not root:
        return None
    try:
        with open(os.path.join(root, "pyproject.toml"), "rb") as fh:
            tool = tomllib.load(fh).get("tool", {})
    except (OSError, ValueError):
        tool = {}
    for section in (tool.get("ruff", {}), tool.get("black", {})):
        value = section.get("line-length") if isinstance(section, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    for name in (".flake8", "setup.cfg", "tox.ini"):
        parser = configparser.ConfigParser()
        try:
            parser.read(os.path.join(root, name), encoding="utf-8")
            value = parser.get("flake8", "max-line-length", fallback=None) or \
                parser.get("flake8", "max_line_length", fallback=None)
        except (configparser.Error, UnicodeError):
            continue
        if value and value.strip().isdigit():
            return int(value.strip())
    return None


def file_line_length(text: str) -> int:
    """The limit the file keeps to: the smallest usual one that at most one line in 500 exceeds (a long
    URL in a large file does not make its limit)."""
    lengths = [len(line) for line in text.splitlines()]
    allowed = len(lengths) // 500
    for limit in USUAL_LIMITS:
        if sum(1 for n in lengths if n > limit) <= allowed:
            return limit
    return max(lengths, default=USUAL_LIMITS[-1])


def wrap_long_calls(module: cst.Module, created: set, limit: int) -> cst.Module:
    """``module`` with the calls ``created`` (their ids) split where their statement is too long."""
    if not created:
        return module
    return module.visit(_Wrap(module, created, limit))


def _ws(indent: str) -> cst.ParenthesizedWhitespace:
    """A line break inside brackets, then the block's indentation and ``indent``."""
    return cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), empty_lines=[], indent=True,
                                       last_line=cst.SimpleWhitespace(indent))


class _Wrap(cst.CSTTransformer):
    def __init__(self, module: cst.Module, created: set, limit: int):
        super().__init__()
        self.module = module
        self.created = created
        self.limit = limit
        self.unit = module.default_indent
        self.indents: list = []

    def visit_IndentedBlock(self, node) -> bool:
        self.indents.append(node.indent if node.indent is not None else self.unit)
        return True

    def leave_IndentedBlock(self, original, updated):
        self.indents.pop()
        return updated

    def _width(self, node) -> int:
        indent = len("".join(self.indents))
        code = self.module.code_for_node(node)
        return max((indent + len(line) for line in code.splitlines()), default=0)

    def visit_SimpleStatementLine(self, node) -> bool:
        return False  # its nodes stay the ones the rewrites made (``created`` holds their ids)

    def leave_SimpleStatementLine(self, original, updated):
        for _ in range(4):  # a split may leave a line that another split shortens
            if self._width(updated.with_changes(leading_lines=[])) <= self.limit:
                break
            small = updated.body[0] if len(updated.body) == 1 else None
            split = self._split(getattr(small, "value", None) or getattr(small, "exc", None), updated)
            if split is None:
                break
            updated = updated.deep_replace(split[0], split[1])
        return updated

    def leave_If(self, original, updated):
        return self._header(original, updated, "test", "if ")

    def leave_While(self, original, updated):
        return self._header(original, updated, "test", "while ")

    def leave_For(self, original, updated):
        target = self.module.code_for_node(original.target)
        return self._header(original, updated, "iter", f"{'async ' if original.asynchronous else ''}for {target} in ")

    def leave_With(self, original, updated):
        if len(original.items) != 1 or id(original.items[0].item) not in self.created:
            return updated
        item = original.items[0]
        keyword = "async with " if original.asynchronous else "with "
        indent = len("".join(self.indents))
        if indent + len(keyword) + len(self.module.code_for_node(item)) + 1 <= self.limit:
            return updated
        call = item.item
        if not call.args or "\n" in self.module.code_for_node(call):
            return updated
        hugged = _hug(call, self.unit)
        lines = self.module.code_for_node(item.with_changes(item=hugged)).splitlines()
        fits = indent + len(keyword) + len(lines[0]) <= self.limit and \
            all(indent + len(line) + 1 <= self.limit for line in lines[1:])
        new = hugged if fits else _one_per_line(call, self.unit)
        return updated.with_changes(items=[updated.items[0].with_changes(item=new)])

    def _header(self, original, updated, field: str, keyword: str):
        """A compound statement whose first line (``if <test>:``) a rewrite made too long."""
        expr = getattr(original, field)  # the rewrites' nodes: this pass changes nothing inside expressions
        indent = len("".join(self.indents))

        def width(e) -> int:
            lines = self.module.code_for_node(e).splitlines() or [""]
            first = indent + len(keyword) + len(lines[0]) + (1 if len(lines) == 1 else 0)
            return max([first] + [indent + len(line) + 1 for line in lines[1:]])

        if width(expr) <= self.limit:
            return updated
        split = self._split(expr, expr, width)
        return updated if split is None else updated.with_changes(**{field: expr.deep_replace(split[0], split[1])})

    def _split(self, value, node, width=None):
        """(call, its split form) for the statement or expression ``node``, or None: the call whose
        closing bracket ends the line (black's right-hand split), else the first call a rewrite wrote."""
        if value is None or not _holds_created(node, self.created):
            return None
        width = width or (lambda n: self._width(n.with_changes(leading_lines=[])))
        if isinstance(value, cst.IfExp) and not value.lpar:
            # x = (\n    a\n    if c\n    else b\n)
            new = value.with_changes(lpar=[cst.LeftParen(whitespace_after=_ws(self.unit))],
                                     rpar=[cst.RightParen(whitespace_before=_ws(""))],
                                     whitespace_before_if=_ws(self.unit), whitespace_before_else=_ws(self.unit))
            if width(node.deep_replace(value, new)) <= self.limit:
                return value, new
        if isinstance(value, (cst.Dict, cst.List, cst.Set, cst.Tuple)) and value.elements and \
                "\n" not in self.module.code_for_node(value):
            new = _explode_collection(value, self.unit)  # {\n    "a": 1,\n    "b": 2,\n}
            return value, self._fit_elements(new)
        candidates = [c for c in (_trailing_call(value), _outermost(node, self.created)) if c is not None]
        for call in candidates:
            if "\n" in self.module.code_for_node(call) or not call.args:
                continue
            for style in (_hug, _one_per_line):
                new = style(call, self.unit)
                if style is _one_per_line or width(node.deep_replace(call, new)) <= self.limit:
                    return call, new
        return None


    def _fit_elements(self, collection):
        """An exploded collection whose element lines still run over: their trailing calls split, one
        indentation level deeper."""
        indent = len("".join(self.indents)) + len(self.unit)
        elements = []
        for e in collection.elements:
            if any(indent + len(line) > self.limit for line in self.module.code_for_node(e).splitlines()):
                call = _trailing_call(e.value)
                if call is not None and call.args and "\n" not in self.module.code_for_node(call):
                    hugged = _hug(call, self.unit, 1)
                    lines = self.module.code_for_node(e.deep_replace(call, hugged)).splitlines()
                    fits = all(indent + len(line) <= self.limit for line in lines)
                    e = e.deep_replace(call, hugged if fits else _one_per_line(call, self.unit, 1))
            elements.append(e)
        return collection.with_changes(elements=elements)


def _holds_created(node, ids: set) -> bool:
    return _outermost(node, ids) is not None


def _trailing_call(e):
    """The call whose arguments end expression ``e`` (``not x.startswith(y)`` -> ``x.startswith(y)``)."""
    for _ in range(50):
        if isinstance(e, cst.Call):
            return e
        if isinstance(e, (cst.Await, cst.UnaryOperation)):
            e = e.expression
        elif isinstance(e, (cst.BinaryOperation, cst.BooleanOperation)):
            e = e.right
        elif isinstance(e, cst.Comparison):
            e = e.comparisons[-1].comparator
        else:
            return None
    return None


def _outermost(node, ids: set):
    found = []

    class _Find(cst.CSTVisitor):
        def on_visit(self, n) -> bool:
            if id(n) in ids and isinstance(n, cst.Call):
                found.append(n)
                return False
            return True

    node.visit(_Find())
    return found[0] if found else None


def _hug(call: cst.Call, unit: str, depth: int = 0) -> cst.Call:
    """``f(\\n    a, b, c\\n)``; ``depth``: brackets the call is in that already span lines."""
    args = list(call.args)
    last = args[-1]
    if isinstance(last.comma, cst.Comma):
        args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=_ws(unit * depth)))
    else:
        args[-1] = last.with_changes(whitespace_after_arg=_ws(unit * depth))
    return call.with_changes(whitespace_before_args=_ws(unit * (depth + 1)), args=args)


def _one_per_line(call: cst.Call, unit: str, depth: int = 0) -> cst.Call:
    """``f(\\n    a,\\n    b,\\n)``"""
    args = []
    for i, a in enumerate(call.args):
        last = i == len(call.args) - 1
        comma = cst.Comma(whitespace_before=cst.SimpleWhitespace(""),
                          whitespace_after=_ws(unit * (depth if last else depth + 1)))
        args.append(a.with_changes(comma=comma, whitespace_after_arg=cst.SimpleWhitespace("")))
    return call.with_changes(whitespace_before_args=_ws(unit * (depth + 1)), args=args)


def _explode_collection(node, unit: str):
    """A dict, list or set literal with one element per line and a trailing comma."""
    elements = []
    for i, e in enumerate(node.elements):
        last = i == len(node.elements) - 1
        elements.append(e.with_changes(comma=cst.Comma(whitespace_before=cst.SimpleWhitespace(""),
                                                       whitespace_after=_ws("" if last else unit))))
    if isinstance(node, cst.List):
        return node.with_changes(elements=elements, lbracket=cst.LeftSquareBracket(whitespace_after=_ws(unit)),
                                 rbracket=cst.RightSquareBracket())
    if isinstance(node, cst.Tuple):  # return a, b -> return (\n    a,\n    b,\n)
        return node.with_changes(elements=elements, lpar=[cst.LeftParen(whitespace_after=_ws(unit))],
                                 rpar=[cst.RightParen()])
    return node.with_changes(elements=elements, lbrace=cst.LeftCurlyBrace(whitespace_after=_ws(unit)),
                             rbrace=cst.RightCurlyBrace())
