"""One project in memory: summaries, the linked project, classifications and routes, kept current.

    ws = Workspace("/path/to/project")
    ws.load()                              # discover, summarize (on-disk cache), link
    ws.update(path, text)                  # an editor buffer changed (None: back to the file on disk)
    found = ws.check({path, other_path})   # findings of those files, from whole-project analysis

An edit is re-summarized on its own. When it leaves the module's
``linked_shape`` unchanged (an edit inside function bodies: the usual case
while typing), the project stays linked: the evaluator forgets only the
edited module's expressions, and only its functions are classified again
(all of them when the edit changed which functions are offloaders); the
route model is kept, its call index updated. Any other edit (a signature, a
global, an import, a class, a new or deleted file) links the project again
from the summaries in memory. ``check`` then analyses what the files asked
for reach, reusing every classification still valid; its findings are those
of a fresh ``engine.run`` on the project with the same texts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from ..catalog import catalog_for
from ..discover import files_for_run
from ..engine import Options, check_project, resolve_config
from ..environment import find_environment
from ..link import FunctionRef, ModuleInfo, Project, modules_on_disk
from ..model import SourceFile
from ..summarize import collect_summaries
from ..summarize.collect import file_error, summarize_bytes
from .shape import expressions, linked_shape, offloader_sites, route_sites


@dataclass
class Checked:
    """What ``check`` found: the findings and file errors of each file asked for (absolute paths)."""

    diagnostics: dict  # path -> [Diagnostic]
    errors: dict  # path -> [FileError]
    relinked: bool  # the project was linked again since the previous check


class Workspace:
    def __init__(self, root: str, options: Optional[Options] = None, cfg=None):
        self.root = os.path.abspath(root)
        self.options = options or Options()
        self.cfg = cfg if cfg is not None else resolve_config([self.root], self.options)
        self.modules: dict = {}  # absolute path -> ModuleInfo, in discovery order
        self.errors: dict = {}  # absolute path -> FileError (files that cannot be checked)
        self.texts: dict = {}  # absolute path -> text held by the editor (differs from the disk)
        self.project: Optional[Project] = None
        self.classified: dict = {}  # function qualname -> its blocking call sites (analyze.classify_reachable)
        self.routes = None  # frameworks.fastapi.RouteModel, while still valid
        self.stats = {"body": 0, "relink": 0}  # how edits were absorbed (bench, tests)
        self._relinked = True
        self._context: list = []
        self._display: dict = {}
        self._env = None
        self._libraries = None

    # ----------------------------------------------------------------- loading
    def load(self) -> None:
        """Discover the project's files, summarize them (through the on-disk cache) and link them."""
        cfg = self.cfg
        found = files_for_run([self.root], exclude=cfg.exclude, extend_exclude=cfg.extend_exclude,
                              whole_project=True)
        self.root = found.root if os.path.isdir(found.root) else self.root
        self._context = list(found.context_dirs)
        every = {f.path for f in found.files}
        collected = collect_summaries(found.files, every, root=found.root, max_file_size=cfg.max_file_size,
                                      use_cache=self.options.use_cache, jobs=self.options.jobs,
                                      overrides=dict(self.texts))
        self.errors = {}
        for e in collected.errors:
            path = next((f.path for f in found.files if f.display == e.path), None)
            if path is not None:
                self.errors[path] = e
        infos = modules_on_disk(found.files, collected.summaries, every, found.context_dirs, found.root)
        self.modules = {info.path: info for info in infos}
        self._display = {f.path: f.display for f in found.files}
        self._env = find_environment(self.options.python, cfg.python, cfg.path, found.root)
        self._link()

    def _link(self) -> None:
        from ..libraries import attach_libraries

        project = Project(catalog_for(self.cfg.extend_blocking, self.cfg.extend_offload))
        for info in self.modules.values():
            project.add_module(info)
        self._libraries = None
        if self._env is not None:
            self._libraries = attach_libraries(project, self._env, self.cfg.library_exclude, self.options.use_cache)
        self.project = project
        self.classified = {}
        self.routes = None
        self._relinked = True
        self.stats["relink"] += 1

    def paths(self) -> list:
        """The project's files (absolute paths) that have a summary."""
        return list(self.modules)

    def knows(self, path: str) -> bool:
        """Is ``path`` one of the project's files (with a summary or one that cannot be checked)?"""
        path = os.path.abspath(path)
        return path in self.modules or path in self.errors

    # ------------------------------------------------------------------ edits
    def update(self, path: str, text: Optional[str] = None) -> str:
        """The file at ``path`` now holds ``text`` (``None``: what is on disk). Returns how the edit
        was absorbed: ``"unchanged"``, ``"body"`` (the project stayed linked) or ``"relink"``."""
        path = os.path.abspath(path)
        if text is None:
            self.texts.pop(path, None)
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                return self._failed(path, f"cannot read: {exc.strerror or exc}")
        else:
            self.texts[path] = text
            data = text.encode("utf-8", "surrogatepass")
        summary, err = summarize_bytes(data)
        if err:
            return self._failed(path, err)
        self.errors.pop(path, None)
        info = self.modules.get(path)
        if info is None:
            return self._added(path, summary)
        if self.project is None or linked_shape(info.summary) != linked_shape(summary):
            self.modules[path] = ModuleInfo(info.name, info.path, info.display, summary, info.is_package,
                                            info.aliases, info.report, info.library)
            self._link()
            return "relink"
        self._replace_bodies(info, summary)
        return "body"

    def remove(self, path: str) -> None:
        """The file was deleted."""
        path = os.path.abspath(path)
        self.texts.pop(path, None)
        self.errors.pop(path, None)
        if self.modules.pop(path, None) is not None:
            self._link()

    def _failed(self, path: str, reason: str) -> str:
        """The file can no longer be checked (it does not parse while being typed, say): its module
        leaves the project until it parses again."""
        display = self._display.get(path) or os.path.relpath(path)
        self.errors[path] = file_error(display, reason)
        if self.modules.pop(path, None) is not None:
            self._link()
            return "relink"
        return "unchanged"

    def _added(self, path: str, summary) -> str:
        """A file that was not part of the project (new, or one that did not parse before)."""
        if path not in self._display and not self._rediscover(path):
            return "unchanged"  # not a file of this project (excluded, outside it, not Python)
        source = SourceFile(path, self._display[path])
        info = modules_on_disk([source], {path: summary}, {path}, self._context, self.root)[0]
        info.report = False
        modules = dict(self.modules)
        modules[path] = info
        # in discovery order, as a fresh run links them (the first owner of a module name keeps it)
        order = {p: i for i, p in enumerate(self._display)}
        self.modules = dict(sorted(modules.items(), key=lambda kv: order.get(kv[0], len(order))))
        self._link()
        return "relink"

    def _rediscover(self, path: str) -> bool:
        """Discover the project again (a file appeared); is ``path`` one of its files now?"""
        if not path.endswith(".py") or not path.startswith(self.root.rstrip(os.sep) + os.sep):
            return False
        cfg = self.cfg
        found = files_for_run([self.root], exclude=cfg.exclude, extend_exclude=cfg.extend_exclude)
        self._display = {f.path: f.display for f in found.files}
        return path in self._display

    def _replace_bodies(self, info: ModuleInfo, summary) -> None:
        """An edit that changed function bodies only: swap the summary in, keep the links."""
        from ..frameworks.fastapi import replace_calls

        project = self.project
        old = info.summary
        project.values.forget(info, expressions(old))
        functions, classes = project.functions, project.classes
        before, after = {}, {}
        for lq, fn in summary.functions.items():
            q = f"{info.name}.{lq}"
            ref = functions.get(q)
            if ref is not None and ref.module is info:
                before[q] = ref
                functions[q] = after[q] = FunctionRef(q, info, fn)
            self.classified.pop(q, None)
        for lq, cls in summary.classes.items():
            q = f"{info.name}.{lq}"
            entry = classes.get(q)
            if entry is not None and entry[0] is info:
                classes[q] = (info, cls)
        info.summary = summary
        if offloader_sites(old) != offloader_sites(summary):
            self.classified.clear()  # which calls hand work to a thread changed: anywhere
        if self.routes is not None:
            if route_sites(old) != route_sites(summary):
                self.routes = None
            else:
                replace_calls(self.routes, before, after)
        self.stats["body"] += 1

    # --------------------------------------------------------------- analysis
    def check(self, paths=None) -> Checked:
        """Findings of the files ``paths`` (absolute; None: every file of the project), from the
        whole project as it is now."""
        project = self.project
        every = paths is None
        wanted = set(self.modules) | set(self.errors) if every else {os.path.abspath(p) for p in paths}
        roots = set()
        for info in self.modules.values():
            info.report = info.path in wanted
            if info.report:
                for lq in info.summary.functions:
                    q = f"{info.name}.{lq}"
                    ref = project.functions.get(q)
                    if ref is not None and ref.module is info:
                        roots.add(q)
        only = not every and len(wanted & set(self.modules)) != len(self.modules)
        diagnostics, _, _, routes = check_project(project, self.cfg, only_reported=only, classified=self.classified,
                                                  routes=self.routes, roots=roots if only else None)
        self.routes = routes
        if self._libraries is not None:
            self._libraries.save()
        by_display = {info.display: info.path for info in self.modules.values()}
        out: dict = {p: [] for p in wanted}
        for d in diagnostics:
            p = by_display.get(d.path)
            if p in out:
                out[p].append(d)
        errors = {p: [self.errors[p]] for p in wanted if p in self.errors}
        relinked, self._relinked = self._relinked, False
        return Checked(out, errors, relinked)

