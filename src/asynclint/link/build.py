"""Build the ``Project`` from named module summaries."""

from __future__ import annotations

import os

from ..catalog import Catalog
from .modules import module_names, source_roots
from .index import ModuleInfo
from .project import Project


def modules_on_disk(files, summaries: dict, report_paths, context_dirs, root: str) -> list:
    """A ``ModuleInfo`` for every file that has a summary, named from the source roots."""
    roots = source_roots(context_dirs, root)
    out = []
    for f in files:
        summary = summaries.get(f.path)
        if summary is None:
            continue
        name, aliases, is_package = module_names(f.path, roots)
        out.append(ModuleInfo(name, f.path, f.display, summary, is_package, aliases, report=f.path in report_paths))
    return out


def modules_in_memory(summaries: dict, root: str = "/__snippet__") -> list:
    """``{relative path: summary}`` of an in-memory project (tests, rule examples)."""
    out = []
    for rel, summary in summaries.items():
        parts = rel[:-3].split("/")
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out.append(ModuleInfo(".".join(parts), os.path.join(root, rel), rel, summary, is_package))
    return out


def build_project(catalog: Catalog, modules: list) -> Project:
    project = Project(catalog)
    for info in modules:
        project.add_module(info)
    return project
