"""Applying a plan: one pass over a chunk that hands each claimed node to its rewrite.

Every other byte of the chunk is kept. Besides the rewrites, the pass merges
new names into existing ``from x import ...`` statements and parenthesises an
``await`` where a primary is expected (``(await f()).x``).
"""

from __future__ import annotations

import libcst as cst

from .imports import Imports
from .rewrites import REWRITES


class FixTransformer(cst.CSTTransformer):
    """Visits only the nodes on the way to what changes (``parents``: the chunk's parent of each node)."""

    def __init__(self, plan, imports: Imports, module: cst.Module, parents: dict):
        super().__init__()
        self.plan = plan
        self.imports = imports
        self.module = module  # the chunk: its indentation and newline are the new code's
        self.memo: dict = {}  # per-rewrite state for this transform
        self.created: set = set()  # id() of the calls the rewrites wrote (``wrap`` may split them)
        targets = list(plan.nodes) + list(plan.stmts)
        self.ways = _ways_to(targets, module, imports, parents)
        self.has_work = bool(targets) or len(self.ways) > 1  # something to rewrite, or an import to extend

    def on_visit(self, node) -> bool:
        return id(node) in self.ways

    def _claimed(self, original, updated):
        claim = self.plan.nodes.get(original)
        return updated if claim is None else self._mark(claim.rewrite.call(self, claim, updated))

    def _statement(self, original, updated):
        sp = self.plan.stmts.get(original)
        return updated if sp is None else self._mark(sp.rewrite.statement(self, sp, updated))

    def _mark(self, node):
        """Remember the calls a rewrite wrote: the awaited ones in what it returned."""
        created = self.created

        class _Awaited(cst.CSTVisitor):
            def visit_Await(self, n) -> None:
                if isinstance(n.expression, cst.Call):
                    created.add(id(n.expression))

        if isinstance(node, cst.Await) and isinstance(node.expression, cst.Call):
            created.add(id(node.expression))
        elif isinstance(node, cst.With):  # async with httpx.AsyncClient(...) as client: the new header
            created.update(id(item.item) for item in node.items if isinstance(item.item, cst.Call))
            node.visit(_Awaited())
        elif isinstance(node, cst.CSTNode):
            node.visit(_Awaited())
        elif isinstance(node, cst.FlattenSentinel):  # statements written from scratch: every call is new

            class _Calls(cst.CSTVisitor):
                def visit_Call(self, n) -> None:
                    created.add(id(n))

            for n in node.nodes:
                n.visit(_Calls())
        return node

    def leave_FunctionDef(self, original, updated):
        return self._claimed(original, updated)

    def leave_Call(self, original, updated):
        return self._claimed(original, _parenthesise_await(updated, "func"))

    def leave_Attribute(self, original, updated):
        return _parenthesise_await(updated, "value")

    def leave_Subscript(self, original, updated):
        return _parenthesise_await(updated, "value")

    def leave_ImportFrom(self, original, updated):
        return self.imports.merge_into(original, updated)

    def leave_With(self, original, updated):
        return self._statement(original, updated)

    def leave_SimpleStatementLine(self, original, updated):
        return self._statement(original, updated)

    def leave_IndentedBlock(self, original, updated):
        for rewrite in REWRITES:
            updated = rewrite.block(self, updated)
        return updated


def _ways_to(targets: list, module: cst.Module, imports: Imports, parents: dict) -> set:
    """id() of the chunk's nodes that hold a node to rewrite (or an import to extend)."""
    ways = {id(module)}
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine) and any(id(small) in imports.merge for small in stmt.body):
            ways.add(id(stmt))
    for node in targets:
        cur = parents.get(node)
        while cur is not None and id(cur) not in ways:
            ways.add(id(cur))
            cur = parents.get(cur)
    return ways


def _parenthesise_await(node, attr):
    inner = getattr(node, attr)
    if isinstance(inner, cst.Await) and not inner.lpar:
        return node.with_changes(**{attr: inner.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])})
    return node
