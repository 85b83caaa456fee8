"""The pipeline, in order; the one entry point the CLI, the flake8 plugin and the tests share.

    discover → summarize → link → analyze → framework findings → suppress → mark fixes

``run`` checks files on disk; ``lint_sources`` checks an in-memory project
(tests, rule examples). Both end in ``check_project``, so every front end
gets the same findings.
"""

from __future__ import annotations

import gc
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from .cache.results import ResultCache
from .config import Config, ConfigError, config_from_dict, find_pyproject, load_config
from .discover import files_for_run
from .environment import find_environment
from .selectors import SelectorError, check as check_selectors

# The stages after discovery are imported where they run: a run the result cache answers (nothing
# changed) needs none of them, and costs little more than the interpreter's own start-up.
if TYPE_CHECKING:
    from .analyze import Analysis
    from .frameworks.fastapi import RouteModel
    from .link import Project


@dataclass
class Options:
    select: Optional[list] = None
    ignore: Optional[list] = None
    extend_select: Optional[list] = None
    config_path: Optional[str] = None
    use_cache: bool = True
    jobs: Optional[int] = None
    force_exclude: bool = False
    overrides: dict = field(default_factory=dict)  # abs path -> source text (editor buffers)
    progress: bool = False
    result_cache: bool = False  # reuse the last run's findings when nothing changed (report-only callers)
    whole_project: bool = True  # files named one by one are linked against the project around them
    python: Optional[str] = None  # --python: the project's environment (a venv or its interpreter; "none")
    root: Optional[str] = None  # the project root, when the caller knows it (else discover.project_root)
    witness: bool = False  # with result_cache: say what the report depends on (``Result.witness``)


@dataclass
class Result:
    diagnostics: list
    errors: list
    files_checked: int
    project: Optional[Project] = None
    analysis: Optional[Analysis] = None
    config: Optional[Config] = None
    suppressed: int = 0
    routes: Optional[RouteModel] = None  # FastAPI/Starlette routes (``asynclint routes``)
    root: Optional[str] = None  # the project root (what --fix may write in)
    problems: list = field(default_factory=list)  # paths named that do not exist or are not files
    # the files this run linked under their own module names (a file shadowed by another of the same
    # name is not): the flake8 plugin answers those from this run
    covered: list = field(default_factory=list)
    # with ``Options.witness``: path -> ``os.stat`` result (or None: not there, True: there) of
    # everything this report depends on, taken before it was read (``cache.warm``), and under the
    # key "" the time (``time.time_ns``) they began to be taken; None when it cannot be said
    witness: Optional[dict] = None
    # path -> SHA-256 of the text analysed, for the files of the run, when this run read them all
    # (``cache.warm``: a file touched and unchanged keeps the answer)
    digests: Optional[dict] = None


# In a process that ends once its report is out (``cli``), what a run built is left to the process's
# end instead of being taken apart object by object when the run returns: freeing the analysis of a
# large project costs a sizeable part of a run after one edit. None: freed as usual (a library caller).
_lingering: Optional[list] = None


def linger_until_exit() -> None:
    """Keep what runs build until the process ends (``cli``, one check per process)."""
    global _lingering
    if _lingering is None:
        _lingering = []


def _linger(*objects) -> None:
    if _lingering is not None:
        _lingering.append(objects)


def resolve_config(paths, options: Options) -> Config:
    """``[tool.asynclint]`` of the nearest pyproject.toml (or ``--config``), then the command line."""
    if options.config_path:
        cfg = load_config(options.config_path)
    else:
        cfg = load_config(find_pyproject(paths[0] if paths else "."))
    try:
        if options.select is not None:
            cfg.select = check_selectors(options.select, "--select")
        if options.ignore is not None:
            cfg.ignore = list(cfg.ignore) + check_selectors(options.ignore, "--ignore")
        if options.extend_select:
            cfg.extend_select = list(cfg.extend_select) + check_selectors(options.extend_select, "--extend-select")
    except SelectorError as exc:
        raise ConfigError(str(exc)) from None
    return cfg


def _discover(paths, options: Options, cfg: Optional[Config]):
    """Configuration, files, environment, and the result cache's answer: (cfg, found, env, results,
    prestat, Result or None)."""
    paths = list(paths) or ["."]
    cached = options.result_cache and options.use_cache and not options.overrides
    stamps = {} if cached and options.witness and cfg is None and options.root is None else None
    root = options.root
    if stamps is not None:
        from .cache.warm import ancestors_witness
        from .discover import project_root

        root = project_root(paths)  # (found once: discovery below is given it)
        _make_cache_dir(root)
        stamps[_STARTED] = time.time_ns()  # (before anything is stat'ed)
        ancestors_witness(paths, options.config_path, stamps)
    cfg = cfg or resolve_config(paths, options)

    # 1. discover (when the result cache is asked: a directory is walked again only when it, or one
    # walked below it, or a .gitignore read there, changed since the last walk: ``cache.discovered``)
    walk = None
    if cached and root is not None:
        from .cache.discovered import walker

        walk = walker(os.path.abspath(root), cfg.exclude, cfg.extend_exclude)
    found = files_for_run(paths, exclude=cfg.exclude, extend_exclude=cfg.extend_exclude,
                          force_exclude=options.force_exclude, whole_project=options.whole_project, root=root,
                          check_tests=cfg.check_tests, stamps=stamps, walk=walk)

    # the environment whose installed libraries are read (none: the catalog alone)
    env = find_environment(options.python, cfg.python, cfg.path, found.root)
    if stamps is not None and env is not None:
        from .cache.warm import environment_witness

        environment_witness(env, stamps)

    # nothing changed since the last run: its findings
    results, prestat, hit = None, {}, None
    if cached:
        results = ResultCache(found.root, cfg, paths, options.force_exclude,
                              environment=env.fingerprint() if env is not None else None, stamps=stamps)
        prestat = results.stat_files(found.files, found.report_paths)
        got = results.lookup()
        if got is not None:
            diagnostics, errors, checked, suppressed, covered = got
            hit = Result(diagnostics, errors, checked, config=cfg, suppressed=suppressed, root=found.root,
                         problems=found.problems, covered=covered,
                         digests=results.text_digests() if stamps is not None else None)
            hit.witness = _witness(found.stamps, prestat, results)
    return cfg, found, env, results, prestat, hit


# a run on a few files of a project of at most this many files analyses all of it and keeps that (a
# project of 2,000 files is about 300,000 lines: a few seconds, once); of a larger one, what they reach
KEEP_FOR_FEW_FILES_UP_TO = 2000

_STARTED = ""  # (the key of ``Result.witness`` whose value is the time the stamps began to be taken)


def _make_cache_dir(root: str) -> None:
    """Make the project's cache directory before the project is walked (when there is none yet): made
    after, it would change the project directory's stamp under the answer this run records."""
    from .cache.store import ensure_project_dir, project_cache_dir

    where = project_cache_dir(root)
    if where is not None and not os.path.isdir(where) and ensure_project_dir(where):
        from .cache.warm import FINE_TICK

        # a change within the same tick of the file system's clock as this one would leave the project
        # directory's stamp as it is (see ``warm._racy``): a first run waits for the next tick
        if os.stat(where).st_mtime_ns % 1_000_000:
            time.sleep(FINE_TICK / 1e9)


def _witness(stamps: Optional[dict], prestat: dict, results: ResultCache) -> Optional[dict]:
    """``Result.witness`` from what discovery and the result cache stat'ed before reading (None when
    not asked for, or when a file the results rest on changed since they were made)."""
    if stamps is None or results.signature is None:
        return None
    out = dict(stamps)
    out.update(prestat)
    for path, (size, mtime) in results.watched.items():
        try:
            now = os.stat(path)
        except OSError:
            return None
        if (now.st_size, now.st_mtime_ns) != (size, mtime):
            return None
        out[path] = now
    return out


def cached_run(paths, options: Optional[Options] = None) -> Optional[Result]:
    """What ``run(paths, options)`` with the result cache returns when nothing changed since a run
    of the same paths left its findings; None otherwise (nothing is analysed here)."""
    from dataclasses import replace

    return _discover(paths, replace(options or Options(), result_cache=True), None)[5]


def run(paths, options: Optional[Options] = None, cfg: Optional[Config] = None) -> Result:
    from .cache.summaries import StaleSummary

    options = options or Options()
    paths = list(paths) or ["."]
    try:
        return _run(paths, options, cfg)
    except StaleSummary:
        # a file changed while this run read its summary, whose rest the cache no longer has right
        # (damaged meanwhile): the run again, reading no cache
        from dataclasses import replace

        return _run(paths, replace(options, use_cache=False, result_cache=False), cfg)


def _run(paths, options: Options, cfg: Optional[Config]) -> Result:
    cfg, found, env, results, prestat, hit = _discover(paths, options, cfg)
    if hit is not None:
        return hit

    from .catalog import catalog_for
    from .link import build_project, modules_on_disk
    from .summarize import collect_summaries

    # the analysis an earlier run left (``live.persist``): this run redoes only what changed files reach
    snapshot = None
    if options.use_cache and (results is not None or options.overrides):
        from .live.persist import Snapshot, snapshot_key

        snapshot = Snapshot(found.root, snapshot_key(cfg, found.root, env))

    # 2. summarize
    collected = collect_summaries(found.files, found.report_paths, root=found.root, max_file_size=cfg.max_file_size,
                                  use_cache=options.use_cache, jobs=options.jobs, overrides=options.overrides,
                                  progress=options.progress, prestat=prestat,
                                  previous=snapshot.digests() if snapshot is not None and snapshot.usable else None,
                                  equivalence=results is not None or snapshot is not None)
    if collected.equivalent:
        # a file's text changed and its summary did not (a comment edited): what was analysed is the same
        same = snapshot is None or snapshot.follow(collected.equivalent, collected.digests)
        got = results.lookup_equivalent(collected.digests, collected.equivalent) if same and results else None
        if got is not None:
            diagnostics, errors, checked, suppressed, covered = got
            _linger(collected)
            return Result(diagnostics, errors, checked, config=cfg, suppressed=suppressed, root=found.root,
                          problems=found.problems, covered=covered,
                          witness=_witness(found.stamps, prestat, results), digests=collected.digests)
    collected.fill()  # (the summaries of the files that did not change, when the comparison did not answer)
    errors = sorted(collected.errors, key=lambda e: e.path)
    names = None
    if snapshot is not None and snapshot.usable:
        from .link.build import same_names

        names = same_names(snapshot.files, collected.summaries, collected.digests, collected.previous)
    modules = modules_on_disk(found.files, collected.summaries, found.report_paths, found.context_dirs, found.root,
                              check_tests=cfg.check_tests, names=names)
    checked = sum(1 for m in modules if m.report)

    # 3.-7. from that analysis when there is one; or made now, when an earlier run filled the caches and
    # this one reports the whole project, or a few files of a project small enough that analysing all
    # of it costs about what they reach (an editor checks the file it saves, save after save: each later
    # one starts from the analysis kept); a run on a few files of a large one keeps to what they reach
    # (test modules and vendored copies are linked but not reported: a run over the project has them)
    whole = all(f.path in found.report_paths or f.test or f.vendored for f in found.files)
    keep = whole or len(found.files) <= KEEP_FOR_FEW_FILES_UP_TO
    if snapshot is not None and (snapshot.usable or keep and results is not None and results.had_results):
        from .live.run import incremental

        got = incremental(found, collected, cfg, options, snapshot, save=not options.overrides, modules=modules,
                          env=env)
        if got is not None:
            diagnostics, suppressed, ws = got
            _linger(ws, snapshot, collected)
            covered = covered_files(ws.project, errors)
            if results is not None:
                results.save(diagnostics, errors, checked, suppressed, covered,
                             ws._libraries.outside() if ws._libraries is not None else None, collected.digests)
            return Result(diagnostics, errors, checked, ws.project, None, cfg, suppressed, ws.state.routes,
                          found.root, found.problems, covered,
                          _witness(found.stamps, prestat, results) if results is not None else None,
                          collected.digests)
        # (the module infos may have been taken in: fresh ones for the pipeline)
        modules = modules_on_disk(found.files, collected.summaries, found.report_paths, found.context_dirs,
                                  found.root, check_tests=cfg.check_tests)

    # 3. link
    project = build_project(catalog_for(cfg.extend_blocking, cfg.extend_offload), modules)
    project.check_tests = cfg.check_tests
    libraries = None
    if env is not None:
        from .libraries import attach_libraries  # (imported only with an environment to read)

        libraries = attach_libraries(project, env, cfg.library_exclude, options.use_cache)

    # 4.-7. analyze, framework findings, suppress, mark fixes
    only_reported = len(modules) != sum(1 for m in modules if m.report)
    diagnostics, suppressed, analysis, routes = check_project(project, cfg, only_reported=only_reported,
                                                              root=found.root)
    if libraries is not None:
        libraries.save()

    _linger(collected, snapshot)
    covered = covered_files(project, errors)
    if results is not None:
        results.save(diagnostics, errors, checked, suppressed, covered,
                     libraries.outside() if libraries is not None else None, collected.digests)
    return Result(diagnostics, errors, checked, project, analysis, cfg, suppressed, routes, found.root, found.problems,
                  covered, _witness(found.stamps, prestat, results) if results is not None else None,
                  collected.digests)


def keep_analysis(paths, options: Optional[Options] = None) -> bool:
    """Make the analysis that a run after an edit starts from (``live.persist``) and keep it on disk:
    when an earlier run over these paths left its results, no usable analysis is kept for this
    configuration, and the project has at most ``KEEP_FOR_FEW_FILES_UP_TO`` files. Whether it was
    made. (The flake8 plugin, beside a run over the project that those results answered: the editor's
    first check after an edit then starts from it instead of analysing the whole project.)"""
    from dataclasses import replace

    from .live.persist import Snapshot, snapshot_key
    from .live.run import incremental
    from .summarize import collect_summaries

    options = replace(options or Options(), result_cache=True)
    cfg, found, env, results, prestat, _ = _discover(list(paths) or ["."], options, None)
    if results is None or not results.had_results or len(found.files) > KEEP_FOR_FEW_FILES_UP_TO:
        return False
    snapshot = Snapshot(found.root, snapshot_key(cfg, found.root, env))
    if snapshot.usable:
        return False
    collected = collect_summaries(found.files, found.report_paths, root=found.root, max_file_size=cfg.max_file_size,
                                  use_cache=True, jobs=options.jobs, prestat=prestat)
    return incremental(found, collected, cfg, options, snapshot, save=True, env=env) is not None


def covered_files(project: Project, errors) -> list:
    """The files a run linked under their own module names, and those it could not check (see
    ``Result.covered``)."""
    import os

    out = [e.path for e in errors]
    modules = project.modules
    for info in project.unique_modules():
        if all(dict.get(modules, n) is info for n in (info.name,) + tuple(info.aliases)):
            out.append(info.path)
    return sorted({os.path.abspath(p) for p in out})


def check_project(project: Project, cfg: Config, *, only_reported: bool = False, classified: Optional[dict] = None,
                  routes: Optional[RouteModel] = None, roots: Optional[set] = None, root: Optional[str] = None):
    """Stages 4 to 7 on a linked project: (diagnostics, number suppressed, analysis, route model).

    With ``only_reported``, only what the functions of the reported files reach is analysed
    (one file of a large project costs what it reaches); ``roots`` names those functions when the
    caller knows them. ``classified`` and ``routes`` carry what a long-lived caller (``live``)
    kept from earlier runs on the same project. ``root``: the project root, which
    ``per-file-ignores`` patterns are relative to when the configuration is not from a file."""
    from .analyze import analyze

    if only_reported and roots is None:
        roots = {fq for fq, ref in project.functions.items() if ref.module.report}
    elif not only_reported:
        roots = None
    with gc_frozen():  # the summaries live to the end, and so does most of what the analysis builds
        analysis = analyze(project, cfg.analyzed_categories(), roots, classified)
        diagnostics, suppressed, routes = finish_findings(project, analysis, cfg, routes, root)
    return diagnostics, suppressed, analysis, routes


@contextmanager
def gc_frozen():
    """Keep the cyclic collector from walking the (long-lived) summaries and tables meanwhile, and
    from walking what is built meanwhile: an analysis makes millions of objects that live as long as
    it does (memos, tables, findings) and next to no garbage cycles (about a hundred objects on a
    1M-line project), yet with the collector on, each time they grew by a quarter it walked them all
    again (on that project 13 full collections, half the analysis's CPU time). Afterwards everything
    joins the oldest generation, as the summaries would have without the freeze, so no young
    collection walks it at once either."""
    was = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # (moving every generation to the permanent one walks nothing) ...
        gc.unfreeze()  # ... and back into the oldest one
        if was:
            gc.enable()


def finish_findings(project: Project, analysis: Analysis, cfg: Config, routes: Optional[RouteModel] = None,
                    root: Optional[str] = None):
    """Stages 5 to 7 on an analysis: framework findings, suppressions, fixes, in report order:
    (diagnostics, number suppressed, route model)."""
    from .fix.kinds import mark_fixes
    from .frameworks import framework_findings
    from .suppress import apply_suppressions

    diagnostics, routes = framework_findings(project, analysis, cfg, routes)
    if project.index.loader is not None:
        from .libraries import mark_inferred

        mark_inferred(diagnostics, project)
    diagnostics, suppressed = apply_suppressions(diagnostics, project, cfg, root)
    mark_fixes(diagnostics, project)
    diagnostics.sort(key=lambda d: (d.path, d.line, d.column, d.code))
    return diagnostics, suppressed, routes


def lint_snippet(source: str, *, config: Optional[dict] = None, select_all: bool = False, filename: str = "snippet.py"):
    """Check one module's source text (tests, rule examples)."""
    return lint_sources({filename: source}, config=config, select_all=select_all)


def lint_sources(files: dict, *, config: Optional[dict] = None, select_all: bool = False):
    """Check a small project given as {relative path: source} without touching the disk."""
    from .catalog import catalog_for
    from .link import build_project, modules_in_memory
    from .summarize import summarize_source

    cfg = config_from_dict(config or {})
    if select_all and not cfg.select:
        cfg.select = ["ASL"]
    summaries = {rel: summarize_source(text) for rel, text in files.items()}
    project = build_project(catalog_for(cfg.extend_blocking, cfg.extend_offload), modules_in_memory(summaries))
    diagnostics = check_project(project, cfg)[0]
    return diagnostics
