"""``time.sleep(x)`` -> ``await asyncio.sleep(x)`` (safe: the same wait, without holding the loop)."""

from __future__ import annotations

import libcst as cst

from ...categories import BY_NAME, is_direct
from .base import Rewrite


class Sleep(Rewrite):
    name = "sleep"

    def matches(self, d) -> bool:
        # only time.sleep: another sleep (pyautogui.sleep, a configured one) is offloaded (to_thread)
        return d.category == "sleep" and is_direct(d.code) and d.api in BY_NAME["sleep"].safe_apis

    def plan(self, planner, d, node, fn) -> None:
        if planner.imports.ref("asyncio", "sleep") is not None:
            planner.claim(d, node, self)

    def call(self, transformer, claim, node):
        ref = transformer.imports.ref("asyncio", "sleep")
        return cst.Await(expression=node.with_changes(func=cst.parse_expression(ref)))
