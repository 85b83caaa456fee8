"""Planning: which rewrite takes which finding, before anything is changed.

The planner works on one chunk of a file (top-level statements parsed with
LibCST, see ``source``). It finds the node at each finding's position and
offers the finding to the rewrites in order (``rewrites.FUNCTION_REWRITES``,
then ``rewrites.CALL_REWRITES``, then the fallback ``rewrites.FALLBACK``).
A rewrite that takes a finding *claims* the nodes it will rewrite: a call or a
function (``Claim``) or a whole statement (``StmtPlan``). A finding no rewrite
takes is *skipped*, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from .imports import Imports
from .kinds import applies
from .locate import locate
from .nodes import names_in
from .rewrites import CALL_REWRITES, FALLBACK, FUNCTION_REWRITES, REWRITES


@dataclass
class Claim:
    """A rewrite of one node (a call, or a function definition)."""

    rewrite: object
    node: object
    diags: list = field(default_factory=list)
    data: dict = field(default_factory=dict)


@dataclass
class StmtPlan:
    """A rewrite of one whole statement."""

    rewrite: object
    data: dict = field(default_factory=dict)
    diags: list = field(default_factory=list)


@dataclass
class FilePlan:
    nodes: dict = field(default_factory=dict)  # Call / FunctionDef node -> Claim
    stmts: dict = field(default_factory=dict)  # SimpleStatementLine / With node -> StmtPlan
    fixed: list = field(default_factory=list)  # diagnostics a fix was planned for
    skipped: list = field(default_factory=list)  # (diagnostic, reason)


def char_col(lines: list, line: int, byte_col: int) -> int:
    """ast's UTF-8 byte column -> character column."""
    if 1 <= line <= len(lines):
        text = lines[line - 1]
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "ignore"))
    return byte_col


_SCOPES = (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


class Planner:
    """Plans the fixes of one chunk: ``module`` holds the file's lines from ``line_offset + 1`` on."""

    def __init__(self, module: cst.Module, line_offset: int, lines: list, diagnostics: list, unsafe: bool,
                 imports: Imports, style: str = "thread"):
        self.module = module
        self.style = style  # "anyio": the file is written with anyio.Path (see ``source.file_style``)
        self.lines = lines  # the whole file's lines, for columns
        self.diags = diagnostics
        self.unsafe = unsafe
        self.imports = imports
        self.index = locate(module, line_offset)
        self.parents = self.index.parents
        self.plan = FilePlan()
        self.consumed: set = set()  # id() of nodes a rewrite takes care of
        self.whole_functions: set = set()  # qualnames of functions rewritten as a whole
        self._fixed_ids: set = set()
        self._taken_names: dict = {}  # id(function) -> set of names

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
        """Every name used in ``fn`` or bound at module level: what a new local name must avoid."""
        key = id(fn)
        if key not in self._taken_names:
            self._taken_names[key] = names_in(fn) | self.imports.bound
        return self._taken_names[key]

    def locate(self, d):
        """The call at a finding's position, or None."""
        sl, el = d.line, d.end_line
        keys = (
            (sl, char_col(self.lines, sl, d.column - 1), el, char_col(self.lines, el, d.end_column - 1)),
            (sl, d.column - 1, el, d.end_column - 1),
        )
        for k in keys:
            node = self.index.by_range.get(k)
            if isinstance(node, cst.Call):
                return node
        return None

    def functions_at(self, line: int) -> list:
        return self.index.defs_by_line.get(line, [])

    # -- outcomes
    def mark_fixed(self, d) -> None:
        if id(d) not in self._fixed_ids:
            self._fixed_ids.add(id(d))
            self.plan.fixed.append(d)

    def is_fixed(self, d) -> bool:
        return id(d) in self._fixed_ids

    def skip(self, d, reason: str) -> None:
        self.plan.skipped.append((d, reason))

    def claim(self, d, node, rewrite, **data) -> Claim:
        """``rewrite`` will rewrite ``node`` (a call or a function definition) for ``d``."""
        c = self.plan.nodes.get(node)
        if c is None:
            c = Claim(rewrite, node, [], data)
            self.plan.nodes[node] = c
        c.diags.append(d)
        self.mark_fixed(d)
        self.consumed.add(id(node))
        return c

    def claim_statement(self, stmt, d, rewrite, data: dict) -> StmtPlan:
        """``rewrite`` will rewrite the whole statement ``stmt`` for ``d``."""
        sp = StmtPlan(rewrite, data, [d])
        self.plan.stmts[stmt] = sp
        self.mark_fixed(d)
        return sp

    # -- the plan
    def blocking_uses(self) -> set:
        """(function, name) for every unfixable ``for x in name:`` / ``with name:`` finding."""
        out = set()
        for d in self.diags:
            if d.fix is not None:
                continue
            key = (d.line, char_col(self.lines, d.line, d.column - 1), d.end_line,
                   char_col(self.lines, d.end_line, d.end_column - 1))
            node = self.index.by_range.get(key)
            if isinstance(node, cst.Name):
                out.add((d.function, node.value))
        return out

    def run(self) -> FilePlan:
        self.unfixable_uses = self.blocking_uses()
        todo = [d for d in self.diags if applies(d, self.unsafe)]
        # 1. whole functions (an async def route that never awaits becomes a def): their findings go with them
        calls = []
        for d in todo:
            rewrite = next((rw for rw in FUNCTION_REWRITES if rw.matches(d)), None)
            if rewrite is not None:
                rewrite.plan(self, d, None, None)
            else:
                calls.append(d)
        for d in self.diags:
            if d.function in self.whole_functions:
                self.mark_fixed(d)
        located = []
        for d in calls:
            if d.function in self.whole_functions:
                continue
            node = self.locate(d)
            if node is None:
                self.skip(d, "no call at the finding's position")
                continue
            located.append((d, node))
        # 2. the dedicated rewrites (one may take a statement, and so other findings, with it)
        for d, node in located:
            if id(node) in self.consumed or self.is_fixed(d):
                continue
            fn, await_ok = self.enclosing_function(node)
            if not await_ok or node in self.plan.nodes:
                continue
            rewrite = next((rw for rw in CALL_REWRITES if rw.matches(d)), None)
            if rewrite is not None:
                rewrite.plan(self, d, node, fn)
        # 3. the fallback for the rest
        for d, node in located:
            if self.is_fixed(d):
                continue
            if id(node) in self.consumed and node not in self.plan.nodes:
                self.mark_fixed(d)  # rewritten with the statement around it
                continue
            fn, await_ok = self.enclosing_function(node)
            if not await_ok:
                self.skip(d, "an await is not allowed there")
            elif node in self.plan.nodes:
                self.plan.nodes[node].diags.append(d)
                self.mark_fixed(d)
            elif d.fix == "safe":
                self.skip(d, "no rewrite applies")
            else:
                FALLBACK.plan(self, d, node, fn)
        for rewrite in REWRITES:
            rewrite.finish(self)
        return self.plan
