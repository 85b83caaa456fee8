"""Summaries for every discovered file: from the on-disk cache, else parsed (in parallel when many).

A file that cannot be read, decoded or parsed costs that file only: it is
reported as a ``FileError`` (when it is one of the files to report) and the
run goes on.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from ..cache.summaries import SummaryCache, decode_summary, encode_summary, gc_paused
from ..fsio import FileTooLarge, NotRegularFile, decode_source, not_regular, read_regular
from ..model import INTERNAL_ERROR, FileError
from .summarizer import ParseFailure, summarize_source

# below this many files to parse, starting worker processes costs more than it saves
PARALLEL_THRESHOLD = 48
# with ``equivalence``, the summaries of at most this many changed files are compared with those they
# had (a run after an edit or a few; a checkout of another branch compares none)
EQUIVALENCE_UP_TO = 8


@dataclass
class Collected:
    summaries: dict = field(default_factory=dict)  # absolute path -> ModuleSummary
    errors: list = field(default_factory=list)  # list[FileError], for reported files only
    digests: dict = field(default_factory=dict)  # absolute path -> the SHA-256 of the text summarized
    # with ``previous``: path -> the summary it had then, for the files whose text changed since
    previous: dict = field(default_factory=dict)
    # with ``equivalence``: path -> the digest of the text the cache had for it, for the files whose
    # text changed and whose summary did not (a comment edited, a line appended at the end)
    equivalent: dict = field(default_factory=dict)
    # with ``equivalence``: path -> (digest, stat) of the files whose summary the cache has and has not read
    # yet (``fill`` reads them); ``summaries`` holds the others meanwhile
    deferred: dict = field(default_factory=dict)
    _filling: tuple = field(default=(), repr=False, compare=False)  # what ``fill`` needs of the run

    def fill(self) -> None:
        """Read the summaries ``collect_summaries(equivalence=True)`` left in the cache, in the files'
        order. One the cache can no longer give (damaged since its index was read) is summarized again."""
        if not self.deferred:
            return
        deferred, self.deferred = self.deferred, {}
        cache, order, report_paths, display, max_size = self._filling
        missed = []
        with gc_paused():
            for path, (digest, _) in deferred.items():
                summary = cache.decode(digest)
                if summary is None:
                    missed.append(path)
                    self.digests.pop(path, None)
                else:
                    self.summaries[path] = summary
            for result in _serial([(p, max_size, False) for p in missed], False):
                _take(self, cache, result, deferred[result[0]][1], report_paths, display)
        self.summaries = {path: self.summaries[path] for path in order if path in self.summaries}
        if missed:
            cache.save()


def summarize_bytes(data: bytes):
    """(summary, None) or (None, reason)."""
    try:
        text = decode_source(data)
    except UnicodeError as exc:
        return None, f"cannot decode: {exc}"
    try:
        with gc_paused():  # one module's syntax tree and summary: no garbage cycles to look for meanwhile
            return summarize_source(text), None
    except ParseFailure as exc:
        return None, f"cannot parse: {exc}"
    except RecursionError:
        return None, "cannot parse: too deeply nested"
    except MemoryError:
        return None, "cannot parse: out of memory"
    except Exception as exc:  # a bug of ours must cost this file only, never the run
        return None, f"{INTERNAL_ERROR} while checking this file ({type(exc).__name__}: {exc}); please report it"


def file_error(display: str, reason: str) -> FileError:
    return FileError(display, reason, internal=reason.startswith(INTERNAL_ERROR))


def _summarize_job(args):
    """(path, summary, error, digest, blob); in worker processes (``encoded``) the
    summary comes back as its cache blob only, which is cheaper to send."""
    path, max_size, encoded = args
    try:
        data = read_regular(path, max_size)
    except FileTooLarge as exc:
        return path, None, f"{exc}: skipped", None, None
    except NotRegularFile as exc:
        return path, None, f"{exc}: skipped", None, None
    except OSError as exc:
        return path, None, f"cannot read: {exc.strerror or exc}", None, None
    summary, err = summarize_bytes(data)
    digest = SummaryCache.digest(data)
    if encoded and summary is not None:
        try:
            return path, None, err, digest, encode_summary(summary)
        except (ValueError, TypeError, OverflowError):
            pass  # not cacheable: sent as it is
    return path, summary, err, digest, None


def collect_summaries(files, report_paths, *, root: str, max_file_size: int, use_cache: bool = True,
                      jobs=None, overrides=None, progress: bool = False, prestat=None, previous=None,
                      equivalence: bool = False) -> Collected:
    """Summaries of ``files`` (``SourceFile``s). ``overrides`` maps an absolute path to the text
    to use instead of the disk (editor buffers); ``prestat`` holds stats the caller already made.
    ``previous`` (path -> digest of the text an earlier analysis saw: ``live.persist``): the summaries
    of those that changed (or are gone) are read from the cache too, before it forgets them.
    ``equivalence``: say which files changed their text and not their summary (``Collected.equivalent``;
    when few changed), and leave the summaries the cache has to ``Collected.fill``, for the caller to
    read when it needs them (a run that the comparison answers never does)."""
    overrides = overrides or {}
    prestat = prestat or {}
    out = Collected()
    cache = SummaryCache(root, enabled=use_cache)
    todo = []
    display = {f.path: f.display for f in files}
    paused = gc_paused(settle=True)
    paused.__enter__()  # until the summaries are all in: decoding and parsing make next to no garbage
    try:
        for f in files:
            if f.path in overrides:
                data = overrides[f.path].encode("utf-8", "surrogatepass")
                summary, err = summarize_bytes(data)
                if err:
                    out.errors.append(file_error(f.display, err))
                else:
                    out.summaries[f.path] = summary
                    out.digests[f.path] = SummaryCache.digest(data)
                continue
            st = prestat.get(f.path)
            if st is None:
                try:
                    st = os.stat(f.path)
                except OSError as exc:
                    if f.path in report_paths:
                        out.errors.append(file_error(f.display, f"cannot read: {exc.strerror or exc}"))
                    continue
            if not stat.S_ISREG(st.st_mode):  # a FIFO, socket or device: never opened
                if f.path in report_paths:
                    out.errors.append(file_error(f.display, f"{not_regular(f.path, st.st_mode)}: skipped"))
                continue
            if equivalence:
                digest = cache.digest_if_same(f.path, st)
                if digest is not None:
                    out.deferred[f.path] = (digest, st)
                    out.digests[f.path] = digest
                    continue
            hit = cache.lookup_stat(f.path, st)
            if hit is not None:
                out.summaries[f.path] = hit
                out.digests[f.path] = cache.by_path[f.path][2]
            else:
                todo.append((f.path, st))

        jobs = jobs or os.cpu_count() or 1
        stats = dict(todo)
        if len(todo) >= PARALLEL_THRESHOLD and jobs > 1:
            results = _parallel([(p, max_file_size, True) for p, _ in todo], jobs, progress)
        else:
            # (a syntax tree is freed as its summary is made: the summarizer leaves it in no cycle)
            results = _serial([(p, max_file_size, False) for p, _ in todo], progress)
        compare = equivalence and len(todo) <= EQUIVALENCE_UP_TO
        olds: dict = {}  # digest -> the summary the cache has of that text, read once (``summary_of``)
        for result in results:
            path, digest = result[0], result[3]
            before = cache.by_path.get(path) if compare and digest is not None else None  # (before it is stored)
            summary = _take(out, cache, result, stats[path], report_paths, display)
            if summary is not None and before is not None and before[2] != digest:
                old = olds[before[2]] = cache.summary_of(before[2])
                if _same_summary(old, summary):
                    out.equivalent[path] = before[2]
        for path, digest in (previous or {}).items():
            if out.digests.get(path) != digest:
                old = olds[digest] if digest in olds else cache.summary_of(digest)
                if old is not None:
                    out.previous[path] = old
    finally:
        paused.__exit__()
    cache.save()
    if out.deferred:
        out._filling = (cache, [f.path for f in files], report_paths, display, max_file_size)
    return out


def _take(out: Collected, cache: SummaryCache, result: tuple, st, report_paths, display: dict):
    """A file's ``_summarize_job`` result into ``out`` and ``cache`` (``st``: the file's stat): its
    summary, or None when it could not be summarized (its error said, for a file reported)."""
    path, summary, err, digest, blob = result
    if err:
        if path in report_paths:
            out.errors.append(file_error(display[path], err))
        cache.forget(path)
        return None
    if summary is None:
        summary = decode_summary(blob)
    out.summaries[path] = summary
    if digest is not None:
        out.digests[path] = digest
        cache.store_summary(path, st, digest, summary, blob)
    return summary


def _same_summary(old, summary) -> bool:
    """Is ``old`` (a summary the cache had, or None) the same as ``summary``? (The names of their
    functions and classes first: most edits that change a summary change them.)"""
    return old is not None and list(old.functions) == list(summary.functions) and \
        list(old.classes) == list(summary.classes) and old == summary


def _serial(args, progress: bool):
    bar = _Progress(len(args)) if progress else None
    for a in args:
        yield _summarize_job(a)
        if bar:
            bar.update(1)
    if bar:
        bar.close()


def _parallel(args, jobs: int, progress: bool):
    from concurrent.futures import ProcessPoolExecutor

    bar = _Progress(len(args)) if progress else None
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


class _Progress:
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
