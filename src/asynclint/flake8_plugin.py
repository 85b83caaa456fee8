"""flake8 plugin: ``flake8 --select ASL`` reports what ``asynclint FILE`` reports.

flake8 hands the plugin one file at a time.  asynclint's findings depend on
the whole project (a route here calls a helper there that calls
``requests.get``), so for each file the plugin runs the same engine as the
command line, which finds the project root and ``[tool.asynclint]`` from the
file's path, links the file against every module of the project (through the
same on-disk summary cache) and reports that file only.

Within one process (flake8 runs each worker over many files) the result of
linking the project is kept and reused for every further file of the same
project, as long as no file of it changed on disk.  A file whose text differs
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

from . import __version__

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
        message = bad_flake8_selector(options)
        if message is not None:
            from flake8.exceptions import ExecutionError

            raise ExecutionError(f"asynclint: {message}")
        # the paths flake8 was given: the project root is theirs, as for `asynclint PATHS`
        _GIVEN[:] = [os.path.abspath(p) for p in (getattr(options, "filenames", None) or ["."]) if p != "-"]

    def run(self):
        for line, col, text in check_file(self.filename, self.lines):
            yield line, col, text, type(self)


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
            # run): analyse what this file reaches only, which is much cheaper than the project
            _SEEN.add(root)
            return _findings_for(_run_engine([path], root=root), path)
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
        result = _run_engine([path], overrides={path: text}, root=root_for(path))
    except (ConfigError, DiscoveryError) as exc:
        return [(1, 0, f"{ERROR_CODE} asynclint could not check this file: {exc}")]
    return _findings_for(result, path)


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


def _run_engine(paths, overrides=None, root=None):
    import gc
    import multiprocessing

    from .engine import Options, run

    # flake8's workers are daemonic processes, which may not start processes of
    # their own: parse in this process there
    jobs = 1 if multiprocessing.current_process().daemon else None
    options = Options(jobs=jobs, overrides=dict(overrides or {}), root=root)
    # the engine builds (and unpickles from the cache) a great many small
    # objects and frees few: the cyclic collector only slows it down
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return run(paths, options)
    finally:
        if was_enabled:
            gc.enable()


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

    def __init__(self, root: str, result):
        self.root = root
        self.by_path: dict = {}
        self.checked: set = set()  # files this run linked exactly as a run on the file alone would
        for d in result.diagnostics:
            self.by_path.setdefault(os.path.abspath(d.path), []).append(_tuple(d))
        for e in result.errors:
            p = os.path.abspath(e.path)
            self.by_path.setdefault(p, []).append(_error_tuple(e))
            self.checked.add(p)
        watched = {root, os.path.join(root, "pyproject.toml")}
        project = result.project
        if project is not None:
            for info in project.unique_modules():
                names = (info.name,) + tuple(info.aliases)
                # a file checked by name is linked first, so it owns its module
                # names; reuse this run for it only where it owns them here too
                if all(project.modules.get(n) is info for n in names):
                    self.checked.add(info.path)
                watched.add(info.path)
                watched.add(os.path.dirname(info.path))  # a file added or removed there
        watched.update(self.checked)
        watched.update(os.path.dirname(p) for p in self.checked)
        cfg = getattr(result, "config", None)
        if cfg is not None and getattr(cfg, "path", None):
            watched.add(cfg.path)
        self.stamps = {p: _stat_key(p) for p in watched}

    def still_valid(self) -> bool:
        return all(_stat_key(p) == stamp for p, stamp in self.stamps.items())

    def findings_for(self, path: str):
        if path not in self.checked:
            return None
        return list(self.by_path.get(path, ()))
