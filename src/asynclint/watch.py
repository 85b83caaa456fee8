"""``asynclint --watch``: check, then check again whenever a Python file or a configuration changes.

The files are polled (their sizes and modification times), which needs no
dependency and works the same on every platform and file system; a run
starts once the tree has been quiet for one poll, so that an editor saving
several files at once causes one run, not several.
"""

from __future__ import annotations

import os
import time
from typing import Callable, Optional

from .discover import DEFAULT_EXCLUDE

WATCHED_NAMES = ("pyproject.toml", ".gitignore")


def snapshot(paths) -> frozenset:
    """(path, size, mtime) of every .py file, pyproject.toml and .gitignore under ``paths``."""
    out = set()
    for raw in paths:
        top = os.path.abspath(raw)
        if os.path.isfile(top):
            out.add(_stamp(top))
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if d not in DEFAULT_EXCLUDE and not d.endswith(".egg-info")]
            for name in filenames:
                if name.endswith(".py") or name in WATCHED_NAMES:
                    out.add(_stamp(os.path.join(dirpath, name)))
    return frozenset(out)


def _stamp(path: str) -> tuple:
    try:
        st = os.stat(path)
    except OSError:
        return (path, None, None)
    return (path, st.st_size, st.st_mtime_ns)


def watch_paths(paths, run_once: Callable[[], None], *, echo: Callable[[str], None], interval: float = 0.5,
                sleep: Callable[[float], None] = time.sleep, max_runs: Optional[int] = None) -> int:
    """Run ``run_once`` now and after every change under ``paths``, until Ctrl-C (exit status 0).
    ``sleep`` and ``max_runs`` let tests drive the loop."""
    runs = 0
    try:
        while True:
            echo("asynclint: checking (watch mode; Ctrl-C to stop) ...")
            before = snapshot(paths)
            run_once()
            runs += 1
            if max_runs is not None and runs >= max_runs:
                return 0
            while True:
                sleep(interval)
                now = snapshot(paths)
                if now == before:
                    continue
                while True:  # wait until the tree is quiet for one poll
                    sleep(interval)
                    later = snapshot(paths)
                    if later == now:
                        break
                    now = later
                changed = sorted({p for p, *_ in now ^ before})
                shown = os.path.relpath(changed[0]) if changed else "a file"
                more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
                echo(f"\nasynclint: {shown}{more} changed")
                break
    except KeyboardInterrupt:
        return 0
