"""Classes of the project: method resolution order, methods, overrides in subclasses."""

from __future__ import annotations

from typing import Callable, Optional

from ..catalog import Catalog
from .index import ProjectIndex
from .values import Sym


class ClassHierarchy:
    def __init__(self, index: ProjectIndex, catalog: Catalog, base_value: Callable):
        """``base_value(expr, module)`` evaluates a base-class expression of a class statement."""
        self.index = index
        self.catalog = catalog
        self.base_value = base_value
        self._mro: dict = {}
        self._subclasses: Optional[dict] = None
        self.tracker = None  # see link.deps: each class's MRO keeps the facts it read
        self._mro_facts: dict = {}
        self.changes = 0  # MROs made or dropped so far (``live.persist``: is the stored hierarchy still this?)

    def mro(self, cls_q: str) -> list:
        """Project classes in method resolution order (breadth-first), then library bases."""
        tracker = self.tracker
        if tracker is not None:
            tracker.note(("mro", cls_q))  # what it read is kept with it, not in the reader's facts
        if cls_q in self._mro:
            return self._mro[cls_q]
        if tracker is None:
            return self._build_mro(cls_q)
        frame = tracker.open()
        try:
            return self._build_mro(cls_q)
        finally:
            self._mro_facts[cls_q] = tracker.close(frame, into=False)

    def forget(self, classes) -> None:
        """Drop the MROs of these classes (``live``: what they read changed)."""
        for q in classes:
            self._mro.pop(q, None)
            self._mro_facts.pop(q, None)
        self._subclasses = None
        self.changes += 1

    def _build_mro(self, cls_q: str) -> list:
        self.changes += 1
        self._mro[cls_q] = [cls_q]  # a class inheriting from itself (through a cycle) stops here
        classes = self.index.classes
        out, seen = [], set()
        queue = [cls_q]
        while queue:
            q = queue.pop(0)
            if q in seen:
                continue
            seen.add(q)
            out.append(q)
            entry = classes.get(q)
            if entry is None:
                continue
            info, cls = entry
            for b in cls.bases:
                match self.base_value(b, info):
                    case Sym(name):
                        queue.append(name if name in classes else self.catalog.canonical(name))
        self._mro[cls_q] = out
        return out

    def find_method(self, cls_q: str, name: str) -> Optional[str]:
        """The qualified name of the project function ``cls_q.name`` resolves to, if any."""
        functions, classes = self.index.functions, self.index.classes
        if self.tracker is not None:
            self.tracker.note(("meth", cls_q, name))  # instead of every table entry looked at below
        has = dict.__contains__
        for q in self.mro(cls_q):
            if has(classes, q):
                fq = f"{q}.{name}"
                if has(functions, fq):
                    return fq
        return None

    def overrides(self, cls_q: str, name: str) -> list:
        """Implementations of ``name`` in project subclasses of ``cls_q`` (for self./cls. dispatch)."""
        subs = self.subclasses(cls_q)
        if self.tracker is not None:
            self.tracker.note(("ovr", cls_q, name))
        functions, has = self.index.functions, dict.__contains__
        return [f"{sub}.{name}" for sub in subs if has(functions, f"{sub}.{name}")]

    def subclasses(self, cls_q: str) -> list:
        """The project classes deriving from ``cls_q``, in the order of the class table."""
        if self._subclasses is None:
            self._subclasses = self.subclass_map()
        if self.tracker is not None:
            self.tracker.note(("sub", cls_q))
        return self._subclasses.get(cls_q, [])

    def subclass_map(self) -> dict:
        """Every class with a project subclass -> those subclasses, in the order of the class table."""
        tracker = self.tracker
        top = tracker.suspend() if tracker is not None else None  # one table for all: no reader owns its reads
        try:
            subs: dict = {}
            for q in list(self.index.classes):  # reading a base may load a library module
                for base in self.mro(q)[1:]:
                    subs.setdefault(base, []).append(q)
        finally:
            if tracker is not None:
                tracker.resume(top)
        return subs

    def library_bases(self, cls_q: str) -> list:
        classes, has = self.index.classes, dict.__contains__
        return [q for q in self.mro(cls_q) if not has(classes, q)]

    def is_subclass(self, cls_q: str, bases) -> bool:
        """Is ``cls_q`` one of ``bases`` or a project class deriving from one of them?"""
        if cls_q in bases:
            return True
        return cls_q in self.index.classes and any(b in bases for b in self.mro(cls_q))
