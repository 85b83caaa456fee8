"""The rules: one data file each (``ASL101-blocking-http-call.toml``), loaded here.

``RULES`` maps each code to its ``Rule`` (``rule.py``); ``render.py`` turns
one into what ``asynclint rule CODE`` prints. A rule file with a key this
loader does not know, or without a section it needs, is an error naming the
file and the key.
"""

from __future__ import annotations

import os

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from .. import categories
from .render import render_markdown, render_text
from .rule import Case, Rule, make_rule

RULES_DIR = os.path.dirname(os.path.abspath(__file__))

_KEYS = {"summary": str, "what": str, "why": str, "fix_note": str, "invalid": list, "valid": list, "config": dict}
_REQUIRED = ("summary", "what", "why", "invalid", "valid")
_CASE_KEYS = {"source": str, "fixed": str}


class RuleFileError(Exception):
    pass


def load_rules(directory: str = RULES_DIR) -> dict:
    """{code: Rule}, in code order."""
    out = {}
    for entry in sorted(os.listdir(directory)):
        if entry.endswith(".toml"):
            rule = _load(os.path.join(directory, entry))
            out[rule.code] = rule
    return out


def _load(path: str) -> Rule:
    code, _, name = os.path.basename(path)[: -len(".toml")].partition("-")
    if code not in categories.ALL_CODES or not name:
        raise RuleFileError(f"{path}: the file name must be CODE-name.toml with a known code")
    with open(path, "rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise RuleFileError(f"{path}: {exc}") from None
    _check_table(path, "", data, _KEYS)
    for key in _REQUIRED:
        if key not in data:
            raise RuleFileError(f"{path}: missing key '{key}'")
    for kind in ("invalid", "valid"):
        for i, case in enumerate(data[kind]):
            where = f"{kind}[{i}]."
            if not isinstance(case, dict) or "source" not in case:
                raise RuleFileError(f"{path}: '{kind}[{i}]' needs a 'source'")
            _check_table(path, where, case, _CASE_KEYS if kind == "invalid" else {"source": str})
    return make_rule(code, name, data)


def _check_table(path: str, where: str, table: dict, known: dict) -> None:
    for key, value in table.items():
        if key not in known:
            raise RuleFileError(f"{path}: unknown key '{where}{key}'")
        if not isinstance(value, known[key]):
            raise RuleFileError(f"{path}: '{where}{key}' must be a {known[key].__name__}")


RULES = load_rules()

_BY_CATEGORY = {(r.category, categories.is_transitive(r.code)): r for r in RULES.values() if r.category}


def get_rule(code: str):
    """The rule with this code (case-insensitive), or None."""
    return RULES.get(code.strip().upper())


def rule_for_category(category: str, transitive: bool) -> Rule:
    """The ASL1xx (direct) or ASL2xx (transitive) rule of a category (``configured`` when unknown)."""
    return _BY_CATEGORY[(categories.category(category).name, bool(transitive))]


__all__ = ["RULES", "Case", "Rule", "RuleFileError", "get_rule", "load_rules", "render_markdown", "render_text",
           "rule_for_category"]
