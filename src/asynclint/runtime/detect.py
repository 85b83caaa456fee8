"""A catalog API called on a thread that is running an event loop: time it and record it.

Calls that cannot block or that belong to the machinery are let through
unrecorded: a call made inside another recorded call (``requests.get`` runs
``Session.request``), a call made directly by the event loop, thread, import
or test machinery (asyncio's own non-blocking socket reads, ``linecache``
reading a file to format a traceback), and the explicitly non-blocking forms
(a socket in non-blocking mode, ``queue.get(block=False)``,
``lock.acquire(blocking=False)``, ``event.wait(0)``).
"""

from __future__ import annotations

import socket
import threading
from time import perf_counter

from .frames import ProjectFiles, boundary_index, capture, public_name, request_of
from .recorder import Event, Recorder

# packages whose own calls are the machinery, not the code under test
_MACHINERY = frozenset(
    {
        "asyncio", "selectors", "threading", "anyio", "sniffio", "uvloop", "linecache",
        "traceback", "importlib", "zipimport", "pkgutil", "tokenize", "inspect", "warnings", "_pytest",
        "pytest", "pluggy", "pytest_asyncio", "coverage", "pydevd", "asynclint",
    }
)


class _ThreadState(threading.local):
    busy = False


def _nonblocking(api, args, kwargs) -> bool:
    if args and isinstance(args[0], socket.socket):
        try:
            return args[0].gettimeout() == 0.0
        except OSError:
            return False
    method = api.name.rsplit(".", 1)[-1]
    if api.category != "wait":
        return False
    if method in ("get", "put"):
        idx = 1 if method == "get" else 2
        block = kwargs.get("block", args[idx] if len(args) > idx else True)
        return block is False
    if method == "acquire":
        blocking = kwargs.get("blocking", args[1] if len(args) > 1 else True)
        timeout = kwargs.get("timeout", args[2] if len(args) > 2 else None)
        return blocking is False or timeout == 0
    if method in ("result", "exception") and _done(args[0] if args else None):
        return True
    if method in ("wait", "result", "join"):
        timeout = kwargs.get("timeout", args[1] if len(args) > 1 else None)
        return timeout == 0
    return False


def _done(obj) -> bool:
    try:
        return bool(obj.done())
    except Exception:
        return False


def _importing(stack) -> bool:
    """Is the call made by an import (a module loaded lazily while the loop runs)?"""
    for f in stack:
        if f.project:
            return False
        if f.path.startswith("<frozen importlib"):
            return True
    return False


class CallDetector:
    """The ``observe`` callback the instrumented wrappers call when a loop runs in their thread."""

    def __init__(self, recorder: Recorder, project: ProjectFiles, explain=None) -> None:
        self.recorder = recorder
        self.project = project
        self.explain = explain  # adds a recorded call's time to the running loop step (steps.py)
        self._state = _ThreadState()

    def __call__(self, api, fn, args, kwargs, caller):
        state = self._state
        if state.busy:
            return fn(*args, **kwargs)
        state.busy = True  # whatever this call does inside is its own business
        try:
            if caller is None or _nonblocking(api, args, kwargs):
                # no Python caller: the bottom of a greenlet (SQLAlchemy's AsyncSession runs the sync
                # Session there, driven by the loop), or a form that cannot block
                return fn(*args, **kwargs)
            module = caller.f_globals.get("__name__") or ""
            if module.partition(".")[0] in _MACHINERY:
                return fn(*args, **kwargs)
            start = perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._record(api, caller, perf_counter() - start)
        finally:
            state.busy = False

    def _record(self, api, caller, duration: float) -> None:
        stack, raw = capture(caller, self.project, keep_raw=True)
        if _importing(stack):
            return
        route, request = request_of(raw)
        b = boundary_index(stack)
        event = Event(
            kind="call",
            api=api.name,
            category=api.category,
            replacement=api.replacement,
            duration=duration,
            stack=stack,
            thread=threading.current_thread().name,
            route=route,
            request=request,
            boundary_name=public_name(raw[b]) if b is not None else None,
        )
        self.recorder.add(event)
        if self.explain is not None:
            self.explain(duration)
