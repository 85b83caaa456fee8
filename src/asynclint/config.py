"""``[tool.asynclint]`` in pyproject.toml, validated; command-line options win."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from .categories import BY_NAME, CATEGORIES, canonical, default_categories, default_on
from .discover import check_patterns
from .fsio import read_regular
from .selectors import SelectorError, check as check_selectors

_MAX_PYPROJECT = 16 << 20


class ConfigError(Exception):
    pass


_SELECTOR_KEYS = ("select", "ignore", "extend-select", "extend-ignore")
_LIST_KEYS = _SELECTOR_KEYS + ("exclude", "extend-exclude", "library-exclude")
_KNOWN = set(_LIST_KEYS) | {"extend-blocking", "extend-offload", "show-chain", "max-file-size", "python",
                            "per-file-ignores", "check-tests"}
_BLOCKING_KEYS = {"message", "replacement", "category"}
# the rules whose findings are blocking calls of every category (see analyzed_categories)
_ANY_CATEGORY = ("ASL301", "ASL401", "ASL402")


@dataclass
class Config:
    path: Optional[str] = None
    select: list = field(default_factory=list)
    ignore: list = field(default_factory=list)
    extend_select: list = field(default_factory=list)
    exclude: list = field(default_factory=list)
    extend_exclude: list = field(default_factory=list)
    extend_blocking: dict = field(default_factory=dict)
    extend_offload: list = field(default_factory=list)
    show_chain: bool = False
    max_file_size: int = 2_000_000
    python: Optional[str] = None  # the project's environment (see environment.py); "none": do not look
    library_exclude: list = field(default_factory=list)  # library modules never read (names or patterns)
    check_tests: bool = False  # report findings in test modules too (tests/, test_*.py, conftest.py)
    # gitignore-style pattern (relative to the configuration's directory, else the project root) -> selectors
    per_file_ignores: dict = field(default_factory=dict)

    def is_selected(self, code: str) -> bool:
        def matches(prefixes):
            return any(code.startswith(p) for p in prefixes)

        if self.select:
            chosen = matches(self.select) or matches(self.extend_select)
        else:
            chosen = default_on(code) or matches(self.extend_select)
        if not chosen:
            return False
        if matches(self.ignore):
            # a more specific select wins over a broader ignore, as in ruff
            longest_sel = max((len(p) for p in self.select + self.extend_select if code.startswith(p)), default=0)
            longest_ign = max(len(p) for p in self.ignore if code.startswith(p))
            return longest_sel > longest_ign
        return True

    def is_accepted(self, code: str) -> bool:
        """Has the configuration said this kind of blocking is fine (an ``ignore`` matching it, as
        ``ignore = ["ASL105", "ASL205"]`` for cheap file-system calls)? Rules that count blocking
        calls (ASL301) leave those out; merely unselected codes still count."""
        return any(code.startswith(p) for p in self.ignore) and not self.is_selected(code) and default_on(code)
    def per_file_ignored(self, path: str, code: str, base: Optional[str]) -> bool:
        """Does ``per-file-ignores`` drop ``code`` in the file at ``path`` (absolute; ``base``: the
        directory patterns are relative to when the configuration has no file)?"""
        if not self.per_file_ignores:
            return False
        base = os.path.dirname(self.path) if self.path else base
        if base is None:
            return False
        rel = os.path.relpath(path, base).replace(os.sep, "/") if os.path.isabs(path) else path.replace(os.sep, "/")
        if rel.startswith("../"):
            return False
        from .discover import pattern_spec

        for pattern, codes in self.per_file_ignores.items():
            if any(code.startswith(c) for c in codes) and pattern_spec([pattern]).match_file(rel):
                return True
        return False

    def analyzed_categories(self) -> set:
        """The categories analysis must look for: the selected ones, and every default one when a
        rule made of blocking calls of any kind is selected: ASL301 counts them, ASL401 reports their
        initializer, ASL402 is any of them made while the app starts or stops (``--select ASL402``
        alone must still find the blocking calls it re-labels)."""
        out = self.enabled_categories()
        if any(self.is_selected(code) for code in _ANY_CATEGORY):
            out |= default_categories()
        return out

    def enabled_categories(self) -> set:
        out = set()
        for cat in CATEGORIES:
            if self.is_selected(cat.code(False)) or self.is_selected(cat.code(True)):
                out.add(cat.name)
        return out


def _read_toml(path: str) -> dict:
    """The TOML document at ``path``; ``ConfigError`` naming the file for anything wrong with it."""
    try:
        data = read_regular(path, _MAX_PYPROJECT)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except (RecursionError, MemoryError):
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None


def find_pyproject(start: str) -> Optional[str]:
    """The nearest pyproject.toml with a [tool.asynclint] table, at or above ``start``; one that
    cannot be read or is not valid TOML counts (loading it then says what is wrong)."""
    d = os.path.abspath(start)
    if not os.path.isdir(d):
        d = os.path.dirname(d)
    while True:
        cand = os.path.join(d, "pyproject.toml")
        if os.path.isfile(cand):
            try:
                data = _read_toml(cand)
            except ConfigError:
                return cand
            tool = data.get("tool", {})
            if not isinstance(tool, dict) or "asynclint" in tool:
                return cand
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def load_config(path: Optional[str]) -> Config:
    if path is None:
        return Config()
    data = _read_toml(path)
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table ([tool.asynclint] goes in it)")
    table = tool.get("asynclint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: 'tool.asynclint' must be a table ([tool.asynclint])")
    return config_from_dict(table, path)


def config_from_dict(table: dict, path: Optional[str] = None) -> Config:
    where = path or "configuration"
    cfg = Config(path=path)
    for key, value in table.items():
        if key not in _KNOWN:
            hint = ""
            alt = key.replace("_", "-")
            if alt in _KNOWN:
                hint = f" (did you mean '{alt}'?)"
            raise ConfigError(f"{where}: unknown key 'tool.asynclint.{key}'{hint}")
        if key in _LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: 'tool.asynclint.{key}' must be a list of strings")
            if key in ("exclude", "extend-exclude"):
                bad = check_patterns(value)
                if bad is not None:
                    raise ConfigError(f"{where}: 'tool.asynclint.{key}' has an invalid pattern {bad!r}")
            if key in _SELECTOR_KEYS:
                try:
                    value = check_selectors(value, f"'tool.asynclint.{key}'")
                except SelectorError as exc:
                    raise ConfigError(f"{where}: {exc}") from None
            if key == "extend-ignore":
                cfg.ignore = cfg.ignore + [v.strip() for v in value]
                continue
            setattr(cfg, key.replace("-", "_"), [v.strip() for v in value])
        elif key == "per-file-ignores":
            cfg.per_file_ignores = _per_file_ignores(value, where)
        elif key == "extend-blocking":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: 'tool.asynclint.extend-blocking' must be a table of qualified names")
            for name, spec in value.items():
                if isinstance(spec, str):
                    spec = {"replacement": spec}
                if not isinstance(spec, dict):
                    raise ConfigError(f"{where}: 'tool.asynclint.extend-blocking.\"{name}\"' must be a table")
                for k, v in spec.items():
                    if k not in _BLOCKING_KEYS:
                        raise ConfigError(f"{where}: unknown key 'tool.asynclint.extend-blocking.\"{name}\".{k}'")
                    if not isinstance(v, str):
                        raise ConfigError(f"{where}: 'tool.asynclint.extend-blocking.\"{name}\".{k}' must be a string")
                if "category" in spec and canonical(spec["category"]) not in BY_NAME:
                    raise ConfigError(
                        f"{where}: 'tool.asynclint.extend-blocking.\"{name}\".category' must be one of "
                        + ", ".join(BY_NAME)
                    )
                cfg.extend_blocking[name] = spec
        elif key == "extend-offload":
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                cfg.extend_offload = list(value)
            elif isinstance(value, dict) and all(_is_int(v) and v >= 0 for v in value.values()):
                cfg.extend_offload = dict(value)
            else:
                raise ConfigError(f"{where}: 'tool.asynclint.extend-offload' must be a list of qualified names "
                                  "(or a table of names and argument positions, 0 or more)")
        elif key == "check-tests":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: 'tool.asynclint.check-tests' must be true or false")
            cfg.check_tests = value
        elif key == "show-chain":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: 'tool.asynclint.show-chain' must be true or false")
            cfg.show_chain = value
        elif key == "python":
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{where}: 'tool.asynclint.python' must be a path to a virtual environment "
                                  "or its interpreter, or \"none\"")
            cfg.python = value.strip()
        elif key == "max-file-size":
            if not _is_int(value) or value <= 0:
                raise ConfigError(f"{where}: 'tool.asynclint.max-file-size' must be a positive integer (bytes)")
            cfg.max_file_size = value
    return cfg


def _per_file_ignores(value, where: str) -> dict:
    """``{"tests/*" = ["ASL1"], "scripts/" = ["ASL"]}``, checked."""
    key = "'tool.asynclint.per-file-ignores'"
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {key} must be a table of patterns, each with a list of codes "
                          '(e.g. "tests/*" = ["ASL1"])')
    out = {}
    for pattern, codes in value.items():
        name = f"'tool.asynclint.per-file-ignores.\"{pattern}\"'"
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"{where}: {name} must be a list of codes or prefixes")
        if check_patterns([pattern]) is not None or not pattern.strip():
            raise ConfigError(f"{where}: {key} has an invalid pattern {pattern!r}")
        try:
            out[pattern] = check_selectors(codes, name)
        except SelectorError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    return out


def _is_int(value) -> bool:
    """An integer, and not a boolean (TOML's ``true`` is not 1 byte)."""
    return isinstance(value, int) and not isinstance(value, bool)
