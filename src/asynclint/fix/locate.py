"""Where a chunk's calls, names and functions are, and each node's parent: one pass.

LibCST's ``PositionProvider`` and ``ParentNodeProvider`` compute the same for
every node, in two passes that cost about twenty times what generating the
chunk's code costs. Here the code is generated once (LibCST's ``_codegen``,
with a codegen state that only counts lines and columns) and the state records
what the planner needs: the span of every call, name and attribute (LibCST's
syntactic positions: parentheses excluded, columns in characters), the
functions, and the parent of every node.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState

_SPANNED = (cst.Call, cst.Name, cst.Attribute)
_NOTHING = nullcontext()


@dataclass
class Located:
    by_range: dict  # (line, column, end line, end column) in the file -> Call / Name / Attribute
    defs_by_line: dict  # line of a function's name in the file -> [FunctionDef]
    parents: dict  # node -> parent node


def locate(module: cst.Module, line_offset: int) -> Located:
    """Spans are the file's: the module's line 1 is the file's line ``line_offset + 1``."""
    state = _LocatingState(default_indent=module.default_indent, default_newline=module.default_newline)
    module._codegen(state)
    by_range: dict = {}
    for node, (sl, sc, el, ec) in state.spans:
        # an outer node ends after the nodes inside it: with equal spans, the outer one wins
        by_range[(sl + line_offset, sc, el + line_offset, ec)] = node
    spans = dict(state.spans)
    defs_by_line: dict = {}
    for fn in state.functions:
        line = spans[fn.name][0] + line_offset
        defs_by_line.setdefault(line, []).append(fn)
    return Located(by_range, defs_by_line, state.parents)


@dataclass
class _LocatingState(CodegenState):
    line: int = 1
    column: int = 0
    parents: dict = field(default_factory=dict)
    spans: list = field(default_factory=list)  # (node, (line, column, end line, end column)), as they end
    functions: list = field(default_factory=list)
    _stack: list = field(default_factory=list)

    def add_token(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
            self.line += value.count("\n")
            self.column = len(value) - value.rfind("\n") - 1
        else:
            self.column += len(value)

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def pop_trailing_newline(self) -> None:
        pass  # no text is kept

    def before_codegen(self, node) -> None:
        if self._stack:
            self.parents[node] = self._stack[-1]
        self._stack.append(node)
        if isinstance(node, cst.FunctionDef):
            self.functions.append(node)

    def after_codegen(self, node) -> None:
        self._stack.pop()

    def record_syntactic_position(self, node, *, start_node=None, end_node=None):
        return _Span(self, node) if isinstance(node, _SPANNED) else _NOTHING


class _Span:
    __slots__ = ("state", "node", "start")

    def __init__(self, state: _LocatingState, node) -> None:
        self.state = state
        self.node = node

    def __enter__(self) -> None:
        self.start = (self.state.line, self.state.column)

    def __exit__(self, *exc) -> None:
        s = self.state
        s.spans.append((self.node, (self.start[0], self.start[1], s.line, s.column)))
