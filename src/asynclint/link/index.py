"""The project's tables: modules by name, functions and classes by qualified name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from ..cache.lazy import is_set
from ..model import ClassSummary, FunctionSummary, ModuleSummary


@dataclass(slots=True)
class ModuleInfo:
    name: str
    path: str  # absolute
    display: str
    summary: ModuleSummary
    is_package: bool = False
    aliases: tuple = ()
    report: bool = True  # findings in this file are reported
    library: str = ""  # "distribution version" for a module read from the environment, "" for project code


@dataclass(slots=True)
class FunctionRef:
    qualname: str  # full
    module: ModuleInfo
    summary: FunctionSummary


@dataclass
class ProjectIndex:
    modules: dict = field(default_factory=dict)  # name (and aliases) -> ModuleInfo
    functions: dict = field(default_factory=dict)  # full qualname -> FunctionRef
    classes: dict = field(default_factory=dict)  # full qualname -> (ModuleInfo, ClassSummary)
    # installed libraries (``libraries``): a module name -> its ModuleInfo or None, asked for names
    # the project does not have; and the names the catalog describes, which stay library names
    # (never their source) so that the catalog's knowledge wins over inference
    loader: Optional[Callable[[str], Optional[ModuleInfo]]] = None
    opaque: Callable[[str], bool] = lambda q: False
    tracker: Optional[object] = None  # link.deps.Tracker: module globals are tracked as modules are added
    # counts the changes to the project's own modules (one added, a summary replaced): tables derived
    # from all of them (``analyze.entries.ProjectSites``) are made again when it moved
    generation: int = 0
    # (generation, the modules table, its project modules, them by display): ``unique_modules`` while
    # neither moved
    _unique: Optional[tuple] = field(default=None, repr=False, compare=False)

    def add_module(self, info: ModuleInfo, aliases: bool = True) -> None:
        """Add a module under its name and (unless ``aliases`` is off: ``add_aliases`` later) its
        aliases; a name already taken keeps its first owner."""
        if self.tracker is not None:
            from .deps import TrackedDict

            tracker, path = self.tracker, info.path

            def tracked(g):
                return g if isinstance(g, TrackedDict) and g.tracker is tracker else TrackedDict(g, "g", tracker, path)

            summary = info.summary
            if is_set(summary, "globals"):
                summary.globals = tracked(summary.globals)
            else:  # (a summary read back from the cache and not decoded yet: when it is)
                summary.wrap_globals(tracked)
        self.modules.setdefault(info.name, info)
        if not info.library:
            self.generation += 1
        if aliases:
            self.add_aliases(info)
        opaque = self.opaque if info.library else None
        for lq, cls in info.summary.classes.items():
            q = f"{info.name}.{lq}"
            if opaque is None or not opaque(q):
                self.classes[q] = (info, cls)
        for lq, fn in info.summary.functions.items():
            q = f"{info.name}.{lq}"
            if opaque is not None and (opaque(q) or fn.class_name and f"{info.name}.{fn.class_name}" not in
                                       self.classes):
                continue  # a catalogued name, or a method of a catalogued class
            self.functions[q] = FunctionRef(q, info, fn)

    def add_aliases(self, info: ModuleInfo) -> None:
        if not info.library:
            self.generation += 1
        for name in info.aliases:
            self.modules.setdefault(name, info)

    def find_module(self, name: str) -> Optional[ModuleInfo]:
        """The module ``name``: of the project, else read from the environment's libraries if any."""
        info = self.modules.get(name)
        if info is None and self.loader is not None:
            info = self.loader(name)
            if info is not None:
                self.add_module(info)
        return info

    def scopes(self, fq: str) -> list:
        """The function ``fq`` and the functions nested in it (closures, lambdas), whose call sites
        run when it runs or what it returns does; [] when there is no such function."""
        ref = self.functions.get(fq)
        if ref is None:
            return []
        out = [ref]
        info = ref.module
        prefix = ref.summary.qualname + "."
        for lq in info.summary.functions:
            if lq.startswith(prefix):
                nested = self.functions.get(f"{info.name}.{lq}")
                if nested is not None and nested.module is info:
                    out.append(nested)
        if self.tracker is not None:
            for r in out:
                self.tracker.note(("body", r.qualname))  # what reads this reads their call sites
        return out

    def own_functions(self) -> list:
        """(qualname, FunctionRef) of the project's own functions (not of library modules read from the
        environment), as a list: evaluating code while going through them may read more modules."""
        return [(fq, ref) for fq, ref in self.functions.items() if not ref.module.library]

    def unique_modules(self) -> list:
        """The project's modules (library modules read from the environment are not part of it)."""
        return list(self._project_modules()[2])

    def by_display(self, display: str) -> Optional[ModuleInfo]:
        """The project module shown as ``display`` (of two, the later in ``unique_modules``' order)."""
        memo = self._project_modules()
        table = memo[3]
        if not table:
            for info in memo[2]:
                table[info.display] = info
        return table.get(display)

    def _project_modules(self) -> tuple:
        """``_unique``, made again when a change to the modules moved ``generation`` (a module added or
        its summary replaced: ``add_module``, ``live.workspace``); the stages ask once per file."""
        memo = self._unique
        if memo is not None and memo[0] == self.generation and memo[1] is self.modules:
            return memo
        seen, out = set(), []
        for info in self.modules.values():
            if info.library:
                continue
            if id(info) not in seen:
                seen.add(id(info))
                out.append(info)
        self._unique = memo = (self.generation, self.modules, out, {})
        return memo

    def class_summary(self, q: str) -> ClassSummary | None:
        entry = self.classes.get(q)
        return entry[1] if entry is not None else None

    def relative(self, mod: ModuleInfo, level: int, name: str) -> str:
        """The absolute name of ``from <level dots><name> import ...`` written in ``mod``; from the
        name ``mod`` holds when another module took its primary name (two ``app`` packages in a
        repository of services: ``from ..db import x`` is the db module beside it)."""
        own = mod.name
        if mod.aliases and self.modules.get(own) is not mod:
            own = next((a for a in mod.aliases if self.modules.get(a) is mod), own)
        parts = own.split(".")
        if not mod.is_package:
            parts = parts[:-1]
        if level > 1:
            parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
        base = ".".join(parts)
        if base and name:
            return f"{base}.{name}"
        return base or name
