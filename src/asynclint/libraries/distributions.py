"""Installed distributions and their modules, read from ``*.dist-info`` / ``*.egg-info`` directories.

A top-level module (``nano_vectordb``, ``PIL``) belongs to the distribution
whose ``top_level.txt`` names it, else whose ``RECORD`` lists files under it;
its name and version come from ``METADATA`` (``PKG-INFO``). Nothing is
imported. Everything is read lazily, once per run, on the first module asked for.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Optional

from ..environment import editable_mapping

_MODULE_FILE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:/|\.py,)")


@dataclass(frozen=True)
class Distribution:
    name: str  # as published (METADATA Name)
    version: str
    editable: bool = False  # installed from a working copy: its files change without a new version

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"




class Distributions:
    """Which distribution a top-level module of an environment belongs to."""

    def __init__(self, site_dirs):
        self.site_dirs = tuple(site_dirs)
        self._by_top: Optional[dict] = None

    def of(self, top: str) -> Distribution:
        if self._by_top is None:
            self._by_top = self._read()
        found = self._by_top.get(top)
        # a module no metadata claims (a directory on a .pth path): named after itself
        return found if found is not None else Distribution(top, "(unversioned)", editable=True)

    def _read(self) -> dict:
        out: dict = {}
        for site in self.site_dirs:
            try:
                names = sorted(os.listdir(site))
            except OSError:
                continue
            for name in names:
                if not name.endswith((".dist-info", ".egg-info")):
                    continue
                meta_dir = os.path.join(site, name)
                if not os.path.isdir(meta_dir):
                    continue
                dist = _distribution(meta_dir, name)
                for top in _top_levels(meta_dir):
                    out.setdefault(top, dist)
        return out


def _distribution(meta_dir: str, dirname: str) -> Distribution:
    stem = dirname.rsplit(".", 1)[0]
    guess_name, _, guess_version = stem.partition("-")
    name, version = guess_name, guess_version.split("-")[0] or "0"
    for meta in ("METADATA", "PKG-INFO"):
        path = os.path.join(meta_dir, meta)
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    if not line.strip():
                        break  # end of the headers
                    key, _, value = line.partition(":")
                    if key == "Name":
                        name = value.strip()
                    elif key == "Version":
                        version = value.strip()
            break
        except OSError:
            continue
    editable = False
    try:
        with open(os.path.join(meta_dir, "direct_url.json"), encoding="utf-8") as fh:
            editable = '"editable": true' in fh.read().replace("'", '"')
    except OSError:
        pass
    if dirname.endswith(".egg-info") and not os.path.isfile(os.path.join(meta_dir, "RECORD")):
        editable = editable or not os.path.basename(os.path.dirname(meta_dir)) == "site-packages"
    return Distribution(name, version, editable)


def _top_levels(meta_dir: str) -> list:
    try:
        with open(os.path.join(meta_dir, "top_level.txt"), encoding="utf-8", errors="replace") as fh:
            tops = [line.strip().replace("/", ".").split(".")[0] for line in fh if line.strip()]
        if tops:
            return tops
    except OSError:
        pass
    tops = []
    try:
        with open(os.path.join(meta_dir, "RECORD"), encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("__editable__") and "_finder.py," in line:
                    # an editable install: its packages are the ones the finder maps
                    finder = os.path.join(os.path.dirname(meta_dir), line.split(",", 1)[0])
                    tops += [t for t in editable_mapping(finder) if t not in tops]
                    continue
                m = _MODULE_FILE.match(line)
                if m and not line.startswith(("__pycache__", "..")) and m.group(1) not in tops:
                    tops.append(m.group(1))
    except OSError:
        pass
    return tops
