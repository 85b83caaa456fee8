"""What the run saw: blocking events, folded by place, and the test that was running."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Optional

from .frames import Frame, anchor_index, boundary_index

MAX_TESTS_PER_EVENT = 20


@dataclass
class Event:
    """One place where the loop was blocked: every occurrence with the same kind, API and
    project frames is folded into one event (count, longest and total time, tests)."""

    kind: str  # "call": a catalog API called on a loop's thread | "slow-step": a step held the loop
    api: Optional[str]  # the catalog API (calls), e.g. "requests.Session.post"
    category: Optional[str]  # its catalog category
    replacement: Optional[str]  # what the catalog says to use instead
    duration: float  # seconds, longest occurrence
    stack: tuple  # Frame, innermost first
    thread: str
    route: Optional[str] = None  # "POST /orders/{order_id}/pay"
    request: Optional[str] = None  # "POST /orders/7/pay"
    boundary_name: Optional[str] = None  # the library function the project called, public name
    sampled: bool = True  # slow steps: stack taken while the loop was blocked (else: where the task stopped)
    count: int = 1
    total: float = 0.0
    tests: list = field(default_factory=list)
    phases: set = field(default_factory=set)
    matches: list = field(default_factory=list)  # static findings it confirms (reconcile)

    def __post_init__(self) -> None:
        self.total = self.total or self.duration

    @property
    def anchor(self) -> Optional[Frame]:
        i = anchor_index(self.stack)
        return None if i is None else self.stack[i]

    @property
    def boundary(self) -> Optional[Frame]:
        i = boundary_index(self.stack)
        return None if i is None else self.stack[i]

    @property
    def in_project(self) -> bool:
        return any(f.project for f in self.stack)

    def key(self) -> tuple:
        """Occurrences are folded by kind, API, the frame they are charged to and the innermost
        project frame (the same block reached from different tests is one event)."""
        inner = next(((f.path, f.line) for f in self.stack if f.project), None)
        a = self.anchor
        return (self.kind, self.api, (a.path, a.line) if a else None, inner, self.boundary_name)


class Recorder:
    """Collects events from every thread; knows which test (and phase) is running."""

    def __init__(self, ignore=()) -> None:
        self.ignore = tuple(ignore)  # qualified-name prefixes: events through these are dropped
        self.events: dict = {}  # key -> Event, in order of first occurrence
        self.test: Optional[str] = None
        self.phase: Optional[str] = None
        self.phase_events: list = []  # (Event, duration) seen during the running phase, for `fail` mode
        self._lock = threading.Lock()

    def start_phase(self, test: Optional[str], phase: Optional[str]) -> None:
        with self._lock:
            self.test, self.phase = test, phase
            self.phase_events = []

    def ignored(self, event: Event) -> bool:
        names = [event.api or ""] + [f.function for f in event.stack]
        return any(n == p or n.startswith(p + ".") for p in self.ignore for n in names)

    def add(self, event: Event) -> Optional[Event]:
        if self.ignore and self.ignored(event):
            return None
        with self._lock:
            test, phase = self.test, self.phase
            key = event.key()
            seen = self.events.get(key)
            if seen is None:
                self.events[key] = seen = event
            else:
                seen.count += 1
                seen.total += event.duration
                if event.duration > seen.duration:
                    seen.duration = event.duration
                seen.route = seen.route or event.route
                seen.request = seen.request or event.request
            label = test or "(outside tests)"
            if label not in seen.tests and len(seen.tests) < MAX_TESTS_PER_EVENT:
                seen.tests.append(label)
            if phase:
                seen.phases.add(phase)
            self.phase_events.append((event, event.duration))
        return seen

    def all(self) -> list:
        with self._lock:
            return list(self.events.values())
