"""Find the files to check.

Directories are walked recursively; the usual junk folders, ``.gitignore``d
paths and configured ``exclude``/``extend-exclude`` patterns are skipped.
A file named explicitly is always checked (pre-commit passes files one by one),
unless ``--force-exclude`` is given.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Optional

from .fsio import kind_of, printable_path, read_regular, stat_or_none
from .markers import MARKERS, marker_root
from .model import SourceFile

_MAX_GITIGNORE = 16 << 20

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".env", "env", "build", "dist", ".tox", ".nox",
    "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".asynclint_cache",
    ".eggs", "site-packages", ".direnv", "__pypackages__", ".ipynb_checkpoints",
)


class DiscoveryError(Exception):
    pass


@dataclass
class Discovery:
    files: list = field(default_factory=list)  # list[SourceFile]
    context_dirs: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # messages about paths named that cannot be checked


@dataclass
class RunFiles:
    """What one run reads: the files to report, the project files they are linked against, and
    the directories module names are taken from."""

    root: str  # the project root
    files: list  # list[SourceFile]: reported files first, then the rest of the project
    report_paths: set  # absolute paths of the files whose findings are reported
    context_dirs: list
    problems: list = field(default_factory=list)  # paths named that do not exist or are not files
    # path -> os.stat result, taken before it was read or listed: the paths named, the directories
    # walked and the .gitignore files read (only when asked for: ``files_for_run(stamps=...)``)
    stamps: Optional[dict] = None


def project_root_of(paths) -> str:
    """The project around all the paths (see ``project_root``)."""
    return project_root(paths)


def files_for_run(paths, *, exclude=(), extend_exclude=(), force_exclude=False, whole_project=True,
                  root: Optional[str] = None, check_tests: bool = False, stamps: Optional[dict] = None,
                  walk=None) -> RunFiles:
    """Discover ``paths``; files named one by one (pre-commit, editors) and folders inside the project
    are linked against the whole project around them unless ``whole_project`` is off. ``root``: the
    project root when the caller knows it (the flake8 plugin: the root of the paths flake8 was given),
    else ``project_root``.
    Test modules found in a directory are linked but not reported, unless ``check_tests``: tests do
    not serve requests. Vendored copies of other projects are linked but not reported either.
    ``stamps``: a dict to fill with what the discovery depends on (``RunFiles.stamps``).
    ``walk``: what discovers directories, when not ``discover`` itself: (directories, force_exclude,
    stamps) -> ``Discovery`` (``cache.discovered``: the last walk, while none of them changed)."""
    root = os.path.abspath(root) if root else project_root(paths)

    def walked(named, force: bool) -> Discovery:
        if walk is not None and all(os.path.isdir(p) for p in named):
            return walk(named, force, stamps)
        return discover(named, root=root, exclude=exclude, extend_exclude=extend_exclude, force_exclude=force,
                        stamps=stamps)

    found = walked(paths, force_exclude)
    files = list(found.files)
    report_paths = {f.path for f in files if (check_tests or not f.test) and not f.vendored}
    context = list(found.context_dirs)
    if whole_project and files and (not context or all(d != root and _inside(root, d) for d in context)):
        # files named one by one, or folders inside the project (``asynclint proj/api``): linked against
        # the rest of it, so that what they import from beside them (``proj/core``) and what calls them
        # are read, and they get the findings a run over the project gives them (as ``flake8 proj/api``,
        # which analyses the project around the paths it is given, does)
        named = {f.path for f in files}
        extra = walked([root], False)
        files += [f for f in extra.files if f.path not in named]
        context = [root]
    if not context:
        # files checked on their own: name them from one level up, so that a file named like a
        # library it imports (tests/fixtures/catalog/redis.py) is not mistaken for it
        context = sorted({os.path.dirname(os.path.dirname(f.path)) for f in files})
    return RunFiles(root, files, report_paths, context, list(found.problems), stamps)


def _spec(patterns):
    """Git's patterns; one that git would ignore as invalid (``!``, a trailing ``\\``) is ignored."""
    if not patterns:
        return None
    import pathspec

    try:
        return pathspec.GitIgnoreSpec.from_lines(patterns)
    except (ValueError, TypeError, re.error):  # GitIgnorePatternError is a ValueError
        pass
    valid = []
    for line in patterns:
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except (ValueError, TypeError, re.error):
            continue
        valid.append(line)
    return pathspec.GitIgnoreSpec.from_lines(valid) if valid else None


@functools.lru_cache(maxsize=256)
def _cached_spec(patterns: tuple):
    return _spec(list(patterns))


def pattern_spec(patterns):
    """The compiled gitignore-style patterns (``per-file-ignores``); matches nothing when empty."""
    spec = _cached_spec(tuple(patterns))
    return spec if spec is not None else _NO_MATCH


class _NoMatch:
    @staticmethod
    def match_file(_path) -> bool:
        return False


_NO_MATCH = _NoMatch()


def check_patterns(patterns) -> Optional[str]:
    """The first pattern that is not a valid gitignore-style pattern, or None."""
    import pathspec

    for line in patterns:
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except (ValueError, TypeError, re.error):
            return line
    return None


def _gitignore(directory: str):
    path = os.path.join(directory, ".gitignore")
    try:
        data = read_regular(path, _MAX_GITIGNORE)
    except OSError:  # missing, not a regular file, unreadable, absurdly large
        return None
    return _spec(data.decode("utf-8", errors="replace").splitlines())


def _relative(path: str, base: str) -> str:
    """``os.path.relpath(path, base)`` for absolute, normalised paths (what the walk makes); without
    relpath's normalisation of both paths in the common case of a path inside ``base``."""
    if path.startswith(base):
        n = len(base)
        if len(path) == n:
            return "."
        if path[n] == os.sep:
            return path[n + 1:]
        if base.endswith(os.sep):
            return path[n:]
    return os.path.relpath(path, base)


def _display(path: str, cwd: str) -> str:
    prefix = cwd.rstrip(os.sep) + os.sep
    if path.startswith(prefix):
        return path[len(prefix):]  # the common case, without relpath's normalisation work
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def discover(paths, *, root: str, exclude=(), extend_exclude=(), force_exclude=False, respect_gitignore=True,
             stamps: Optional[dict] = None) -> Discovery:
    """``stamps``: filled with path -> ``os.stat`` result of each path named, each directory walked
    (taken before it is listed: a file added after that changes it) and each .gitignore read."""
    cwd = os.getcwd()
    user_spec = _spec(list(exclude) + list(extend_exclude))
    out = Discovery()
    seen = set()

    def excluded_by_user(path: str) -> bool:
        if user_spec is None:
            return False
        rel = _relative(path, root) if path.startswith(root) else path
        return user_spec.match_file(rel) or user_spec.match_file(rel + "/") if os.path.isdir(path) else user_spec.match_file(rel)

    for raw in paths:
        path = os.path.abspath(raw)
        try:
            st = os.stat(path)
            mode = st.st_mode
        except OSError as exc:
            what = "path does not exist" if isinstance(exc, FileNotFoundError) else f"cannot read ({exc.strerror})"
            out.problems.append(f"{what}: {printable_path(raw)}")
            continue
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # a FIFO, socket or device: never opened
            out.problems.append(f"not a regular file or directory ({kind_of(mode)}): {printable_path(raw)}")
            continue
        if stamps is not None:
            stamps[path] = st
        if stat.S_ISREG(mode):
            if force_exclude and (excluded_by_user(path) or os.path.basename(os.path.dirname(path)) in DEFAULT_EXCLUDE):
                continue
            if path not in seen:
                seen.add(path)
                out.files.append(SourceFile(path, _display(path, cwd), explicit=True))
            continue
        out.context_dirs.append(path)
        ignores = []  # (directory, spec) of .gitignore files in effect
        for dirpath, dirnames, filenames in os.walk(path):
            if respect_gitignore:
                ignores = [(d, s) for d, s in ignores if dirpath == d or dirpath.startswith(d + os.sep)]
                if stamps is not None and ".gitignore" in filenames:
                    gitignore = os.path.join(dirpath, ".gitignore")
                    stamps[gitignore] = stat_or_none(gitignore)
                spec = _gitignore(dirpath) if ".gitignore" in filenames else None
                if spec is not None:
                    ignores.append((dirpath, spec))

            def ignored(full: str, is_dir: bool) -> bool:
                for d, s in ignores:
                    rel = _relative(full, d).replace(os.sep, "/")
                    if s.match_file(rel + "/" if is_dir else rel):
                        return True
                return False

            keep = []
            for name in sorted(dirnames):
                full = os.path.join(dirpath, name)
                if name in DEFAULT_EXCLUDE or name.endswith(".egg-info"):
                    continue
                if excluded_by_user(full) or (respect_gitignore and ignored(full, True)):
                    continue
                keep.append(name)
            dirnames[:] = keep
            if stamps is not None:  # (os.walk lists them after this)
                for name in keep:
                    full = os.path.join(dirpath, name)
                    stamps[full] = stat_or_none(full)
            folder = _relative(dirpath, path)  # (what every file of this folder is, below the one walked)
            test_folder, vendored = _in_folders(folder, _TEST_DIRS), _in_folders(folder, _VENDOR_DIRS)
            for name in sorted(filenames):
                if not name.endswith(".py"):
                    continue
                full = os.path.join(dirpath, name)
                if full in seen or excluded_by_user(full) or (respect_gitignore and ignored(full, False)):
                    continue
                seen.add(full)
                out.files.append(SourceFile(full, _display(full, cwd), test=test_folder or _test_file_name(name),
                                            vendored=vendored))
    return out


_TEST_DIRS = frozenset({"tests", "test", "testing"})
_VENDOR_DIRS = frozenset({"vendor", "_vendor", "vendored", "thirdparty", "third_party"})


# Test code, by pytest's conventions, below the directory walked: a ``tests``/``test``/``testing``
# folder, ``test_*.py``, ``*_test.py``, ``conftest.py``. Vendored code: a copy of another project kept
# inside this one (``vendor/``, ``_vendor/``, ``thirdparty/``, ``third_party/`` below the directory
# walked): what the project calls in it is followed, but its own coroutines and servers are not the
# project's to fix.


def walk_leaves_unreported(path: str, root: str) -> bool:
    """Would a walk of ``root`` find ``path`` as a test module or a vendored copy (linked, not
    reported)? A file named on its own is reported all the same."""
    rel = os.path.relpath(os.path.dirname(os.path.abspath(path)), root)
    if rel.startswith(".."):
        return False
    return (_in_folders(rel, _TEST_DIRS) or _test_file_name(os.path.basename(path))
            or _in_folders(rel, _VENDOR_DIRS))


def _test_file_name(name: str) -> bool:
    return name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")


def _in_folders(rel: str, names: frozenset) -> bool:
    """Is a folder (``rel``: relative to the one walked) inside one of these ``names``?"""
    return rel != "." and any(part in names for part in rel.split(os.sep))


# ---------------------------------------------------------------------------
# the project root: one answer for every mode (check, explain, routes, fix, flake8, pre-commit, the server)

_SCAN_FILES = 60  # files read (their first bytes) to see where a tree without markers imports from
_SCAN_BYTES = 32 << 10
_MAX_CLIMB = 4  # directories a tree without markers may reach above the paths given
_IMPORT = re.compile(rb"^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import\b|import[ \t]+([\w.]+))", re.M)


def project_root(paths) -> str:
    """The project root of a run over ``paths``, the same whichever part of the project is named.

    1. The nearest directory at or above the paths' common directory holding ``pyproject.toml``,
       ``setup.cfg``, ``setup.py`` or ``.git``.
    2. Without one: that common directory, raised out of the packages around it (a folder with
       ``__init__.py``, or a namespace folder inside one) and up to where the files' own imports
       resolve (``from ..db import x`` two folders down, ``from app.db import x`` next to ``app/``),
       so that ``app/routers/users.py`` alone has the root ``app/`` has. Never a home directory or
       the file system's root; never out of an unpacked wheel (a folder holding a ``.dist-info``),
       and an import resolving to a folder beside it that is a project of its own does not count
       (``downloads/requests/`` beside ``downloads/shop/``: see ``_another_project``).

    Paths that are neither files nor directories (missing, ``/dev/null``) have no say in it."""
    given = [os.path.abspath(x) for x in paths if os.path.isfile(x) or os.path.isdir(x)]
    given = given or [os.path.abspath(x) for x in paths] or [os.getcwd()]
    dirs = [p if os.path.isdir(p) else os.path.dirname(p) for p in given]
    try:
        base = os.path.commonpath(dirs)
    except ValueError:  # different drives
        base = dirs[0]
    marked = marker_root(base)
    if marked is not None:
        return marked
    return _unmarked_root(base, [p for p in given if os.path.isfile(p)])


def find_project_root(start: str) -> str:
    """The project root of a run over ``start`` alone (see ``project_root``)."""
    return project_root([start])


def _too_high(d: str) -> bool:
    return os.path.dirname(d) == d or d == os.path.expanduser("~")


def _package_top(d: str) -> str:
    """The directory above the outermost package holding ``d`` (a folder with ``__init__.py``, or a
    namespace folder, without one, inside such a package at any depth: ``pkg/ns/sub``)."""
    while True:
        parent = os.path.dirname(d)
        if parent == d or _too_high(parent):
            return d
        if not (_has_init(d) or _in_package(parent)):
            return d
        d = parent


def _has_init(d: str) -> bool:
    return os.path.isfile(os.path.join(d, "__init__.py"))


def _in_package(d: str) -> bool:
    """Is ``d`` a package, or a namespace folder inside one (through at most ``_MAX_CLIMB`` other
    namespace folders, whose names are identifiers)?"""
    for _ in range(_MAX_CLIMB + 1):
        if _has_init(d):
            return True
        parent = os.path.dirname(d)
        if parent == d or _too_high(parent) or not os.path.basename(d).isidentifier():
            return False
        d = parent
    return False


def _unmarked_root(base: str, given_files: list) -> str:
    root = _package_top(base)
    for _ in range(_MAX_CLIMB):
        if _distribution_folder(root):  # an unpacked wheel: a folder put on sys.path as it is
            break
        files = list(dict.fromkeys(given_files + _sample(root)))
        higher = _import_root(files, root, base)
        if higher == root:
            break
        root = _package_top(higher)
    return root


def _sample(root: str) -> list:
    """Up to ``_SCAN_FILES`` .py files under ``root``, the shallowest first."""
    out, level = [], [root]
    while level and len(out) < _SCAN_FILES:
        nxt = []
        for d in level:
            try:
                names = sorted(os.listdir(d))
            except OSError:
                continue
            for name in names:
                full = os.path.join(d, name)
                if name.endswith(".py") and os.path.isfile(full):
                    out.append(full)
                elif name not in DEFAULT_EXCLUDE and not name.startswith(".") and os.path.isdir(full):
                    nxt.append(full)
        level = nxt
    return out[:_SCAN_FILES]


def _import_root(files: list, root: str, base: str) -> str:
    """The highest directory above ``root`` (at most ``_MAX_CLIMB`` above ``base``) that the imports
    of ``files`` need as their root; ``root`` when they need none."""
    limit = base
    for _ in range(_MAX_CLIMB):
        if _too_high(os.path.dirname(limit)):
            break
        limit = os.path.dirname(limit)
    best = root
    resolved: dict = {}  # (module, folder, importer is a file named like it) -> need: most imports repeat
    for path in files:
        try:
            with open(path, "rb") as fh:
                head = fh.read(_SCAN_BYTES)
        except OSError:
            continue
        here = os.path.dirname(path)
        for dots, module, plain in _IMPORT.findall(head):
            if dots:  # ``from ..x import y``: the package is at least that deep
                need = here
                for _ in range(len(dots)):
                    need = os.path.dirname(need)
            else:
                name = (module or plain).decode("ascii", "replace")
                key = (name, here, os.path.basename(path) == name.partition(".")[0] + ".py")
                need = resolved.get(key, False)
                if need is False:
                    need = resolved[key] = _where_it_resolves(name, here, limit, path)
            if need and _inside(limit, need) and len(need) < len(best) and _inside(need, best):
                best = need
    return best


def _where_it_resolves(module: str, here: str, limit: str, importer: str) -> Optional[str]:
    """The nearest directory from ``here`` up to ``limit`` from which ``module`` is a project file or
    folder (not the importing file itself: ``redis.py`` importing ``redis`` imports the library)."""
    parts = [p for p in module.split(".") if p]
    if not parts:
        return None
    d = here
    while True:
        top = os.path.join(d, parts[0])
        if os.path.isdir(top) and (len(parts) == 1 or os.path.exists(os.path.join(top, parts[1]))
                                   or os.path.isfile(os.path.join(top, parts[1] + ".py"))
                                   or os.path.isfile(os.path.join(top, "__init__.py"))) \
                and not _another_project(top, parts[0]):
            return d
        if os.path.isfile(top + ".py") and top + ".py" != importer:
            return d
        if d == limit or os.path.dirname(d) == d:
            return None
        d = os.path.dirname(d)


def _another_project(folder: str, name: str) -> bool:
    """Is ``folder`` (found where an import of ``name`` could resolve) a project of its own beside
    this one rather than one of its packages? It holds a project marker or a distribution's metadata
    (an unpacked wheel: ``requests/requests-2.32.3.dist-info``), or it is a folder, without
    ``__init__.py``, holding the regular package of its own name (``requests/requests/__init__.py``,
    a checkout): the package it names is inside it, so that folder is not on the way to it."""
    if os.path.isfile(os.path.join(folder, "__init__.py")):
        return False
    if os.path.isfile(os.path.join(folder, name, "__init__.py")) or _distribution_folder(folder):
        return True
    return any(os.path.exists(os.path.join(folder, marker)) for marker in MARKERS)


def _distribution_folder(folder: str) -> bool:
    """Does ``folder`` hold a distribution's metadata (``*.dist-info``, ``*.egg-info``), as an
    unpacked wheel or a ``site-packages`` does?"""
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return any(n.endswith((".dist-info", ".egg-info")) for n in names)


def _inside(outer: str, inner: str) -> bool:
    return inner == outer or inner.startswith(outer.rstrip(os.sep) + os.sep)
