"""The per-(distribution, version) cache of library summaries, in the user's cache directory.

One file per distribution version (``~/.cache/asynclint/libraries/``, or under
``$XDG_CACHE_HOME``), shared by every project on the machine: a library
version is summarized once. The interface is ``get(key)`` / ``put(key, data)``
on plain data (dicts, lists, tuples, strings, numbers, booleans, None,
frozensets), so the store can move onto another backend without touching its
callers.

The format is data only: ``marshal`` of those plain values (it reads them
back several times faster than JSON, which has no tuples and would need a
walk of every expression to rebuild them), behind a SHA-256 of the payload
that is checked before anything is decoded, so a truncated or damaged file is
a miss, never a crash. Nothing in a file is ever called or imported. Reads of
a foreign file return None; writes are atomic (temporary file + rename) and
failures (a read-only home) are silent: the run summarizes again next time.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from typing import Optional

_MAGIC = b"asynclint-libraries-1\n"
_MARSHAL_VERSION = 4


def default_directory() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "asynclint", "libraries")


class LibraryStore:
    def __init__(self, directory: Optional[str] = None, enabled: bool = True):
        self.directory = directory or default_directory()
        self.enabled = enabled

    def _file(self, key: tuple) -> str:
        name = "".join(c if c.isalnum() or c in "._-" else "_" for c in f"{key[0]}-{key[1]}")[:80]
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
        return os.path.join(self.directory, f"{name}-{digest}.bin")

    def get(self, key: tuple) -> Optional[dict]:
        if not self.enabled:
            return None
        try:
            with open(self._file(key), "rb") as fh:
                blob = fh.read()
        except OSError:
            return None
        head = len(_MAGIC)
        if not blob.startswith(_MAGIC) or blob[head:head + 32] != hashlib.sha256(blob[head + 32:]).digest():
            return None
        try:
            doc = marshal.loads(blob[head + 32:])
        except (EOFError, ValueError, TypeError):
            return None
        if type(doc) is not dict or doc.get("key") != key or type(doc.get("data")) is not dict:
            return None
        return doc["data"]

    def put(self, key: tuple, data: dict) -> None:
        if not self.enabled:
            return
        try:
            payload = marshal.dumps({"key": key, "data": data}, _MARSHAL_VERSION)
        except ValueError:  # something that is not plain data: never stored
            return
        target = self._file(key)
        try:
            os.makedirs(self.directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".bin")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
                os.replace(tmp, target)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            pass
