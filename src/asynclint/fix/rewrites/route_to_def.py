"""An ``async def`` route or dependency that never awaits (ASL301) -> ``def`` (safe).

FastAPI then runs it in its thread pool, so the blocking calls in it are no
longer on the event loop: the function's other findings are fixed with it.
"""

from __future__ import annotations

from .base import Rewrite


class RouteToDef(Rewrite):
    name = "route-to-def"

    def matches(self, d) -> bool:
        return d.code == "ASL301"

    def plan(self, planner, d, node, fn) -> None:
        found = [n for n in planner.functions_at(d.line) if n.asynchronous is not None]
        if len(found) != 1:
            planner.skip(d, "function not found at its position")
            return
        planner.claim(d, found[0], self)
        planner.whole_functions.add(d.function)

    def call(self, transformer, claim, node):
        return node.with_changes(asynchronous=None)
