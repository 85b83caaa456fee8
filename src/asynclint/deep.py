"""Running code that recurses as deep as the syntax trees the interpreter accepts.

The interpreter compiles elif chains, method chains and sums thousands of
levels deep; walking such a tree recursively (the summarizer, LibCST's
visitors in the fallback parser and in ``--fix``) needs more than the default
recursion limit.  ``run_deep`` runs a function in a thread with a large stack
and a high recursion limit, so that the walk succeeds instead of failing or
overflowing the C stack.
"""

from __future__ import annotations

import sys
import threading

_DEEP_RECURSION = 200_000
_DEEP_STACK = 512 << 20


def run_deep(fn, *args):
    """``fn(*args)`` in a thread with a large stack and a high recursion limit: for walking the
    deep trees the interpreter accepts.  Exceptions are re-raised here; ``RecursionError`` if no
    such thread can be had."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size()
    try:
        for stack, limit in ((_DEEP_STACK, _DEEP_RECURSION), (_DEEP_STACK // 8, _DEEP_RECURSION // 8)):
            try:
                threading.stack_size(stack)
                worker = threading.Thread(target=target, name="asynclint-deep-walk", daemon=True)
                sys.setrecursionlimit(max(old_limit, limit))
                worker.start()
            except (ValueError, RuntimeError, MemoryError):  # no thread with such a stack here
                sys.setrecursionlimit(old_limit)
                continue
            worker.join()
            break
        else:
            raise RecursionError("too deeply nested (no thread with a large enough stack)")
    finally:
        sys.setrecursionlimit(old_limit)
        try:
            threading.stack_size(old_stack)
        except (ValueError, RuntimeError):
            pass
    if "error" in box:
        raise box["error"]
    return box.get("value")
