"""A project's discovery, kept while the directories it walked stay as they were.

Discovery walks every directory of the project, reads its ``.gitignore`` files and matches every
name against the exclusions: on a 7,000-file project, more than the rest of a check after a one-line
edit. What it finds depends only on the paths named, the working directory (the names shown), the
options that choose files, and what it listed and read: the names in each directory walked (a file
added, removed or renamed there changes the directory's stamp) and the ``.gitignore`` files. So the
files it found are kept with the stamps of those paths (``warm._packed``: taken before each was
listed or read, and not kept when one changed within a tick of the clock before the walk began);
while each stats the same, the same discovery is the answer.

A walk is kept per directories named and exclusions: the project root's (``asynclint .``, the flake8
plugin, and the files named to a run, linked against the project around them: a pre-commit hook's
``asynclint FILES``) and the folders named (``asynclint app/api``). Each is a file of the project's
cache directory (``discovery-<version>-<key>.cache``, the ``KEEP`` most recent kept): a
``store.Store``, authenticated with the installation's secret and decoded with ``codec`` (built-in
data only), so a planted file is rejected and runs no code.
"""

from __future__ import annotations

import os
import time
from typing import Optional

from .. import __version__
from ..model import SourceFile
from . import codec
from .store import Store, project_cache_dir, sha256
from .warm import _STAMP, _packed, _prune, holds

_FORMAT = 2
PREFIX = "discovery-"
_NAMESPACE = f"discovery/{_FORMAT}/{__version__}/{codec.VERSION}"
KEEP = 4


def _key(paths, root: str, choice: tuple) -> bytes:
    return sha256(repr((_FORMAT, os.getcwd(), tuple(os.path.abspath(p) for p in paths), root, choice))
                  .encode("utf-8", "surrogatepass"))


def _store(root: str, key: bytes, load: bool) -> Optional[Store]:
    directory = project_cache_dir(root)
    if directory is None:
        return None
    store = Store(directory, f"{PREFIX}{__version__}-{key[:10].hex()}.cache", _NAMESPACE, load=load)
    return store if store.enabled else None


def walker(root: str, exclude, extend_exclude):
    """``discover.files_for_run``'s ``walk`` for a project: the last discovery of the same directories
    with the same exclusions while every path it walked or read stats as it did (filling the run's
    stamps with what they stat now); else ``discover.discover``, kept for the next run."""
    from ..discover import discover

    def walk(paths, force_exclude: bool, stamps: Optional[dict]):
        choice = (tuple(exclude), tuple(extend_exclude), force_exclude)
        now: dict = {}
        got = recall(paths, root, choice, now)
        if got is None:
            started = time.time_ns()
            got = discover(paths, root=root, exclude=exclude, extend_exclude=extend_exclude,
                           force_exclude=force_exclude, stamps=now)
            remember(paths, root, choice, got, now, started)
        if stamps is not None:
            stamps.update(now)
        return got

    return walk


def recall(paths, root: str, choice: tuple, stamps: dict):
    """The ``discover.Discovery`` of ``paths`` under ``root`` with the options ``choice`` that was kept,
    when every path it walked or read stats as it did then (filling ``stamps`` with what they stat
    now); else None."""
    from ..discover import Discovery

    key = _key(paths, root, choice)
    try:
        store = _store(root, key, load=True)
        blob = store.get(key) if store is not None else None
        if blob is None:
            return None
        groups, flags, packed, rows, context_dirs = codec.loads(blob)
        now: dict = {}
        if not holds(groups, flags, _STAMP.iter_unpack(packed), now=now):
            return None
        found = Discovery([SourceFile(*row) for row in rows], list(context_dirs))
    except Exception:  # (authenticated, so written by this code: cannot happen unless a bug)
        return None
    stamps.update(now)
    return found


def remember(paths, root: str, choice: tuple, found, stamps: dict, started: int) -> None:
    """Keep ``found`` (a ``discover.Discovery`` without problems) as the discovery of ``paths``, resting
    on ``stamps`` (taken from ``started`` on: not kept when one changed shortly before)."""
    if found.problems:
        return
    packed = _packed(stamps, started)
    if packed is None:
        return
    key = _key(paths, root, choice)
    store = _store(root, key, load=False)
    if store is None:
        return
    rows = tuple((f.path, f.display, f.explicit, f.test, f.vendored) for f in found.files)
    try:
        store.put(key, codec.dumps(packed + (rows, tuple(found.context_dirs))))
    except ValueError:
        return
    if store.save():
        _prune(store.directory, store.name, PREFIX, KEEP)
