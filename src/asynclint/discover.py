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
