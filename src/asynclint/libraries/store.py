"""The per-(distribution, version) cache of library summaries, in the user's cache directory.

One file per distribution version (``~/.cache/asynclint/libraries/``, or under
``$XDG_CACHE_HOME``), shared by every project on the machine: a library
version is summarized once. The interface is ``get(key)`` / ``put(key, data)``
on plain data (dicts, lists, tuples, strings, numbers, booleans, None,
frozensets).

Each file is a ``cache.store.Store``: data only (``cache.codec``), every entry
authenticated with the installation's secret before it is decoded, so a
damaged, copied or crafted file is a miss, never a crash and never code.
Writes are atomic; failures (a read-only home) are silent: the run summarizes
again next time.
"""

from __future__ import annotations

import hashlib
import os
from typing import Optional

from ..cache import codec
from ..cache.store import Store, user_cache_dir

_NAMESPACE = f"libraries/1/{codec.VERSION}"
_ENTRY = b"summaries"


def default_directory() -> str:
    return os.path.join(user_cache_dir(), "libraries")


class LibraryStore:
    def __init__(self, directory: Optional[str] = None, enabled: bool = True):
        self.directory = directory or default_directory()
        self.enabled = enabled

    def _store(self, key: tuple, load: bool = True) -> Store:
        name = "".join(c if c.isalnum() or c in "._-" else "_" for c in f"{key[0]}-{key[1]}")[:80]
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
        return Store(self.directory, f"{name}-{digest}.cache", f"{_NAMESPACE}/{key!r}", project=False, load=load)

    def get(self, key: tuple) -> Optional[dict]:
        if not self.enabled:
            return None
        blob = self._store(key).get(_ENTRY)
        if blob is None:
            return None
        try:
            data = codec.loads(blob)
        except (EOFError, ValueError, TypeError):
            return None
        return data if type(data) is dict else None

    def put(self, key: tuple, data: dict) -> None:
        if not self.enabled:
            return
        try:
            blob = codec.dumps(data)
        except ValueError:  # something that is not plain data: never stored
            return
        store = self._store(key, load=False)
        store.put(_ENTRY, blob)
        store.save()
