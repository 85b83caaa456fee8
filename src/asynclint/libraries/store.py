"""The per-(distribution, version) cache of library summaries, in the user's cache directory.

One JSON document per distribution version (``~/.cache/asynclint/libraries/``,
or under ``$XDG_CACHE_HOME``), shared by every project on the machine: a
library version is summarized once. The interface is ``get(key)`` /
``put(key, data)`` on plain JSON-compatible data, so the store can move onto
another backend without touching its callers. Reads of a damaged or foreign
file return None; writes are atomic (temporary file + rename) and failures
(a read-only home) are silent: the run just summarizes again next time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from typing import Optional

_FORMAT = 1


def default_directory() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "asynclint", "libraries")


class LibraryStore:
    def __init__(self, directory: Optional[str] = None, enabled: bool = True):
        self.directory = directory or default_directory()
        self.enabled = enabled

    def _file(self, key: tuple) -> str:
        name = "".join(c if c.isalnum() or c in "._-" else "_" for c in f"{key[0]}-{key[1]}")[:80]
        digest = hashlib.sha256(json.dumps(key, default=str).encode()).hexdigest()[:16]
        return os.path.join(self.directory, f"{name}-{digest}.json")

    def get(self, key: tuple) -> Optional[dict]:
        if not self.enabled:
            return None
        try:
            with open(self._file(key), encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, ValueError):
            return None
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT or doc.get("key") != json.loads(
                json.dumps(key, default=str)):
            return None
        data = doc.get("data")
        return data if isinstance(data, dict) else None

    def put(self, key: tuple, data: dict) -> None:
        if not self.enabled:
            return
        target = self._file(key)
        doc = {"format": _FORMAT, "key": key, "data": data}
        try:
            os.makedirs(self.directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(doc, fh, separators=(",", ":"), default=str)
                os.replace(tmp, target)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except (OSError, TypeError, ValueError):
            pass
