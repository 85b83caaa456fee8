"""flake8 plugin: ``flake8 --select ASL`` reports what ``asynclint FILE`` reports.

flake8 hands the plugin one file at a time.  asynclint's findings depend on
the whole project (a route here calls a helper there that calls
``requests.get``), so for each file the plugin runs the same engine as the
command line, which finds the project root and ``[tool.asynclint]`` from the
file's path, links the file against every module of the project (through the
same on-disk summary cache) and reports that file only. When no file changed
since the last flake8 run over the project, that run's findings answer (the
result cache).

Over a project (``flake8 .``), the project is analysed once per flake8 run,
before flake8's workers start (``parse_options``), through the same caches as
the command line: nothing changed since the last run, its results (read in
flake8's main process); else the project is analysed (on Linux in a child
process, which sends the findings back and exits: flake8's main process, and
the workers it forks, never hold or collect the analysis' objects). Workers
forked from the main process inherit the findings; workers started afresh
read them from the result cache the analysis just wrote. Within one
process the findings are reused for every file of the project as long as no
file of it changed on disk. When the selection leaves out every ASL code
(``--select E,F``), the plugin does nothing at all.  A file whose text differs
from the disk (an editor's unsaved buffer passed with ``flake8
--stdin-display-filename path.py -``) is checked from that text, linked
against the rest of the project on disk.

Findings are standard flake8 tuples, so ``# noqa``, ``--extend-ignore`` and
``--per-file-ignores`` work as for any plugin.  A file asynclint cannot check
(a configuration error, a file it cannot decode) is reported as ``ASL000`` on
line 1.

Importing this module is cheap: the engine is imported on the first check.
"""

from __future__ import annotations

import os

from . import __version__, codecache

ERROR_CODE = "ASL000"


class AsyncLintPlugin:
    name = "asynclint"
    version = __version__

    def __init__(self, tree, filename: str, lines=None):
        # ``tree`` is unused, but asking for it is what makes this an AST plugin
        self.filename = filename
        self.lines = lines

    @classmethod
    def parse_options(cls, option_manager, options, args):
        """Called once by flake8 with its options: an ``ASL`` selector that names no rule (``--select
        ASL9``, ``extend-ignore = ASL1O1``) stops flake8 with a message, as the command line does."""
        if asl_selected(options):
            codecache.install()  # (before the modules that define asynclint's classes are imported)
        message = bad_flake8_selector(options)
        if message is not None:
            from flake8.exceptions import ExecutionError

            raise ExecutionError(f"asynclint: {message}")
        # the paths flake8 was given: the project root is theirs, as for `asynclint PATHS`
        given = list(getattr(options, "filenames", None) or ["."])
        _GIVEN[:] = [os.path.abspath(p) for p in given if p != "-"]
        _ACTIVE[0] = asl_selected(options)
        _NAMED_OFF[:] = named_off_codes(options)
        if _ACTIVE[0] and _over_a_project(given):
            prepare_project(root_for(_GIVEN[0]))

    def run(self):
        if not _ACTIVE[0]:
            return
        for line, col, text in check_file(self.filename, self.lines):
            yield line, col, text, type(self)


_ACTIVE = [True]  # does flake8's selection report any ASL code? (``parse_options``)


def asl_selected(options) -> bool:
    """Can any ASL code be reported with these flake8 options? An explicit ``--select`` naming none
    (and no ``--extend-select`` naming one) leaves them all out: there is then nothing to compute."""
    def names_asl(values) -> bool:
        items = values.split(",") if isinstance(values, str) else [c for v in values or () for c in str(v).split(",")]
        return any("ASL".startswith(c.strip().upper()) or c.strip().upper().startswith("ASL")
                   for c in items if c.strip())

    select = getattr(options, "select", None)
    if not select:
        return True  # flake8's default selection takes every plugin's codes
    return names_asl(select) or names_asl(getattr(options, "extend_select", None))


_NAMED_OFF: list = []  # rules off by default that flake8's selection names in full (``parse_options``)


def named_off_codes(options) -> list:
    """The rules off by default (ASL402, ASL112, ASL212) that flake8's ``--select`` or
    ``--extend-select`` names in full: asked for by name, they are analysed and reported, as
    ``asynclint --select ASL402`` does, rather than silently giving nothing. A prefix (``--select
    ASL``) keeps asynclint's own selection, ``[tool.asynclint]`` included."""
    from .categories import ALL_CODES, default_on

    off = {code for code in ALL_CODES if not default_on(code)}
    named = []
    for key in ("select", "extend_select"):
        values = getattr(options, key, None)
        items = values.split(",") if isinstance(values, str) else [c for v in values or () for c in str(v).split(",")]
        for item in items:
            code = item.strip().upper()
            if code in off and code not in named:
                named.append(code)
    return named


def _over_a_project(given) -> bool:
    """A flake8 run over directories or several files (not one file, not standard input)."""
    if "-" in given:
        return False
    return len(given) > 1 or any(os.path.isdir(p) for p in given)


def prepare_project(root: str) -> None:
    """Analyse the project once, before flake8's workers start (they inherit it, or read it from
    the result cache written here)."""
    from .config import ConfigError
    from .discover import DiscoveryError

    import gc

    if root in _MEMO:
        return
    try:
        # within one flake8 run, the files are looked at again only every few seconds
        found = _cached_project_run(root, every_call=False)  # nothing changed since the last run
        if found is None:
            found = _analysed_apart(root)
        else:
            _keep_apart(root)
        if found is not None:
            _MEMO[root] = found
            return
        _MEMO[root] = _ProjectRun(root, _run_engine([root], root=root, result_cache=True), every_call=False)
    except (ConfigError, DiscoveryError):
        pass  # each file reports it (ASL000)
    # the engine ran here with the collector off: collect its cycles once, rather than in every
    # worker flake8 forks next (each would go through all the objects it allocated)
    gc.collect()


_FORK = [True]  # may the project be analysed in a child process (``_analysed_apart``)?


def _can_fork() -> bool:
    """May this process fork a child that analyses (Linux, no other thread running)?"""
    import sys
    import threading

    if not _FORK[0] or not sys.platform.startswith("linux") or not hasattr(os, "fork") or \
            threading.active_count() != 1:
        return False
    for stream in (sys.stdout, sys.stderr):  # (else the child would write what is buffered again)
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    return True


def _keep_apart(root: str) -> None:
    """Beside a run over the project that the result cache answered, make the analysis the editor's
    first check after an edit starts from, when none is kept (``engine.keep_analysis``; in a project
    of up to ``engine.KEEP_FOR_FEW_FILES_UP_TO`` files): in a child process that works while flake8's
    workers do, and that flake8's process waits for before it exits (nothing outlives the command).
    Without it, that check analyses the whole project (the run over the project that made the results
    kept no analysis: its cost is the cold run's)."""
    if not _can_fork():
        return
    try:
        pid = os.fork()
    except OSError:
        return
    if pid == 0:  # the child: keep the analysis and exit without any clean-up
        status = 1
        try:
            from .engine import Options, keep_analysis

            keep_analysis([root], Options(jobs=1, root=root, extend_select=list(_NAMED_OFF) or None))
            status = 0
        except BaseException:  # noqa: B036 (an analysis not kept: the editor's check makes it)
            pass
        finally:
            os._exit(status)
    import atexit

    atexit.register(_reap, pid)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except OSError:
        pass


def _analysed_apart(root: str):
    """The ``_ProjectRun`` of the project analysed in a child process, which sends its findings
    back and exits: its million objects (summaries, the linked project, the analysis) are never
    collected nor walked here, nor inherited by the workers flake8 forks next. None where a process
    cannot be forked safely (not Linux, threads running) or the child failed: the caller analyses
    in this process (and so reports a configuration error itself)."""
    import sys

    if not _can_fork():
        return None
    try:
        r, w = os.pipe()
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # the child: analyse, send the findings, exit without any clean-up
        status = 1
        try:
            os.close(r)
            data = _encode_run(_run_engine([root], root=root, result_cache=True))
            with os.fdopen(w, "wb") as fh:
                fh.write(data)
            status = 0
        except BaseException:  # noqa: B036 (the parent analyses again and reports what went wrong)
            pass
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (AttributeError, OSError, ValueError):
                    pass
            os._exit(status)
    os.close(w)
    try:
        with os.fdopen(r, "rb") as fh:
            data = fh.read()
    finally:
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not data:
        return None
    try:
        return _ProjectRun(root, _decode_run(data), every_call=False)
    except Exception:  # (cannot happen unless a bug): analyse here
        return None


def _encode_run(result) -> bytes:
    """What ``_ProjectRun`` reads of a ``Result``, as bytes."""
    from .cache import codec
    from .cache.results import encode_diagnostics

    cfg = getattr(result, "config", None)
    return codec.dumps((encode_diagnostics(result.diagnostics), [(e.path, e.message, e.internal) for e in result.errors],
                        list(result.covered), getattr(cfg, "path", None)))


def _decode_run(data: bytes):
    from types import SimpleNamespace

    from .cache import codec
    from .cache.results import decode_diagnostics
    from .model import FileError

    diagnostics, errors, covered, config_path = codec.loads(data)
    return SimpleNamespace(diagnostics=decode_diagnostics(diagnostics), errors=[FileError(*e) for e in errors],
                           covered=covered, config=SimpleNamespace(path=config_path))


_FLAKE8_SELECTORS = ("select", "extend_select", "ignore", "extend_ignore", "extended_default_select",
                     "extended_default_ignore", "enable_extensions")


def bad_flake8_selector(options):
    """The message for the first selector of flake8's options that starts with ASL and names no rule."""
    import re

    from .selectors import problem

    for name in _FLAKE8_SELECTORS + ("per_file_ignores",):
        value = getattr(options, name, None)
        if not value:
            continue
        if name == "per_file_ignores":  # "pattern:CODES pattern:CODES" as one string
            items = [c for part in re.split(r"\s+", str(value)) for c in part.rpartition(":")[2].split(",")]
        elif isinstance(value, str):
            items = value.split(",")
        else:
            items = [c for v in value for c in str(v).split(",")]
        for code in (c.strip() for c in items):
            if code.upper().startswith("ASL"):
                message = problem(code, f"flake8's --{name.replace('_', '-')}")
                if message is not None:
                    return message
    return None


# ---------------------------------------------------------------------------
# checking one file


def check_file(filename: str, lines=None) -> list:
    """[(line, 0-based column, "ASLxxx message")] for one file, as flake8 wants them; a bug of
    asynclint's costs this file one ``ASL000`` asking for a report, never flake8's run."""
    try:
        codecache.install()
        return _check_file(filename, lines)
    except Exception as exc:
        return [(1, 0, f"{ERROR_CODE} asynclint could not check this file: internal error "
                       f"({type(exc).__name__}: {exc}); please report it")]


def _check_file(filename: str, lines=None) -> list:
    text = "".join(lines) if lines is not None else None
    if filename in ("-", "stdin") or not os.path.isfile(filename):
        # no file on disk (stdin without --stdin-display-filename, a new buffer):
        # the text alone, as a one-module project
        return _check_text_alone(filename, text)
    path = os.path.abspath(filename)
    if text is not None and not _same_as_disk(path, text):
        return _check_with_override(path, text)
    return _check_on_disk(path)


_GIVEN: list = []  # the paths flake8 was given (see ``parse_options``)
_ROOTS: dict = {}  # paths -> their project root, found once per process


def root_for(path: str) -> str:
    """The project root of ``path`` as flake8 checks it: the root of the paths flake8 was given
    (``flake8 .`` and ``asynclint .`` agree), or the file's own when it is not under them."""
    from .discover import project_root

    given = [g for g in _GIVEN if path == g or path.startswith(g.rstrip(os.sep) + os.sep)]
    key = tuple(_GIVEN) if given else (path,)
    if key not in _ROOTS:
        _ROOTS[key] = project_root(list(key))
    return _ROOTS[key]


def _check_on_disk(path: str) -> list:
    from .config import ConfigError
    from .discover import DiscoveryError

    root = root_for(path)
    try:
        entry = _MEMO.get(root)
        if entry is None and root not in _SEEN:
            # the first file of this project in this process (an editor checks one file per
            # run): nothing changed since the last flake8 run over the project, its findings
            # (the result cache); else the engine on this file (nothing changed since the last
            # check of this file: its findings; some file changed: from the analysis an earlier
            # run kept, when there is one; else, in a project small enough, from the whole
            # project's, kept for the next save; in a larger one, what this file reaches)
            _SEEN.add(root)
            project = _cached_project_run(root)
            found = project.findings_for(path) if project is not None else None
            if found is not None:
                _MEMO[root] = project
                return found
            found = _findings_for(_run_engine([path], root=root, result_cache=True), path)
            _leave_to_exit()
            return found
        if entry is None or not entry.still_valid():
            # several files of one project (flake8 over a tree): link and analyse it once
            entry = _ProjectRun(root, _run_engine([root], root=root))
            _MEMO[root] = entry
        found = entry.findings_for(path)
        if found is None:
            # not part of the project as a whole run sees it (excluded, .gitignored,
            # not a .py file, a module name shadowed by another file): check it by name
            found = _findings_for(_run_engine([path], root=root), path)
    except (ConfigError, DiscoveryError) as exc:
        return [(1, 0, f"{ERROR_CODE} asynclint could not check this file: {exc}")]
    return found


def _check_with_override(path: str, text: str) -> list:
    from .config import ConfigError
    from .discover import DiscoveryError

    try:
        found = _findings_for(_run_engine([path], overrides={path: text}, root=root_for(path)), path)
    except (ConfigError, DiscoveryError) as exc:
        return [(1, 0, f"{ERROR_CODE} asynclint could not check this file: {exc}")]
    _leave_to_exit()
    return found


def _check_text_alone(filename: str, text) -> list:
    if text is None:
        return []
    from .engine import lint_snippet
    from .summarize import ParseFailure

    name = os.path.basename(filename) if filename not in ("-", "stdin") else "stdin.py"
    if not name.endswith(".py"):
        name += ".py"
    try:
        diagnostics = lint_snippet(text, filename=name)
    except (ParseFailure, RecursionError, SyntaxError):
        return []  # flake8 reports the syntax error itself (E999)
    return [_tuple(d) for d in diagnostics]


def _same_as_disk(path: str, text: str) -> bool:
    """Whether ``text`` (as flake8 read it: universal newlines, no BOM) is the file on disk."""
    from .fsio import decode_source

    try:
        with open(path, "rb") as fh:
            disk = decode_source(fh.read())
    except (OSError, UnicodeError):
        return False
    if disk.startswith("\ufeff"):
        disk = disk[1:]
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in disk:
        disk = disk.replace("\r\n", "\n").replace("\r", "\n")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return disk == text


def _cached_project_run(root: str, every_call: bool = True):
    """The ``_ProjectRun`` of the last run over the project when no file changed since, else None."""
    from .engine import Options, cached_run

    result = cached_run([root], Options(root=root, extend_select=list(_NAMED_OFF) or None))
    return _ProjectRun(root, result, every_call=every_call) if result is not None else None


def _run_engine(paths, overrides=None, root=None, result_cache=False):
    import gc
    import multiprocessing

    from .engine import Options, run

    # flake8's workers are daemonic processes, which may not start processes of
    # their own: parse in this process there
    jobs = 1 if multiprocessing.current_process().daemon else None
    options = Options(jobs=jobs, overrides=dict(overrides or {}), root=root, result_cache=result_cache,
                      extend_select=list(_NAMED_OFF) or None)
    # the engine builds (and unpickles from the cache) a great many small
    # objects and frees few: the cyclic collector only slows it down
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return run(paths, options)
    finally:
        if was_enabled:
            gc.enable()


def _leave_to_exit() -> None:
    """After the check of one file by a flake8 command (an editor's, a hook's), which ends soon after:
    what the check left (the analysis' objects, many of them in reference cycles) is moved out of the
    cyclic collector's sight, rather than walked by the collection Python makes as it exits (on a
    save in lnbits, a sixth of the command's time). Not in a process that checks file after file
    through flake8's API: it would keep every check's garbage."""
    if _one_shot():
        import gc

        gc.freeze()


def _one_shot() -> bool:
    """Is this process the ``flake8`` command (``flake8 ...``, ``python -m flake8 ...``)?"""
    import sys

    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None:
        return spec.name in ("flake8", "flake8.__main__")
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return script.lower().split(".", 1)[0] in ("flake8", "flake8-script")


def _tuple(d) -> tuple:
    route = f" [{d.route}]" if d.route else ""
    return (d.line, max(d.column - 1, 0), f"{d.code} {d.message}{route}")


def _findings_for(result, path: str) -> list:
    out = [_tuple(d) for d in result.diagnostics if os.path.abspath(d.path) == path]
    out.extend(_error_tuple(e) for e in result.errors if os.path.abspath(e.path) == path)
    return out


def _error_tuple(e) -> tuple:
    return (1, 0, f"{ERROR_CODE} asynclint could not check this file: {e.message}")


# ---------------------------------------------------------------------------
# one linked project per process

_MEMO: dict = {}  # project root -> _ProjectRun
_SEEN: set = set()  # project roots this process has checked a file of


def _stat_key(path: str):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class _ProjectRun:
    """The findings of one whole-project run, by file, and what they depend on on disk."""

    # with fewer files than this, a file checked again looks at every one (they may have been
    # edited meanwhile); with more, or within one flake8 run over the project (``every_call``
    # False), at most every few seconds
    STAT_EVERY_CALL = 2000
    STAT_INTERVAL = 3.0

    def __init__(self, root: str, result, every_call: bool = True):
        self.root = root
        self.every_call = every_call
        self.by_path: dict = {}
        # files this run linked exactly as a run on the file alone would: they own their module names
        self.checked: set = set(result.covered)
        for d in result.diagnostics:
            self.by_path.setdefault(os.path.abspath(d.path), []).append(_tuple(d))
        for e in result.errors:
            self.by_path.setdefault(os.path.abspath(e.path), []).append(_error_tuple(e))
        watched = {root, os.path.join(root, "pyproject.toml")}
        watched.update(self.checked)
        watched.update(os.path.dirname(p) for p in self.checked)  # a file added or removed there
        cfg = getattr(result, "config", None)
        if cfg is not None and getattr(cfg, "path", None):
            watched.add(cfg.path)
        self.stamps = {p: _stat_key(p) for p in watched}
        self._valid_at = None  # (process, time) of the last look at every watched file

    def still_valid(self) -> bool:
        import time

        now = time.monotonic()
        seen = self._valid_at
        lazy = not self.every_call or len(self.stamps) > self.STAT_EVERY_CALL
        if lazy and seen is not None and seen[0] == os.getpid() and now - seen[1] < self.STAT_INTERVAL:
            return True
        ok = all(_stat_key(p) == stamp for p, stamp in self.stamps.items())
        self._valid_at = (os.getpid(), now) if ok else None
        return ok

    def findings_for(self, path: str):
        """The file's findings, or None when this run does not report them: not linked under its own
        name, or a test module or vendored copy that flake8 was given by name, which a file named on
        its own reports (as ``asynclint tests/test_x.py`` does; found in a folder, it is not)."""
        from .discover import walk_leaves_unreported

        if path not in self.checked or (path in _GIVEN or not _GIVEN) and walk_leaves_unreported(path, self.root):
            return None
        return list(self.by_path.get(path, ()))
