"""Which Python environment the checked project runs in, found from the file system alone.

The environment is where the project's dependencies are installed; asynclint
reads their source (``libraries``) but never runs its interpreter nor imports
anything from it. In order, the first that applies:

1. ``--python PATH`` (an interpreter or an environment directory),
2. the ``ASYNCLINT_PYTHON`` environment variable (same meaning),
3. ``python = "..."`` in ``[tool.asynclint]`` (relative to the pyproject.toml),
4. an activated virtual environment (``VIRTUAL_ENV``; not under pre-commit,
   whose hooks run in an environment of their own),
5. ``.venv`` or ``venv`` in the project root,
6. none: nothing is inferred from libraries.

The word ``none`` in 1-3 turns discovery off. A path given in 1-3 that holds
no environment is a usage error; one found in 4-5 that holds none is ignored.

The site-packages directories come from the layout: ``lib/python3.X/site-packages``
(and ``lib64``, Debian's ``dist-packages``), ``Lib/site-packages`` on Windows,
the base installation's when ``pyvenv.cfg`` includes the system site packages,
plus the directories that ``.pth`` files and setuptools' editable finders in
them point to (editable installs of sibling packages).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from typing import Optional

from .config import ConfigError

OFF = "none"
ENV_VARIABLE = "ASYNCLINT_PYTHON"


class EnvironmentNotFound(ConfigError):
    """An environment named explicitly (option, variable, configuration) is not there."""


@dataclass(frozen=True)
class Environment:
    prefix: str  # the environment's directory
    site_packages: tuple  # directories searched for modules, in order
    source: str  # how it was found: "--python", "ASYNCLINT_PYTHON", "pyproject.toml", "VIRTUAL_ENV", ".venv"

    def fingerprint(self) -> tuple:
        """What changes when a distribution is installed, removed or upgraded: the names of the
        ``*.dist-info`` entries (they carry the versions) of every site-packages directory."""
        out = []
        for d in self.site_packages:
            try:
                names = sorted(n for n in os.listdir(d) if n.endswith((".dist-info", ".egg-info", ".pth")))
            except OSError:
                names = []
            out.append((d, tuple(names)))
        return tuple(out)


def find_environment(explicit: Optional[str], config_value: Optional[str], config_path: Optional[str],
                     project_root: str) -> Optional[Environment]:
    """The environment to read libraries from, or None. Raises ``EnvironmentNotFound`` for a path
    named explicitly that holds no environment."""
    named = [(explicit, "--python", os.getcwd()), (os.environ.get(ENV_VARIABLE), ENV_VARIABLE, os.getcwd())]
    if config_value is not None:
        named.append((config_value, "pyproject.toml",
                      os.path.dirname(os.path.abspath(config_path)) if config_path else project_root))
    for value, source, base in named:
        if value is None or value == "":
            continue
        if value.strip().lower() == OFF:
            return None
        env = environment_at(os.path.join(base, os.path.expanduser(value)), source)
        if env is None:
            where = f" ({config_path})" if source == "pyproject.toml" and config_path else ""
            raise EnvironmentNotFound(
                f"{source}{where}: no Python environment at {value!r} (expected a virtual environment directory "
                "or its interpreter, with a lib/python3.X/site-packages directory)")
        return env
    active = os.environ.get("VIRTUAL_ENV")
    if active and not os.environ.get("PRE_COMMIT"):
        env = environment_at(active, "VIRTUAL_ENV")
        if env is not None:
            return env
    for name in (".venv", "venv"):
        cand = os.path.join(project_root, name)
        if os.path.isdir(cand):
            env = environment_at(cand, name)
            if env is not None:
                return env
    return None


def environment_at(path: str, source: str) -> Optional[Environment]:
    """The environment at ``path``: its directory, or an interpreter inside it (``bin/python``,
    ``Scripts/python.exe``), or a site-packages directory itself."""
    path = os.path.abspath(path)
    if os.path.isfile(path) or os.path.islink(path) and not os.path.isdir(path):
        # an interpreter: <prefix>/bin/python3 or <prefix>/Scripts/python.exe (never followed
        # through its symlink, which leads to the base interpreter, not the environment)
        path = os.path.dirname(os.path.dirname(path))
    if os.path.basename(path) == "site-packages" and os.path.isdir(path):
        return Environment(os.path.dirname(path), _with_pth_dirs([path]), source)
    sites = site_packages_of(path)
    if not sites:
        return None
    base = _system_site_base(path)
    if base is not None:
        # created with --system-site-packages: the base interpreter's libraries are visible too
        sites += [d for d in site_packages_of(base) if d not in sites]
    return Environment(path, _with_pth_dirs(sites), source)


def _system_site_base(prefix: str) -> Optional[str]:
    """The base installation's prefix when ``pyvenv.cfg`` says the environment sees its packages."""
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"), encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    cfg = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if sep:
            cfg[key.strip().lower()] = value.strip()
    if cfg.get("include-system-site-packages", "").lower() != "true" or not cfg.get("home"):
        return None
    base = os.path.dirname(os.path.abspath(cfg["home"]))  # home is the base interpreter's bin directory
    return base if base != os.path.abspath(prefix) else None


def site_packages_of(prefix: str) -> list:
    """site-packages directories of an environment directory, newest Python first."""
    found = []
    for lib in ("lib", "lib64"):
        cands = glob.glob(os.path.join(glob.escape(prefix), lib, "python3*", "site-packages"))
        cands += glob.glob(os.path.join(glob.escape(prefix), lib, "pypy3*", "site-packages"))
        cands += glob.glob(os.path.join(glob.escape(prefix), lib, "python3*", "dist-packages"))  # Debian
        found += sorted(cands, key=_version_key, reverse=True)
    win = os.path.join(prefix, "Lib", "site-packages")
    if os.path.isdir(win):
        found.append(win)
    out = []
    for d in found:
        real = os.path.realpath(d)
        if os.path.isdir(real) and real not in out:
            out.append(real)
    return out


def _version_key(path: str) -> tuple:
    name = os.path.basename(os.path.dirname(path))  # python3.11
    digits = "".join(c if c.isdigit() else " " for c in name).split()
    return tuple(int(x) for x in digits)


def _with_pth_dirs(sites: list) -> tuple:
    """The site-packages directories, then the directories their ``.pth`` files name (lines that
    are paths; ``import`` lines are code and are never run)."""
    out = list(sites)
    for site in sites:
        try:
            names = sorted(n for n in os.listdir(site) if n.endswith(".pth"))
            finders = sorted(n for n in os.listdir(site) if n.startswith("__editable__") and n.endswith("_finder.py"))
        except OSError:
            continue
        for name in finders:
            for d in _editable_mapping_dirs(os.path.join(site, name)):
                if d not in out:
                    out.append(d)
        for name in names:
            try:
                with open(os.path.join(site, name), encoding="utf-8", errors="replace") as fh:
                    lines = fh.read().splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.strip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue
                d = os.path.realpath(os.path.join(site, line))
                if os.path.isdir(d) and d not in out:
                    out.append(d)
    return tuple(out)


def editable_mapping(path: str) -> dict:
    """``MAPPING = {"pkg": "/src/pkg"}`` of a setuptools editable finder, read as a literal from
    its source: the finder itself is never run."""
    import ast

    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            tree = ast.parse(fh.read())
    except (OSError, SyntaxError, ValueError):
        return {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "MAPPING" for t in node.targets):
            try:
                mapping = ast.literal_eval(node.value)
            except ValueError:
                return {}
            if isinstance(mapping, dict):
                return {k: v for k, v in mapping.items() if isinstance(k, str) and isinstance(v, str)}
    return {}


def _editable_mapping_dirs(path: str) -> list:
    """The directories holding the packages an editable finder maps."""
    out = []
    for target in editable_mapping(path).values():
        d = os.path.realpath(os.path.dirname(target))
        if os.path.isdir(d) and d not in out:
            out.append(d)
    return out
