"""The project's tables: modules by name, functions and classes by qualified name."""

from __future__ import annotations

from dataclasses import dataclass, field

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

    def add_module(self, info: ModuleInfo) -> None:
        """Add a module under its name and aliases (a name already taken keeps its first owner)."""
        for name in (info.name,) + tuple(info.aliases):
            self.modules.setdefault(name, info)
        for lq, fn in info.summary.functions.items():
            self.functions[f"{info.name}.{lq}"] = FunctionRef(f"{info.name}.{lq}", info, fn)
        for lq, cls in info.summary.classes.items():
            self.classes[f"{info.name}.{lq}"] = (info, cls)

    def unique_modules(self) -> list:
        seen, out = set(), []
        for info in self.modules.values():
            if id(info) not in seen:
                seen.add(id(info))
                out.append(info)
        return out

    def class_summary(self, q: str) -> ClassSummary | None:
        entry = self.classes.get(q)
        return entry[1] if entry is not None else None

    @staticmethod
    def relative(mod: ModuleInfo, level: int, name: str) -> str:
        """The absolute name of ``from <level dots><name> import ...`` written in ``mod``."""
        parts = mod.name.split(".")
        if not mod.is_package:
            parts = parts[:-1]
        if level > 1:
            parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
        base = ".".join(parts)
        if base and name:
            return f"{base}.{name}"
        return base or name
