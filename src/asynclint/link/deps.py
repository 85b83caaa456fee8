"""What each derived value read: dependency tracking for incremental analysis (``live``).

A long-lived engine keeps values it derived from the summaries (the
evaluator's memo, each function's classification, ...) across edits, and
must forget exactly those that read what an edit changed. While a
``Tracker`` is attached, every read of a *fact* is recorded in the
innermost open frame:

- ``("g", path, name)``: the binding of a global name in the module at ``path``
  (present or not);
- ``("star", path)``: that module's star imports;
- ``("mod", name)``: which module owns a module name;
- ``("fn", qualname)`` / ``("cls", qualname)``: the function or class of that
  name in the project's tables, what linking reads of it (present or not);
- ``("body", qualname)``: the call sites of a function, read by code other
  than its own classification (is it an offloader?);
- facts derived from those, recorded by the class hierarchy instead of
  every table entry it looked at: ``("mro", class)`` its method resolution
  order, ``("meth", class, name)`` which function ``class.name`` resolves to,
  ``("attr", class, name)`` which class of its MRO assigns the attribute,
  ``("sub", class)`` its project subclasses and ``("ovr", class, name)``
  which of them define ``name``; ``live.facts`` says when those change.

Reads go through ``TrackedDict`` tables (the project's index, every module's
globals), so the code that reads them needs no change. A memoized value keeps
the facts its computation read, and a later hit adds them to the frame that
hit it: a frame ends with every fact its result depends on, however much of
it came from the memo. Fact sets are interned (many values read the same few
facts), so keeping one per memo entry costs little.

Without a tracker (a one-shot run), tables are plain dicts and the evaluator
only tests ``tracker is None``.
"""

from __future__ import annotations

EMPTY: frozenset = frozenset()


class Tracker:
    """A stack of open frames; each collects the facts read while it is open."""

    __slots__ = ("top", "_stack", "_interned")

    def __init__(self):
        self.top = None  # the innermost open frame (a set), or None: nothing is being recorded
        self._stack: list = []
        self._interned: dict = {EMPTY: EMPTY}

    def open(self) -> set:
        frame: set = set()
        self._stack.append(self.top)
        self.top = frame
        return frame

    def close(self, frame: set, into: bool = True) -> frozenset:
        """End the innermost frame (``frame``): its facts, also added to the frame around it unless
        ``into`` is off (a value readers depend on by a name of its own, a derived fact)."""
        self.top = self._stack.pop()
        facts = frozenset(frame)
        facts = self._interned.setdefault(facts, facts)
        if into and self.top is not None and facts:
            self.top |= facts
        return facts

    def add(self, facts) -> None:
        """Facts read through a memoized value (its recorded set)."""
        if self.top is not None and facts:
            self.top |= facts

    def note(self, fact) -> None:
        if self.top is not None:
            self.top.add(fact)

    def suspend(self):
        """Stop recording (a table built once for every reader); ``resume`` with what this returned."""
        top, self.top = self.top, None
        return top

    def resume(self, top) -> None:
        self.top = top

    def forget_interned(self) -> None:
        self._interned = {EMPTY: EMPTY}


class TrackedDict(dict):
    """A table whose reads by key record ``(kind, key)`` (``(kind, prefix, key)`` with a prefix) in the
    tracker's open frame. Iterating the whole table records nothing: callers that iterate are
    global passes the engine keeps up to date by other means. Code that must not record a read
    (the hierarchy, which records facts of its own) reads through ``dict.get(table, key)``."""

    __slots__ = ("kind", "prefix", "tracker")

    def __new__(cls, data, kind: str, tracker: Tracker, prefix=None):
        return dict.__new__(TrackedGlobals if prefix is not None else TrackedTable)

    def __init__(self, data, kind: str, tracker: Tracker, prefix=None):
        super().__init__(data)
        self.kind = kind
        self.prefix = prefix
        self.tracker = tracker

    def __reduce__(self):  # never pickled or cached as itself: a plain dict
        return (dict, (dict(self),))


class TrackedTable(TrackedDict):
    """A project table: reads record ``(kind, key)``."""

    __slots__ = ()

    def __getitem__(self, key):
        top = self.tracker.top
        if top is not None:
            top.add((self.kind, key))
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        top = self.tracker.top
        if top is not None:
            top.add((self.kind, key))
        return dict.get(self, key, default)

    def __contains__(self, key):
        top = self.tracker.top
        if top is not None:
            top.add((self.kind, key))
        return dict.__contains__(self, key)


class TrackedGlobals(TrackedDict):
    """One module's globals: reads record ``("g", path, name)``."""

    __slots__ = ()

    def __getitem__(self, key):
        top = self.tracker.top
        if top is not None:
            top.add((self.kind, self.prefix, key))
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        top = self.tracker.top
        if top is not None:
            top.add((self.kind, self.prefix, key))
        return dict.get(self, key, default)

    def __contains__(self, key):
        top = self.tracker.top
        if top is not None:
            top.add((self.kind, self.prefix, key))
        return dict.__contains__(self, key)
