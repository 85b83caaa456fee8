"""Stage 3, link: the whole project from every file's summary (module names, symbols, values)."""

from .modules import module_names, source_roots
from .project import MEMORY_BUFFERS, FunctionRef, ModuleInfo, Project

__all__ = ["MEMORY_BUFFERS", "FunctionRef", "ModuleInfo", "Project", "module_names", "source_roots"]
