"""Stacks at a blocking point: which frames are the project's, and whom a block is charged to.

A stack is a tuple of :class:`Frame`, innermost first. The *anchor* is the
frame a block is attributed to: the innermost project frame that is a
coroutine (where the static analysis puts its finding), else the innermost
project frame, else the innermost coroutine. The *boundary* is the library
function the project called on the way to the block (the frame just inside
the innermost project frame).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Optional

# CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR
_ASYNC_FLAGS = 0x0080 | 0x0100 | 0x0200
_NOT_PROJECT_DIRS = frozenset(
    {"site-packages", "dist-packages", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__"}
)
# asynclint's own files (the wrappers that sit between a caller and a blocking API) are never shown
_OWN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_STACK_LIMIT = 160


@dataclass(frozen=True, slots=True)
class Frame:
    path: str  # absolute file name, as the code object has it
    line: int
    function: str  # module-qualified: "shop.routers.orders.pay_order"
    is_async: bool
    project: bool

    def where(self) -> str:
        return f"{display_path(self.path)}:{self.line}"


def display_path(path: str) -> str:
    """Relative to the working directory when the file is under it, as the static reports show it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive
        return path
    return path if rel.startswith("..") else rel


class ProjectFiles:
    """Which source files belong to the project under test (memoised per file name)."""

    def __init__(self, roots) -> None:
        self.roots = tuple(os.path.realpath(r) for r in roots)
        self._known: dict = {}

    def __contains__(self, filename: str) -> bool:
        hit = self._known.get(filename)
        if hit is None:
            hit = self._known[filename] = self._classify(filename)
        return hit

    def _classify(self, filename: str) -> bool:
        if not filename or filename.startswith("<"):
            return False
        real = os.path.realpath(filename)
        if is_own_file(real):
            return False
        for root in self.roots:
            if real == root or real.startswith(root + os.sep):
                parts = real[len(root):].split(os.sep)
                return not any(p in _NOT_PROJECT_DIRS for p in parts)
        return False


def is_own_file(filename: str) -> bool:
    return filename.startswith(_OWN_DIR + os.sep)


def module_function(frame) -> str:
    code = frame.f_code
    module = frame.f_globals.get("__name__") or "?"
    return f"{module}.{getattr(code, 'co_qualname', code.co_name)}"


def capture(frame, project: ProjectFiles, keep_raw: bool = False):
    """(stack, raw frames) from ``frame`` outwards; asynclint's own frames are left out.
    ``raw`` (the frame objects, same order) is filled only with ``keep_raw``."""
    stack, raw = [], []
    while frame is not None and len(stack) < _STACK_LIMIT:
        code = frame.f_code
        filename = code.co_filename
        if not is_own_file(filename):
            stack.append(
                Frame(
                    filename,
                    frame.f_lineno or code.co_firstlineno,
                    module_function(frame),
                    bool(code.co_flags & _ASYNC_FLAGS),
                    filename in project,
                )
            )
            if keep_raw:
                raw.append(frame)
        frame = frame.f_back
    return tuple(stack), raw


def anchor_index(stack) -> Optional[int]:
    """The frame a block is charged to (see the module's docstring)."""
    first_project = None
    for i, f in enumerate(stack):
        if f.project:
            if f.is_async:
                return i
            if first_project is None:
                first_project = i
    if first_project is not None:
        return first_project
    for i, f in enumerate(stack):
        if f.is_async:
            return i
    return 0 if stack else None


def boundary_index(stack) -> Optional[int]:
    """Index of the library frame the innermost project frame called; None when the project
    frame is innermost (it called the blocking API, or blocked itself) or there is none."""
    for i, f in enumerate(stack):
        if f.project:
            return i - 1 if i else None
    return None


def public_name(frame) -> str:
    """The shortest importable name of the function running in ``frame``:
    ``slowlib.Client.fetch`` rather than ``slowlib._client.Client.fetch`` when the package re-exports it."""
    code = frame.f_code
    qual = getattr(code, "co_qualname", code.co_name)
    module = frame.f_globals.get("__name__") or "?"
    if "<" in qual:  # a local function or a lambda: not importable, say where it is
        return f"{module}.{qual}"
    head = qual.split(".", 1)[0]
    obj = frame.f_globals.get(head)
    if obj is not None:
        parts = module.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix.split(".")[-1].startswith("_") and i < len(parts):
                continue
            mod = sys.modules.get(prefix)
            if mod is not None and vars(mod).get(head) is obj:
                return f"{prefix}.{qual}"
    return f"{module}.{qual}"


def request_of(raw_frames):
    """(route, request) of the ASGI request being served, from Starlette/FastAPI frames on the
    stack: route = "POST /orders/{order_id}/pay" once routing matched, request = "POST /orders/7/pay"."""
    request = None
    for fr in raw_frames:
        module = fr.f_globals.get("__name__") or ""
        if not module.startswith(("starlette.", "fastapi.")):
            continue
        try:
            scope = fr.f_locals.get("scope")
        except Exception:  # pragma: no cover - a frame whose locals cannot be read
            continue
        if not isinstance(scope, dict) or scope.get("type") not in ("http", "websocket"):
            continue
        method = scope.get("method") or "WEBSOCKET"
        if request is None:
            request = f"{method} {scope.get('path', '')}"
        route = scope.get("route")
        template = getattr(route, "path", None)
        if isinstance(template, str):
            return f"{method} {_prefix(scope.get('path', ''), route)}{template}", request
    return None, request


def _prefix(path: str, route) -> str:
    """What comes before the route's own template in the request path: an included router's or a
    mount's prefix (FastAPI versions differ in whether ``route.path`` carries it)."""
    regex = getattr(route, "path_regex", None)
    if regex is None:
        return ""
    for i, ch in enumerate(path):
        if ch == "/" and regex.match(path[i:]):
            return path[:i]
    return ""
