"""Slow steps: a callback or task step that holds its event loop longer than a threshold.

asyncio runs every callback and every task step through ``Handle._run`` (the
measurement its debug mode uses for ``slow_callback_duration``); wrapping it
times each step without debug mode's other costs. Time spent in recorded
catalog calls is already explained by those events; a step is reported only
when what is left is over the threshold. A watchdog thread takes the loop
thread's stack once a step has run for half the threshold, so the report
shows where the loop was stuck, not where the task stopped afterwards.

Loops whose handles are not asyncio's Python ``Handle`` (uvloop) are not
measured; calls to catalog APIs are still recorded there.
"""

from __future__ import annotations

import sys
import threading
from asyncio import events as _aio_events
from time import perf_counter
from typing import Optional

from .frames import Frame, ProjectFiles, boundary_index, capture, public_name, request_of
from .recorder import Event, Recorder


class _Step:
    __slots__ = ("start", "explained", "sample")

    def __init__(self, start: float) -> None:
        self.start = start
        self.explained = 0.0
        self.sample = None  # (stack, raw frames) taken by the watchdog


class StepMonitor:
    def __init__(self, recorder: Recorder, project: ProjectFiles, threshold: float) -> None:
        self.recorder = recorder
        self.project = project
        self.threshold = threshold
        self._active: dict = {}  # thread id -> _Step running there
        self._original = None
        self._stop = threading.Event()
        self._watchdog: Optional[threading.Thread] = None

    # ------------------------------------------------------------------ install / remove
    def install(self) -> None:
        handle = _aio_events.Handle
        original = self._original = handle.__dict__["_run"]
        active, threshold, finished = self._active, self.threshold, self._finished
        get_ident = threading.get_ident

        def _run(h):
            tid = get_ident()
            outer = active.get(tid)
            step = active[tid] = _Step(perf_counter())
            try:
                return original(h)
            finally:
                held = perf_counter() - step.start
                if outer is None:
                    active.pop(tid, None)
                else:  # a loop run inside a step of another loop in this thread (nest_asyncio)
                    active[tid] = outer
                    outer.explained += held
                if held - step.explained >= threshold:
                    finished(h, step, held, tid)

        _run.__wrapped__ = original
        handle._run = _run
        self._watchdog = threading.Thread(target=self._watch, name="asynclint-runtime-watchdog", daemon=True)
        self._watchdog.start()

    def remove(self) -> None:
        if self._original is not None:
            _aio_events.Handle._run = self._original
            self._original = None
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.join(timeout=2)
            self._watchdog = None

    # ------------------------------------------------------------------ measuring
    def explain(self, seconds: float) -> None:
        """A recorded catalog call took ``seconds`` of the step running in this thread."""
        step = self._active.get(threading.get_ident())
        if step is not None:
            step.explained += seconds

    def _watch(self) -> None:
        half = self.threshold / 2
        interval = max(min(self.threshold / 4, 0.05), 0.002)
        while not self._stop.wait(interval):
            now = perf_counter()
            late = [(tid, step) for tid, step in list(self._active.items()) if step.sample is None and now - step.start >= half]
            if not late:
                continue
            frames = sys._current_frames()
            for tid, step in late:
                frame = frames.get(tid)
                if frame is not None and self._active.get(tid) is step:
                    step.sample = capture(frame, self.project, keep_raw=True)
            del frames

    def _finished(self, handle, step: _Step, held: float, tid: int) -> None:
        if step.sample is not None:
            stack, raw = step.sample
            sampled = True
        else:
            stack, raw = _where_it_stopped(handle, self.project)
            sampled = False
        step.sample = None
        route, request = request_of(raw)
        b = boundary_index(stack)
        self.recorder.add(
            Event(
                kind="slow-step",
                api=None,
                category=None,
                replacement=None,
                duration=held - step.explained,
                stack=stack,
                thread=threading.current_thread().name,
                route=route,
                request=request,
                boundary_name=public_name(raw[b]) if b is not None and b < len(raw) else None,
                sampled=sampled,
            )
        )


def _where_it_stopped(handle, project: ProjectFiles):
    """No sample (the step ended before the watchdog looked): the task's coroutines where they are
    suspended now, or the callback's own code."""
    callback = getattr(handle, "_callback", None)
    task = getattr(callback, "__self__", None)
    frames = []
    get_coro = getattr(task, "get_coro", None)
    if get_coro is not None:
        coro = get_coro()
        while coro is not None:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None) or getattr(coro, "ag_frame", None)
            if frame is None:
                break
            frames.append(frame)
            coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    if frames:
        pairs = [(capture_one(f, project), f) for f in reversed(frames)]  # innermost first
        pairs = [(s, f) for s, f in pairs if s is not None]
        return tuple(s for s, _ in pairs), [f for _, f in pairs]
    code = getattr(callback, "__code__", None) or getattr(getattr(callback, "__func__", None), "__code__", None)
    if code is None:
        return (), []
    name = f"{getattr(callback, '__module__', '?')}.{getattr(callback, '__qualname__', code.co_name)}"
    return (Frame(code.co_filename, code.co_firstlineno, name, False, code.co_filename in project),), []


def capture_one(frame, project: ProjectFiles):
    stack, _ = capture(frame, project)
    return stack[0] if stack else None
