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

from .fsio import kind_of, printable_path, read_regular
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


def project_root_of(paths) -> str:
    """The project around all the paths (not the first one: the order must not matter); paths
    that are neither files nor directories (missing, ``/dev/null``) have no say in it."""
    abs_paths = [os.path.abspath(x) for x in paths if os.path.isfile(x) or os.path.isdir(x)]
    abs_paths = abs_paths or [os.path.abspath(x) for x in paths]
    try:
        common = os.path.commonpath(abs_paths) if len(abs_paths) > 1 else abs_paths[0]
    except ValueError:  # different drives
        common = abs_paths[0]
    return find_project_root(common)


def files_for_run(paths, *, exclude=(), extend_exclude=(), force_exclude=False, whole_project=True) -> RunFiles:
    """Discover ``paths``; files named one by one (pre-commit, editors) are linked against the
    whole project around them unless ``whole_project`` is off."""
    root = project_root_of(paths)
    found = discover(paths, root=root, exclude=exclude, extend_exclude=extend_exclude, force_exclude=force_exclude)
    files = list(found.files)
    report_paths = {f.path for f in files}
    context = list(found.context_dirs)
    if not context and whole_project and files:
        extra = discover([root], root=root, exclude=exclude, extend_exclude=extend_exclude)
        files += [f for f in extra.files if f.path not in report_paths]
        context = [root]
    if not context:
        # files checked on their own: name them from one level up, so that a file named like a
        # library it imports (tests/fixtures/catalog/redis.py) is not mistaken for it
        context = sorted({os.path.dirname(os.path.dirname(f.path)) for f in files})
    return RunFiles(root, files, report_paths, context, list(found.problems))


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


def _display(path: str, cwd: str) -> str:
    prefix = cwd.rstrip(os.sep) + os.sep
    if path.startswith(prefix):
        return path[len(prefix):]  # the common case, without relpath's normalisation work
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def discover(paths, *, root: str, exclude=(), extend_exclude=(), force_exclude=False, respect_gitignore=True) -> Discovery:
    cwd = os.getcwd()
    user_spec = _spec(list(exclude) + list(extend_exclude))
    out = Discovery()
    seen = set()

    def excluded_by_user(path: str) -> bool:
        if user_spec is None:
            return False
        rel = os.path.relpath(path, root) if path.startswith(root) else path
        return user_spec.match_file(rel) or user_spec.match_file(rel + "/") if os.path.isdir(path) else user_spec.match_file(rel)

    for raw in paths:
        path = os.path.abspath(raw)
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            what = "path does not exist" if isinstance(exc, FileNotFoundError) else f"cannot read ({exc.strerror})"
            out.problems.append(f"{what}: {printable_path(raw)}")
            continue
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # a FIFO, socket or device: never opened
            out.problems.append(f"not a regular file or directory ({kind_of(mode)}): {printable_path(raw)}")
            continue
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
                spec = _gitignore(dirpath)
                if spec is not None:
                    ignores.append((dirpath, spec))

            def ignored(full: str, is_dir: bool) -> bool:
                for d, s in ignores:
                    rel = os.path.relpath(full, d).replace(os.sep, "/")
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
            for name in sorted(filenames):
                if not name.endswith(".py"):
                    continue
                full = os.path.join(dirpath, name)
                if full in seen or excluded_by_user(full) or (respect_gitignore and ignored(full, False)):
                    continue
                seen.add(full)
                out.files.append(SourceFile(full, _display(full, cwd)))
    return out


def find_project_root(start: str) -> str:
    """The nearest directory at or above ``start`` holding pyproject.toml, setup.py, setup.cfg or .git."""
    d = os.path.abspath(start)
    if os.path.isfile(d):
        d = os.path.dirname(d)
    while True:
        for marker in ("pyproject.toml", "setup.py", "setup.cfg", ".git"):
            if os.path.exists(os.path.join(d, marker)):
                return d
        parent = os.path.dirname(d)
        if parent == d:
            # no marker anywhere: the package around the file (never a whole home directory)
            return _package_root(os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start)))
        d = parent


def _package_root(d: str) -> str:
    """With no project marker: the directory above the outermost package containing ``d``."""
    while os.path.isfile(os.path.join(d, "__init__.py")):
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    return d


def project_root(paths) -> str:
    return project_root_of(paths)
