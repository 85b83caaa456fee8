"""``asynclint --fix`` / ``--diff``: fix the files of a run, on disk.

``apply_fixes(result, unsafe=..., diff_only=...)`` takes the findings of a
run, opens only the files that have a finding whose fix applies, rewrites
each with ``source.fix_source`` and writes it back atomically, keeping its
encoding, BOM and line endings. A file whose rewrite does not compile is left
alone and reported; a failure in one file never stops the others.

Many files are fixed in worker processes forked from this one (they inherit
the findings; each sends back which it fixed, by number). Each file written
is summarized again as the check after the fix would read it, into the
summary cache: that check then parses nothing.
"""

from __future__ import annotations

import difflib
import gc
import os
from dataclasses import dataclass, field
from typing import Optional

from ..fsio import WriteRefused, decode_source, keep_final_newline, read_regular, source_encoding, write_atomic
from ..model import INTERNAL_ERROR
from ..deep import run_deep
from . import source
from .kinds import applies


@dataclass
class FileFix:
    path: str  # absolute
    display: str
    fixed: list = field(default_factory=list)  # diagnostics fixed in this file
    skipped: list = field(default_factory=list)  # (diagnostic, reason)
    changed: bool = False
    error: Optional[str] = None


@dataclass
class FixResult:
    files: list = field(default_factory=list)  # list[FileFix]
    diff_text: str = ""
    diff_only: bool = False
    unsafe: bool = False
    findings: list = field(default_factory=list)  # the findings of the run that was fixed

    @property
    def changed_files(self) -> list:
        return [f.display for f in self.files if f.changed]

    @property
    def fixed(self) -> list:
        return [d for f in self.files if f.changed for d in f.fixed]

    @property
    def errors(self) -> list:
        return [(f.display, f.error) for f in self.files if f.error]

    def summary(self, remaining: Optional[list] = None) -> str:
        """One line: what was (or would be) fixed, and what remains. ``remaining``: the findings of the
        run after fixing (without it, the ones not fixed); every count is of those."""
        n = len(self.fixed)
        files = len(self.changed_files)
        verb = "Would fix" if self.diff_only else "Fixed"
        text = f"{verb} {n} finding{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}"
        if remaining is None:
            fixed = {id(d) for d in self.fixed}
            remaining = [d for d in self.findings if id(d) not in fixed]
        left = len(remaining)
        text += f"; {left} remain{'s' if left == 1 else ''}"
        details = []
        unsafe = sum(1 for d in remaining if d.fix == "unsafe") if not self.unsafe else 0
        if unsafe:
            details.append(f"{unsafe} fixable with --unsafe-fixes")
        manual = sum(1 for d in remaining if d.fix is None)
        if manual:
            details.append(f"{manual} with no automatic fix")
        if details:
            text += f" ({', '.join(details)})"
        text += "."
        lines = [text]
        for display, error in self.errors:
            lines.append(f"asynclint: not fixed: {display}: {error}")
        return "\n".join(lines)

    def enumerate(self) -> str:
        """``--show-fixes``: the findings fixed (or that would be), by file and code, then the ones a fix was
        tried for and not made, with the reason."""
        from ..rules import RULES

        verb = "Would fix" if self.diff_only else "Fixed"
        fixed = self.fixed
        lines = [f"{verb} {len(fixed)} finding{'s' if len(fixed) != 1 else ''}" + (":" if fixed else ".")]
        for f in self.files:
            if not f.changed or not f.fixed:
                continue
            lines.append(f"- {f.display}:")
            counts: dict = {}
            for d in f.fixed:
                counts[d.code] = counts.get(d.code, 0) + 1
            for code, k in sorted(counts.items()):
                name = RULES[code].name if code in RULES else ""
                lines.append(f"    {k} × {code}{f' ({name})' if name else ''}")
        skipped = [(f, d, why) for f in self.files for d, why in f.skipped]
        if skipped:
            lines.append(f"Not fixed ({len(skipped)}):")
            for f, d, why in sorted(skipped, key=lambda x: (x[1].path, x[1].line, x[1].column)):
                lines.append(f"- {d.path}:{d.line}:{d.column}: {d.code} {why}")
        return "\n".join(lines)


def _read(path: str):
    data = read_regular(path)  # never a FIFO or a device, even one swapped in since the check
    return data, source_encoding(data), decode_source(data)


def _file_paths(result) -> dict:
    """display path -> absolute path, from the project the findings came from."""
    out = {}
    project = getattr(result, "project", None)
    if project is not None:
        for info in project.unique_modules():
            out[info.display] = info.path
    return out


# below this many files to fix, starting worker processes costs more than it saves
PARALLEL_THRESHOLD = 4


@dataclass
class _Job:
    """One file to fix, as a worker process gets it (inherited, never sent: ``_JOBS``)."""

    path: str
    display: str
    diagnostics: list
    size: int  # bytes (the largest files are started first)


_JOBS: list = []  # the jobs of the run under way, for the worker processes forked from it


def apply_fixes(result, unsafe: bool = False, diff_only: bool = False, jobs: Optional[int] = None,
                use_cache: bool = True) -> FixResult:
    """Fix the files of ``result`` that have a finding whose fix applies. ``jobs``: worker processes
    (default: the CPU count) when there are many files; ``use_cache``: put the summary of each file
    written into the summary cache, so that the check after the fix finds it there."""
    res = FixResult(diff_only=diff_only, unsafe=unsafe, findings=list(result.diagnostics))
    paths = _file_paths(result)
    by_file: dict = {}
    wanted = set()
    for d in result.diagnostics:
        by_file.setdefault(d.path, []).append(d)
        if applies(d, unsafe):
            wanted.add(d.path)
    root = getattr(result, "root", None)
    from .wrap import configured_line_length

    line_length = configured_line_length(root)
    config = getattr(result, "config", None)
    # the largest file a check reads: a file the fix made larger than that is not one to summarize
    limit = config.max_file_size if use_cache and not diff_only and root is not None and config is not None else None
    seen = set()  # a file and a symbolic link to it are one file: fixed once
    todo = []
    for display in sorted(wanted):
        path = paths.get(display) or os.path.abspath(display)
        if os.path.realpath(path) in seen:
            continue
        seen.add(os.path.realpath(path))
        res.files.append(FileFix(path, display))
        todo.append(_Job(path, display, by_file[display], _size(path)))
    gc.freeze()  # the run's project stays alive: keep the collector from re-walking it for every tree built
    try:
        outcomes = _fix_all(todo, (unsafe, diff_only, root, line_length, limit), jobs)
    finally:
        gc.unfreeze()
    diffs = []
    summaries = []
    for ff, job, (fixed, skipped, changed, error, diff, summary) in zip(res.files, todo, outcomes):
        ff.fixed = [job.diagnostics[i] for i in fixed]
        ff.skipped = [(job.diagnostics[i], why) for i, why in skipped]
        ff.changed, ff.error = changed, error
        diffs.append(diff)
        if summary is not None:
            summaries.append((ff.path, summary))
    res.diff_text = "".join(diffs)
    if summaries:
        _store_summaries(root, summaries)
    return res


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _fix_all(todo: list, how: tuple, jobs: Optional[int]) -> list:
    """The outcome of each job (see ``_fix_one``), in order: in worker processes forked from this one
    when there are many files, the largest started first."""
    jobs = min(jobs or os.cpu_count() or 1, len(todo))
    if jobs > 1 and len(todo) >= PARALLEL_THRESHOLD:
        got = _parallel(todo, how, jobs)
        if got is not None:
            return got
    return [_fix_one(job, *how) for job in todo]


def _parallel(todo: list, how: tuple, jobs: int) -> Optional[list]:
    """The outcomes from worker processes; None when none can be had (no ``fork``, a sandbox): the
    caller fixes the files itself. A file whose worker died is reported as not fixed, never fixed
    twice (its worker may have written it)."""
    import multiprocessing
    import sys
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if "fork" not in multiprocessing.get_all_start_methods() or sys.platform == "darwin":
        return None  # the workers must inherit the jobs and the findings, not be sent them
    global _JOBS
    _JOBS = todo
    out: list = [None] * len(todo)
    futures: dict = {}
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            for i in sorted(range(len(todo)), key=lambda i: -todo[i].size):
                futures[i] = pool.submit(_fix_in_worker, i, how)
            for i, future in futures.items():
                try:
                    out[i] = future.result()
                except BrokenProcessPool:
                    out[i] = _lost("a worker process ended before telling: the file holds either its old text "
                                   "or its whole fix")
    except (OSError, RuntimeError):
        if not futures:
            return None  # not even one worker: no file was handed out
        out = [o if o is not None else _lost("no worker process") for o in out]
    finally:
        _JOBS = []
    return out


def _lost(why: str) -> tuple:
    return [], [], False, f"{INTERNAL_ERROR} while fixing this file ({why}); please report it", "", None


def _fix_in_worker(i: int, how: tuple) -> tuple:
    return _fix_one(_JOBS[i], *how)


def _fix_one(job: _Job, unsafe: bool, diff_only: bool, root, line_length, limit) -> tuple:
    """Fix one file: (indices of its findings fixed, [(index, reason)] of those not, changed, error,
    diff, summary) where summary is what the summary cache takes for the file written
    ((mtime_ns, size, digest, blob), with ``limit`` only) or None. Never raises: a failure in one
    file leaves the others fixed."""
    ff = FileFix(job.path, job.display)
    diffs: list = []
    try:
        try:
            _fix_file(ff, job.diagnostics, unsafe, diff_only, diffs, root=root, line_length=line_length)
        except RecursionError:  # valid but deep code: LibCST's visitors need room for it
            ff.fixed, ff.skipped, ff.changed, ff.error = [], [], False, None
            run_deep(_fix_file, ff, job.diagnostics, unsafe, diff_only, diffs, root, line_length)
    except Exception as exc:  # one file's failure leaves the others fixed
        ff.changed = False
        ff.error = f"{INTERNAL_ERROR} while fixing this file ({type(exc).__name__}: {exc}); please report it"
    index = {id(d): i for i, d in enumerate(job.diagnostics)}
    summary = _summary_of(job.path, limit) if limit is not None and ff.changed else None
    return ([index[id(d)] for d in ff.fixed], [(index[id(d)], why) for d, why in ff.skipped], ff.changed,
            ff.error, "".join(diffs), summary)


def _summary_of(path: str, limit: int):
    """What the check after the fix would take in for the file just written (read again from the disk,
    as the check reads it): (mtime_ns, size, digest, blob), or None."""
    from ..summarize.collect import _summarize_job

    try:
        st = os.stat(path)
    except OSError:
        return None
    _, _, error, digest, blob = _summarize_job((path, limit, True))
    if error or blob is None or digest is None:
        return None
    return st.st_mtime_ns, st.st_size, digest, blob


def _store_summaries(root: str, summaries: list) -> None:
    from ..cache.summaries import SummaryCache

    cache = SummaryCache(root)
    for path, (mtime_ns, size, digest, blob) in summaries:
        cache.store_summary(path, _Stat(mtime_ns, size), digest, None, blob)
    cache.save()


@dataclass(frozen=True)
class _Stat:
    st_mtime_ns: int
    st_size: int


def _fix_file(ff: FileFix, diagnostics: list, unsafe: bool, diff_only: bool, diffs: list, root=None,
              line_length=None) -> None:
    try:
        data, encoding, text = _read(ff.path)
    except (OSError, SyntaxError, UnicodeError, LookupError) as exc:
        ff.error = f"cannot read: {exc}"
        return
    try:
        outcome = source.fix_source(text, diagnostics, unsafe, line_length)
    except source.FixError as exc:
        ff.error = str(exc)
        return
    ff.skipped = outcome.skipped
    new_text = keep_final_newline(text, outcome.text)
    if new_text == text:
        return
    try:
        new_data = new_text.encode(encoding)
    except UnicodeEncodeError as exc:
        ff.error = f"cannot encode the rewrite as {encoding}: {exc}"
        return
    ff.fixed = outcome.fixed
    ff.changed = True
    diffs.append("".join(difflib.unified_diff(
        text.splitlines(keepends=True), new_text.splitlines(keepends=True),
        fromfile=f"a/{ff.display}", tofile=f"b/{ff.display}",
    )))
    if diffs[-1] and not diffs[-1].endswith("\n"):
        diffs[-1] += "\n\\ No newline at end of file\n"
    if not diff_only and new_data != data:
        try:
            write_atomic(ff.path, new_data, root=root)
        except OSError as exc:  # read-only, another owner, hard links, a link out of the project
            ff.fixed, ff.changed = [], False
            ff.error = str(exc) if isinstance(exc, WriteRefused) else f"cannot write: {exc.strerror or exc}"
