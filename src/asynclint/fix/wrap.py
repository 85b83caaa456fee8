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

USUAL_LIMITS = (79, 88, 99, 100, 110, 119, 120, 127, 140, 150, 160, 180, 200)


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
    """The limit the file keeps to: the smallest usual one that at most one line in 500 (and at least
    one line) exceeds."""
    lengths = [len(line) for line in text.splitlines()]
    allowed = max(1, len(lengths) // 500)
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

    def leave_SimpleStatementLine(self, original, updated):
        bare = updated.with_changes(leading_lines=[])
        if self._width(bare) <= self.limit:
            return updated
        call = _outermost(updated, self.created)
        if call is None or "\n" in self.module.code_for_node(call) or not call.args:
            return updated
        for style in (_hug, _one_per_line):
            new = updated.deep_replace(call, style(call, self.unit))
            if style is _one_per_line or self._width(new.with_changes(leading_lines=[])) <= self.limit:
                return new
        return updated


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


def _hug(call: cst.Call, unit: str) -> cst.Call:
    """``f(\\n    a, b, c\\n)``"""
    args = list(call.args)
    last = args[-1]
    if isinstance(last.comma, cst.Comma):
        args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=_ws("")))
    else:
        args[-1] = last.with_changes(whitespace_after_arg=_ws(""))
    return call.with_changes(whitespace_before_args=_ws(unit), args=args)


def _one_per_line(call: cst.Call, unit: str) -> cst.Call:
    """``f(\\n    a,\\n    b,\\n)``"""
    args = []
    for i, a in enumerate(call.args):
        last = i == len(call.args) - 1
        comma = cst.Comma(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=_ws("" if last else unit))
        args.append(a.with_changes(comma=comma, whitespace_after_arg=cst.SimpleWhitespace("")))
    return call.with_changes(whitespace_before_args=_ws(unit), args=args)
