"""A command-line run that starts from the analysis the previous run left on disk (``persist``).

``engine.run`` comes here when the result cache misses (some file changed)
and the analysis store is there: the project is linked from the summaries as
they were when the analysis was saved, the analysis is taken in, and every
file whose text changed, appeared or went away is applied as an edit
(``Workspace``), so the run costs about the changed files' parse plus the part
of the project that read what they changed. Without a usable store (the first
run after one that filled the caches, another configuration), the whole
project is analysed this way once and the store written.
"""

from __future__ import annotations

from typing import Optional

from ..cache.summaries import StaleSummary
from ..link import ModuleInfo, modules_on_disk
from .persist import Snapshot
from .stored import materialize
from .workspace import Workspace


def incremental(found, collected, cfg, options, snapshot: Snapshot, save: bool, modules=None,
                env=None) -> Optional[tuple]:
    """(diagnostics, number suppressed, workspace), or None when this run cannot start from the
    store (the caller runs the pipeline as usual). ``save``: write the analysis back; ``modules``: the
    run's ``link.modules_on_disk``, when the caller has made them; ``env``: the environment whose
    libraries are read (``environment.find_environment``)."""
    from ..cache.summaries import gc_paused

    with gc_paused():  # taking in the analysis builds many objects and no garbage cycles
        return _incremental(found, collected, cfg, options, snapshot, save, modules, env)


def _incremental(found, collected, cfg, options, snapshot: Snapshot, save: bool, modules=None,
                 env=None) -> Optional[tuple]:
    ws = Workspace(found.root, options, cfg)
    ws._env = env
    current = modules if modules is not None else modules_on_disk(
        found.files, collected.summaries, found.report_paths, found.context_dirs, found.root, check_tests=cfg.check_tests)
    ws.modules = {info.path: info for info in current}
    ws._display = {f.path: f.display for f in found.files}
    # what the run reports (``modules_on_disk``: not a module importing pytest, unless named or check-tests)
    reported = [info.path for info in current if info.report]
    ws.digests = dict(collected.digests)
    kept: dict = {}
    changed_paths = _resume(ws, collected, snapshot, kept)
    if changed_paths is None:
        ws.modules = {info.path: info for info in current}
        ws._link(analyse=True, indexed=False, derived=True)
        kept = {}
    results = ws.file_findings(set(reported), kept)
    diagnostics, suppressed = [], 0
    for path in reported:
        got = results.get(path)
        if got is not None:
            diagnostics += materialize(got[0])
            suppressed += got[1]
    diagnostics.sort(key=lambda d: (d.path, d.line, d.column, d.code))
    if save:
        if changed_paths is not None:
            changed_paths |= {p for p, got in results.items() if kept.get(p) is not got}
            changed_paths |= {p for p in kept if p not in results}
        if changed_paths is not None:
            fns = ws.project.functions
            for key in ws.state.touched:
                if key[0] == "m":
                    changed_paths.add(key[1])
                elif key[0] == "f":
                    ref = dict.get(fns, key[1])
                    if ref is not None:
                        changed_paths.add(ref.module.path)
        snapshot.save(ws, changed_paths, results)
    if ws._libraries is not None:
        ws._libraries.save()  # library modules summarized this run, for later runs
    return diagnostics, suppressed, ws


def _resume(ws: Workspace, collected, snapshot: Snapshot, kept: dict, server: bool = False) -> Optional[set]:
    """Link as the stored analysis saw the project, take it in, apply what changed since: the paths
    applied, or None when the store cannot be used (module names changed, a summary of then is gone).
    ``server``: for the language server, which finds what read a fact through an index, not by what
    each file's findings read."""
    if not snapshot.usable:
        return None
    try:
        return _resume_from(ws, collected, snapshot, kept, server)
    except StaleSummary:  # (a summary of then read from the cache is gone since: link afresh)
        return None


def _resume_from(ws: Workspace, collected, snapshot: Snapshot, kept: dict, server: bool) -> Optional[set]:
    then = snapshot.files
    now = ws.modules
    if any(p in then and then[p][1:4] != (m.name, tuple(m.aliases), m.is_package) for p, m in now.items()):
        return None  # modules are named otherwise: link afresh
    changed = [p for p in now if p in then and then[p][0] != ws.digests.get(p)]
    added = [p for p in now if p not in then]
    removed = [p for p in then if p not in now]
    previous = collected.previous
    if any(p not in previous for p in changed + removed):
        return None
    order = list(now)
    linked = {}
    for p, info in now.items():
        if p in added:
            continue
        if p in changed:
            info.summary, previous[p] = previous[p], info.summary  # linked as then; the new one kept to apply
        linked[p] = info
    for p in removed:
        name, aliases, is_package = then[p][1:4]
        linked[p] = ModuleInfo(name, p, ws._display.get(p) or p, previous[p], is_package, aliases, report=False)
    ws.modules = linked
    ws._link(analyse=False, indexed=server, derived=not server)
    got = snapshot.restore(ws)
    if got is None:
        return None
    kept.update(got)
    ws.digests_changed = set(changed) | set(added)
    for p in changed:
        info = ws.modules[p]
        ws._apply(info, info.summary, previous[p])
    for p in removed:
        info = ws.modules.pop(p)
        ws._apply(info, info.summary, None)
    for p in added:
        info = now[p]
        ws.modules[p] = info
        ws._apply(info, None, info.summary)
    ws.modules = {p: ws.modules[p] for p in order}
    return set(changed) | set(added) | set(removed)
