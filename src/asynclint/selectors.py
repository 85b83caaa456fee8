"""Rule selectors: the codes and prefixes ``--select``, ``--ignore``, ``per-file-ignores`` & co take.

A selector is a rule code (``ASL101``) or a prefix of at least one
(``ASL``, ``ASL1``, ``ASL10``); ``ALL`` stands for every rule, as in ruff.
Anything else is a mistake, and a mistake here is silent (a typo in
``select`` checks nothing and prints "All clear"), so every front end
validates its selectors with ``check`` and stops with a message naming the
selector and the closest valid code.
"""

from __future__ import annotations

from typing import Iterable, Optional

from .categories import ALL_CODES

# ASL000: a file the flake8 plugin could not check (the CLI lists those as errors)
CODES = tuple(sorted(ALL_CODES + ("ASL000",)))
PREFIXES = frozenset(code[:i] for code in CODES for i in range(1, len(code) + 1))
ALL = "ALL"


class SelectorError(ValueError):
    """An unknown selector; the message names it and the closest valid code."""


def normalise(selector: str) -> str:
    """``asl1`` -> ``ASL1``; ``ALL`` -> ``ASL`` (every rule)."""
    s = selector.strip().upper()
    return "ASL" if s == ALL else s


def is_valid(selector: str) -> bool:
    return normalise(selector) in PREFIXES


def closest(selector: str) -> str:
    """The valid code most like ``selector`` (there always is one)."""
    s = normalise(selector)

    def shared(code: str) -> int:
        n = 0
        while n < min(len(code), len(s)) and code[n] == s[n]:
            n += 1
        return n

    # fewest edits (ASL1O1 -> ASL101), then the longest common start (ASL22 -> ASL2xx)
    # ASL000 (a file the flake8 plugin could not check) only when it is what was nearly written
    return min(CODES, key=lambda code: (_edits(s, code) + (code == "ASL000"), -shared(code), code))


def _edits(a: str, b: str) -> int:
    """Levenshtein distance."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def problem(selector: str, where: str) -> Optional[str]:
    """None for a valid selector; else the message for it."""
    if is_valid(selector):
        return None
    shown = selector.strip() or repr(selector)
    return (f"unknown rule selector {shown!r} in {where} (did you mean {closest(selector)}?); "
            "`asynclint rules` lists the codes")


def check(selectors: Iterable[str], where: str) -> list:
    """The selectors, normalised; ``SelectorError`` for the first unknown one."""
    out = []
    for s in selectors:
        message = problem(s, where)
        if message is not None:
            raise SelectorError(message)
        out.append(normalise(s))
    return out
