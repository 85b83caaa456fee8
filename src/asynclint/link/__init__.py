"""Stage 3, link: the whole project from every file's summary (module names, symbols, values)."""

from .build import build_project, modules_in_memory, modules_on_disk
from .modules import module_names, source_roots
from .project import MEMORY_BUFFERS, FunctionRef, ModuleInfo, Project

__all__ = ["MEMORY_BUFFERS", "FunctionRef", "ModuleInfo", "Project", "build_project", "module_names",
           "modules_in_memory", "modules_on_disk", "source_roots"]
