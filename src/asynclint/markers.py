"""Project markers: the files whose folder is a project's root (``discover.project_root``).

Kept apart, importing nothing but ``os``, so that the answer a warm check keeps (``cache.warm``)
finds the root the same way discovery does without importing discovery."""

from __future__ import annotations

import os

MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")


def marker_root(start: str):
    """The nearest directory at or above ``start`` holding a project marker, or None."""
    d = os.path.abspath(start)
    if os.path.isfile(d):
        d = os.path.dirname(d)
    while True:
        for marker in MARKERS:
            if os.path.exists(os.path.join(d, marker)):
                return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent
