"""Run the pipeline: discover -> summarize -> link -> analyze -> suppress.

This is the one entry point that the CLI, the flake8 plugin and the tests
share, so all three give the same findings.
"""

from __future__ import annotations

import gc
import io
import os
import tokenize
from dataclasses import dataclass, field
from typing import Optional

from .config import Config, config_from_dict, find_pyproject, load_config
from .discover import discover, find_project_root
from .model import FileError, SourceFile

# The parsing, linking and analysis modules are imported when first needed, so
# that a warm run answered by the result cache (and the CLI's start-up) does
# not pay for them.
_LAZY = {
    "Analysis": "analyze", "analyze": "analyze",
    "SummaryCache": "cache.summaries", "dumps_summary": "cache.summaries", "gc_paused": "cache.summaries",
    "loads_summary": "cache.summaries",
    "Catalog": "catalog", "default_catalog": "catalog",
    "ModuleInfo": "link", "Project": "link",
    "module_names": "link.modules", "source_roots": "link.modules",
    "apply_suppressions": "suppress",
    "ParseFailure": "summarize", "summarize_source": "summarize",
}


def __getattr__(name):
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{mod}", __package__), name)
    globals()[name] = value
    return value


def _load_pipeline() -> None:
    """Bind the lazily imported names as module globals (idempotent, cheap)."""
    g = globals()
    if "summarize_source" not in g:
        for name in _LAZY:
            __getattr__(name)

PARALLEL_THRESHOLD = 48


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


@dataclass
class Result:
    diagnostics: list
    errors: list
    files_checked: int
    project: Optional[Project] = None
    analysis: Optional[Analysis] = None
    config: Optional[Config] = None
    suppressed: int = 0


def decode_source(data: bytes) -> str:
    """Bytes to text, honouring a BOM and a PEP 263 coding cookie."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" not in str(exc):
            raise UnicodeError(str(exc)) from None
        encoding = "utf-8"  # not UTF-8 in its first lines, and no cookie: say where
    try:
        return data.decode(encoding)
    except LookupError:
        raise UnicodeError(f"unknown encoding {encoding!r} in the coding declaration") from None
    except UnicodeDecodeError as exc:
        raise UnicodeError(
            f"not valid {exc.encoding.upper() if exc.encoding else encoding} "
            f"(byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


def summarize_bytes(data: bytes):
    """(summary, None) or (None, reason)."""
    _load_pipeline()
    try:
        text = decode_source(data)
    except UnicodeError as exc:
        return None, f"cannot decode: {exc}"
    try:
        return summarize_source(text), None
    except ParseFailure as exc:
        return None, f"cannot parse: {exc}"
    except RecursionError:
        return None, "cannot parse: too deeply nested"
    except Exception as exc:  # a bug of ours must cost this file only, never the run
        return None, f"internal error while reading this file ({type(exc).__name__}: {exc}); please report it"


def _summarize_job(args):
    """(path, summary, error, digest, blob); in worker processes (``pickled``) the
    summary comes back as its cache blob only, which is cheaper to send."""
    _load_pipeline()
    path, max_size, pickled = args
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return path, None, f"cannot read: {exc.strerror}", None, None
    if len(data) > max_size:
        return path, None, f"file too large ({len(data):,} bytes; limit {max_size:,}): skipped", None, None
    summary, err = summarize_bytes(data)
    if pickled and summary is not None:
        return path, None, err, SummaryCache.digest(data), dumps_summary(summary)
    return path, summary, err, SummaryCache.digest(data), None


def resolve_config(paths, options: Options) -> Config:
    if options.config_path:
        cfg = load_config(options.config_path)
    else:
        start = paths[0] if paths else os.getcwd()
        cfg = load_config(find_pyproject(start))
    if options.select is not None:
        cfg.select = list(options.select)
    if options.ignore is not None:
        cfg.ignore = list(cfg.ignore) + list(options.ignore)
    if options.extend_select:
        cfg.extend_select = list(cfg.extend_select) + list(options.extend_select)
    return cfg


def build_catalog(cfg: Config) -> Catalog:
    _load_pipeline()
    base = default_catalog()
    if not cfg.extend_blocking and not cfg.extend_offload:
        return base
    cat = Catalog()
    cat.functions = dict(base.functions)
    cat.returns = dict(base.returns)
    cat.types = dict(base.types)
    cat.aliases = dict(base.aliases)
    cat.async_names = set(base.async_names)
    cat.offloaders = dict(base.offloaders)
    cat.decorators = dict(base.decorators)
    cat.libraries = dict(base.libraries)
    cat.extend(cfg.extend_blocking, cfg.extend_offload)
    return cat


def run(paths, options: Optional[Options] = None, cfg: Optional[Config] = None) -> Result:
    options = options or Options()
    paths = list(paths) or ["."]
    if cfg is None:
        cfg = resolve_config(paths, options)
    # the project around all the paths (not the first one: the order must not matter)
    abs_paths = [os.path.abspath(x) for x in paths]
    try:
        common = os.path.commonpath(abs_paths) if len(abs_paths) > 1 else abs_paths[0]
    except ValueError:  # different drives
        common = abs_paths[0]
    root = find_project_root(common)
    found = discover(
        paths, root=root, exclude=cfg.exclude, extend_exclude=cfg.extend_exclude, force_exclude=options.force_exclude
    )
    files: list[SourceFile] = list(found.files)
    report_paths = {f.path for f in files}
    context = list(found.context_dirs)
    if not context and options.whole_project:
        # files named one by one (pre-commit, editors): link against the whole project
        extra = discover([root], root=root, exclude=cfg.exclude, extend_exclude=cfg.extend_exclude)
        for f in extra.files:
            if f.path not in report_paths:
                files.append(f)
        context = [root]
    if not context:
        # files checked on their own: name them from one level up, so that a file named like a
        # library it imports (tests/fixtures/catalog/redis.py) is not mistaken for it
        context = sorted({os.path.dirname(os.path.dirname(f.path)) for f in files})

    rcache, prestat = None, {}
    if options.result_cache and options.use_cache and not options.overrides:
        from .cache.results import ResultCache

        rcache = ResultCache(root, cfg, paths, options.force_exclude)
        prestat = rcache.stat_files(files, report_paths)
        hit = rcache.lookup()
        if hit is not None:
            diagnostics, errors, checked, suppressed = hit
            return Result(diagnostics, errors, checked, None, None, cfg, suppressed)

    _load_pipeline()
    cache = SummaryCache(root, enabled=options.use_cache)
    summaries: dict = {}
    errors: list[FileError] = []
    todo = []
    display = {f.path: f.display for f in files}
    paused = gc_paused()
    paused.__enter__()  # until the summaries are all in: unpickling makes no garbage
    try:
        for f in files:
            if f.path in options.overrides:
                data = options.overrides[f.path].encode("utf-8")
                summary, err = summarize_bytes(data)
                if err:
                    errors.append(FileError(f.display, err))
                else:
                    summaries[f.path] = summary
                continue
            st = prestat.get(f.path)
            if st is None:
                try:
                    st = os.stat(f.path)
                except OSError as exc:
                    errors.append(FileError(f.display, f"cannot read: {exc.strerror}"))
                    continue
            hit = cache.lookup_stat(f.path, st)
            if hit is not None:
                summaries[f.path] = hit
            else:
                todo.append((f.path, st))

        jobs = options.jobs or os.cpu_count() or 1
        stats = dict(todo)
        if len(todo) >= PARALLEL_THRESHOLD and jobs > 1:
            results = _parallel([(p, cfg.max_file_size, True) for p, _ in todo], jobs, options.progress)
        else:
            paused.__exit__()  # parsing here makes garbage (AST nodes) the collector may need to see
            results = _serial([(p, cfg.max_file_size, False) for p, _ in todo], options.progress)
        for path, summary, err, digest, blob in results:
            if err:
                if path in report_paths:
                    errors.append(FileError(display[path], err))
                continue
            if summary is None:
                summary = loads_summary(blob)
            summaries[path] = summary
            if digest is not None:
                cache.store(path, stats[path], digest, summary, blob)
    finally:
        paused.__exit__()
    cache.save()
    gc.freeze()  # the summaries live to the end: keep the collector from re-walking them during analysis

    catalog = build_catalog(cfg)
    project = Project(catalog)
    roots = source_roots(context, root)
    infos = []
    for f in files:
        summary = summaries.get(f.path)
        if summary is None:
            continue
        name, aliases, is_package = module_names(f.path, roots)
        info = ModuleInfo(name, f.path, f.display, summary, is_package, aliases, report=f.path in report_paths)
        infos.append(info)
        project.add_module(info)
    for info in infos:
        for alias in info.aliases:
            project.modules.setdefault(alias, info)

    unreported = [info for info in infos if not info.report]
    roots = {fq for fq, ref in project.functions.items() if ref.module.report} if unreported else None
    analysis = analyze(project, cfg.enabled_categories(), roots)
    diagnostics, suppressed = apply_suppressions(analysis.diagnostics, project, cfg)
    # framework knowledge: routes and ASL3xx (optional module)
    try:
        from .frameworks.fastapi import annotate_routes
    except ImportError:  # pragma: no cover - during development only
        annotate_routes = None
    if annotate_routes is not None:
        diagnostics = annotate_routes(project, analysis, diagnostics, cfg)
    _mark_fixes(diagnostics)
    diagnostics.sort(key=lambda d: (d.path, d.line, d.column, d.code))
    errors.sort(key=lambda e: e.path)
    checked = sum(1 for f in files if f.path in report_paths and f.path in summaries)
    gc.unfreeze()
    if rcache is not None:
        rcache.save(diagnostics, errors, checked, suppressed)
    return Result(diagnostics, errors, checked, project, analysis, cfg, suppressed)


def _serial(args, progress: bool):
    bar = _progress(len(args)) if progress else None
    for a in args:
        yield _summarize_job(a)
        if bar:
            bar.update(1)
    if bar:
        bar.close()


def _parallel(args, jobs: int, progress: bool):
    from concurrent.futures import ProcessPoolExecutor

    bar = _progress(len(args)) if progress else None
    chunk = max(1, min(32, len(args) // (jobs * 8) or 1))
    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for res in pool.map(_summarize_job, args, chunksize=chunk):
                if bar:
                    bar.update(1)
                yield res
    except (OSError, RuntimeError):
        # no processes available (sandboxes): fall back to this process
        yield from _serial(args, False)
    finally:
        if bar:
            bar.close()


class _progress:
    """A minimal progress bar on stderr (only used on a terminal)."""

    def __init__(self, total: int):
        import sys

        self.total, self.done, self.out = total, 0, sys.stderr
        self.last = -1

    def update(self, n: int) -> None:
        self.done += n
        pct = int(self.done * 100 / max(self.total, 1))
        if pct != self.last:
            self.last = pct
            filled = pct // 4
            self.out.write(f"\rparsing {self.done}/{self.total} [{'#' * filled}{'.' * (25 - filled)}] {pct:3d}%")
            self.out.flush()

    def close(self) -> None:
        self.out.write("\r" + " " * 60 + "\r")
        self.out.flush()


def lint_snippet(source: str, *, config: Optional[dict] = None, select_all: bool = False, filename: str = "snippet.py"):
    """Check one module's source text (tests, rule examples)."""
    return lint_sources({filename: source}, config=config, select_all=select_all)


def lint_sources(files: dict, *, config: Optional[dict] = None, select_all: bool = False):
    """Check a small project given as {relative path: source} without touching the disk."""
    _load_pipeline()
    cfg = config_from_dict(config or {})
    if select_all and not cfg.select:
        cfg.select = ["ASL"]
    catalog = build_catalog(cfg)
    project = Project(catalog)
    infos = []
    root = "/__snippet__"
    for rel, text in files.items():
        summary = summarize_source(text)
        path = os.path.join(root, rel)
        parts = rel[:-3].split("/")
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        info = ModuleInfo(".".join(parts), path, rel, summary, is_package)
        infos.append(info)
        project.add_module(info)
    analysis = analyze(project, cfg.enabled_categories())
    diagnostics, _ = apply_suppressions(analysis.diagnostics, project, cfg)
    try:
        from .frameworks.fastapi import annotate_routes
    except ImportError:  # pragma: no cover
        annotate_routes = None
    if annotate_routes is not None:
        diagnostics = annotate_routes(project, analysis, diagnostics, cfg)
    _mark_fixes(diagnostics)
    diagnostics.sort(key=lambda d: (d.path, d.line, d.column, d.code))
    return diagnostics


def _mark_fixes(diagnostics) -> None:
    from .fixkinds import fix_kind

    for d in diagnostics:
        d.fix = fix_kind(d)
