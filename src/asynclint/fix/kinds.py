"""Which fix a finding offers: "safe", "unsafe" or None (stage 7 of the pipeline).

Import-light on purpose: the engine calls it for every finding, and LibCST is
only loaded when something is fixed. The fix of each code is in the category
table (``categories.py``); a finding on ``for x in cursor:`` or ``with
lock:`` has nothing to call in a thread, so it offers none.
"""

from __future__ import annotations

from typing import Optional

from ..categories import fix_kind_for_code, is_direct


def fix_kind(diagnostic) -> Optional[str]:
    code = getattr(diagnostic, "code", None) or ""
    api = getattr(diagnostic, "api", None) or ""
    # a sleep that is not time.sleep (pyautogui.click, a configured one) has no asyncio.sleep
    # rewrite: it is offloaded, unsafe
    kind = fix_kind_for_code(code, api)
    if kind is None or getattr(diagnostic, "passed", False) or getattr(diagnostic, "callback", ""):
        return None  # (nothing to offload; or a sync callback, where no await can be written)
    if is_direct(code) and (api.startswith("iteration over ") or api.startswith("with ")):
        return None
    return kind


def mark_fixes(diagnostics, project=None) -> None:
    """The fix each finding offers, in ``diagnostic.fix``. With the ``project``, a fix that would move
    work bound to its thread or loop to another thread (``analyze.affinity``) is not offered, and the
    suggestion says why and what to do instead."""
    sites = None
    for d in diagnostics:
        d.fix = fix_kind(d)
        if project is not None and d.fix == "unsafe" and _generator_helper(project, d):
            d.fix = None
            continue
        if project is not None and (d.fix == "unsafe" or d.code == "ASL301"):
            from ..analyze.affinity import Sites, advice, thread_affinity

            sites = sites or Sites(project)
            reason = thread_affinity(project, d, sites)
            if reason is not None:
                d.fix = None
                if d.code == "ASL301":
                    d.suggestion = f"keep it async: {reason}; make its blocking calls async instead"
                else:
                    d.suggestion = advice(reason, project.catalog.replacement_of(d.api))


def _generator_helper(project, d) -> bool:
    """Is the project function a chain finding calls a sync generator function? Calling one runs none of
    its body, which runs as the result is iterated or entered, here on the loop: offloading the call
    (``await asyncio.to_thread(lines, p)``) would offload nothing."""
    if is_direct(d.code) or len(d.chain) < 3:
        return False
    ref = project.functions.get(d.chain[1])
    return ref is not None and ref.summary.is_generator and not ref.summary.is_async


def applies(diagnostic, unsafe: bool) -> bool:
    """Is this finding's fix applied by a run with (or without) ``--unsafe-fixes``?"""
    return diagnostic.fix == "safe" or (diagnostic.fix == "unsafe" and unsafe)
