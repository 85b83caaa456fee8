"""Find the files to check.

Directories are walked recursively; the usual junk folders, ``.gitignore``d
paths and configured ``exclude``/``extend-exclude`` patterns are skipped.
A file named explicitly is always checked (pre-commit passes files one by one),
unless ``--force-exclude`` is given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .model import SourceFile

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


@dataclass
class RunFiles:
    """What one run reads: the files to report, the project files they are linked against, and
    the directories module names are taken from."""

    root: str  # the project root
    files: list  # list[SourceFile]: reported files first, then the rest of the project
    report_paths: set  # absolute paths of the files whose findings are reported
    context_dirs: list


def project_root_of(paths) -> str:
    """The project around all the paths (not the first one: the order must not matter)."""
    abs_paths = [os.path.abspath(x) for x in paths]
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
    if not context and whole_project:
        extra = discover([root], root=root, exclude=exclude, extend_exclude=extend_exclude)
        files += [f for f in extra.files if f.path not in report_paths]
        context = [root]
    if not context:
        # files checked on their own: name them from one level up, so that a file named like a
        # library it imports (tests/fixtures/catalog/redis.py) is not mistaken for it
        context = sorted({os.path.dirname(os.path.dirname(f.path)) for f in files})
    return RunFiles(root, files, report_paths, context)


def _spec(patterns):
    if not patterns:
        return None
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(patterns)


def _gitignore(directory: str):
    path = os.path.join(directory, ".gitignore")
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    return _spec(lines)


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
        if not os.path.exists(path):
            raise DiscoveryError(f"path does not exist: {raw}")
        if os.path.isfile(path):
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
