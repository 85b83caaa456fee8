"""What a rewrite is: a matcher, a plan and a transform, in one class."""

from __future__ import annotations


class Rewrite:
    """One way to rewrite blocking code.

    ``matches(d)`` says whether the rewrite is meant for a finding (by code and
    API); ``plan(planner, d, node, fn)`` looks at the code around the call
    ``node`` in the coroutine ``fn`` and, when the rewrite applies, claims the
    nodes it will change (``planner.claim`` / ``planner.claim_statement``);
    otherwise it leaves the finding for the next rewrite. ``finish`` runs once
    all findings of a chunk are planned. The transformer then calls ``call`` for
    each node claimed and ``statement`` for each statement claimed, with the
    node as updated so far, and ``block`` for every indented block.
    """

    name = ""

    def matches(self, d) -> bool:
        return False

    def plan(self, planner, d, node, fn) -> None:
        pass

    def finish(self, planner) -> None:
        pass

    def call(self, transformer, claim, node):
        return node

    def statement(self, transformer, stmt_plan, node):
        return node

    def block(self, transformer, node):
        return node
