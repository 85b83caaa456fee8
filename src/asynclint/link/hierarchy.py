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

    def mro(self, cls_q: str) -> list:
        """Project classes in method resolution order (breadth-first), then library bases."""
        if cls_q in self._mro:
            return self._mro[cls_q]
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
        for q in self.mro(cls_q):
            if q in classes:
                fq = f"{q}.{name}"
                if fq in functions:
                    return fq
        return None

    def overrides(self, cls_q: str, name: str) -> list:
        """Implementations of ``name`` in project subclasses of ``cls_q`` (for self./cls. dispatch)."""
        if self._subclasses is None:
            subs: dict = {}
            for q in list(self.index.classes):  # reading a base may load a library module
                for base in self.mro(q)[1:]:
                    subs.setdefault(base, []).append(q)
            self._subclasses = subs
        functions = self.index.functions
        return [f"{sub}.{name}" for sub in self._subclasses.get(cls_q, ()) if f"{sub}.{name}" in functions]

    def library_bases(self, cls_q: str) -> list:
        return [q for q in self.mro(cls_q) if q not in self.index.classes]

    def is_subclass(self, cls_q: str, bases) -> bool:
        """Is ``cls_q`` one of ``bases`` or a project class deriving from one of them?"""
        if cls_q in bases:
            return True
        return cls_q in self.index.classes and any(b in bases for b in self.mro(cls_q))
