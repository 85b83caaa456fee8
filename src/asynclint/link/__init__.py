"""Stage 3, link: the whole project from every file's summary (module names, symbols, values)."""

from .build import build_project, modules_in_memory, modules_on_disk
from .index import FunctionRef, ModuleInfo, ProjectIndex
from .modules import module_names, name_modules, source_roots
from .project import Project
from .values import MEMORY_BUFFERS, Inst, IterOf, MapItem, MapOf, MapValues, Meth, Super, Sym, TypeAlias, Value

__all__ = ["MEMORY_BUFFERS", "FunctionRef", "Inst", "IterOf", "MapItem", "MapOf", "MapValues", "Meth", "ModuleInfo",
           "Project", "ProjectIndex", "Super", "Sym", "TypeAlias", "Value", "build_project", "module_names",
           "modules_in_memory", "modules_on_disk", "name_modules", "source_roots"]
