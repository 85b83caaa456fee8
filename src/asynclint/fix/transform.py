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
    def __init__(self, plan, imports: Imports, module: cst.Module):
        super().__init__()
        self.plan = plan
        self.imports = imports
        self.module = module  # the chunk: its indentation and newline are the new code's
        self.memo: dict = {}  # per-rewrite state for this transform

    def _claimed(self, original, updated):
        claim = self.plan.nodes.get(original)
        return updated if claim is None else claim.rewrite.call(self, claim, updated)

    def _statement(self, original, updated):
        sp = self.plan.stmts.get(original)
        return updated if sp is None else sp.rewrite.statement(self, sp, updated)

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


def _parenthesise_await(node, attr):
    inner = getattr(node, attr)
    if isinstance(inner, cst.Await) and not inner.lpar:
        return node.with_changes(**{attr: inner.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])})
    return node
