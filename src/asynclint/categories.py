"""The categories of blocking calls: the one table every stage reads.

A category is a kind of blocking call (HTTP, sleep, file I/O, ...). Its number
is the last two digits of its two rule codes: ``ASL1nn`` when the call is
written in the coroutine itself, ``ASL2nn`` when the coroutine reaches it
through the project's own sync code. ``ASL3nn`` codes are framework findings,
which have no category (``FRAMEWORK_CODES``). ``ASL4nn`` are blocking that runs once per
process (``INITIALIZATION_CODES``): ``ASL401`` one-time initialization, reported once at the
initializer; ``ASL402`` blocking in code that runs only while the app starts or stops (off by
default; such a finding keeps the category of its blocking call).

The catalog files and ``extend-blocking`` name categories; analysis turns a
category into a code and a message label; the configuration decides which are
on by default; ``--fix`` and ``asynclint rule`` read the fix each code offers;
SARIF and the rule pages read the same rows.

Fix kinds: ``"safe"`` keeps the behaviour (``time.sleep`` -> ``await
asyncio.sleep``), ``"unsafe"`` moves work to a thread or another library and
needs ``--unsafe-fixes`` and a review, ``None`` means no mechanical fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Category:
    name: str  # as written in the catalog: "http", "light", ...
    number: int  # ASL1nn / ASL2nn
    label: str  # in messages: "blocking HTTP call requests.get() ..."
    # when a helper blocks several ways, the costliest kind of wait explains it: lowest tier first
    tier: int
    default_on: bool = True
    direct_fix: Optional[str] = "unsafe"  # of ASL1nn
    transitive_fix: Optional[str] = "unsafe"  # of ASL2nn: always a thread offload of the project call
    # when the safe direct fix is a rewrite of particular APIs (time.sleep -> await asyncio.sleep): those
    # APIs; any other API of the category (pyautogui.sleep, a configured one) is offloaded: unsafe
    safe_apis: tuple = ()

    def code(self, transitive: bool) -> str:
        return f"ASL{2 if transitive else 1}{self.number:02d}"

    def fix(self, transitive: bool, api: Optional[str] = None) -> Optional[str]:
        """The fix of this category's code; with the ``api`` of a direct finding, the fix that call gets."""
        if transitive:
            return self.transitive_fix
        if self.direct_fix == "safe" and self.safe_apis and api is not None and api not in self.safe_apis:
            return "unsafe"
        return self.direct_fix


CATEGORIES = (
    Category("http", 1, "HTTP call", tier=0),
    Category("sleep", 2, "sleep", tier=5, direct_fix="safe", safe_apis=("time.sleep",)),
    Category("subprocess", 3, "subprocess call", tier=3),
    Category("file", 4, "file I/O", tier=10),
    # one cheap file-system call (a stat, exists, resolve, mkdir, unlink, ...), whatever the API:
    # one family, so a team that accepts them silences them with one --ignore ASL105,ASL205
    Category("light", 5, "cheap file-system call", tier=11),
    Category("database", 6, "database call", tier=2),
    Category("network", 7, "network client call", tier=1),
    Category("wait", 8, "wait on a lock, queue or future", tier=4),
    Category("console", 9, "console input", tier=7),
    Category("loop", 10, "nested event loop run", tier=6, direct_fix=None),  # needs a redesign
    Category("configured", 11, "call (configured as blocking)", tier=8, direct_fix=None),  # unknown API
    Category("cpu", 12, "CPU-bound call", tier=9, default_on=False),
)

BY_NAME = {c.name: c for c in CATEGORIES}
# names an earlier version used, still accepted in catalog files and configuration
ALIASES = {"os-path": "light"}
DEFAULT = BY_NAME["configured"]  # what an entry without a category is

# the hundreds digit of a code
FAMILIES = {
    "1": "blocking call in async code",
    "2": "call into project code that blocks",
    "3": "framework-level finding",
    "4": "blocking that runs once per process (initialization, startup)",
}


@dataclass(frozen=True)
class FrameworkCode:
    code: str
    fix: Optional[str]
    default_on: bool = True


FRAMEWORK_CODES = {
    # an async def route or dependency that never awaits: make it a plain def
    "ASL301": FrameworkCode("ASL301", fix="safe"),
}
# codes with no category of their own that are not about a framework either
INITIALIZATION_CODES = {
    # one-time initialization (a lazily built client, a memoized loader) reached from coroutines: reported
    # once at the initializer, whatever kind of blocking it does
    "ASL401": FrameworkCode("ASL401", fix=None),
    # blocking in the lifespan, startup and shutdown handlers and what only they await: nothing is served
    # then, so it delays the start, not a request (off by default)
    "ASL402": FrameworkCode("ASL402", fix=None, default_on=False),
}
_UNCATEGORISED = {**FRAMEWORK_CODES, **INITIALIZATION_CODES}

ALL_CODES = tuple(c.code(t) for t in (False, True) for c in CATEGORIES) + tuple(_UNCATEGORISED)


def canonical(name: str) -> str:
    return ALIASES.get(name, name)


def category(name: Optional[str]) -> Category:
    """The category of that name; an unknown or missing name is ``configured``."""
    return BY_NAME.get(canonical(name or ""), DEFAULT)


def code_for(name: str, transitive: bool) -> str:
    return category(name).code(transitive)


def label_for(name: Optional[str], default: str = "call") -> str:
    found = BY_NAME.get(name or "")
    return found.label if found is not None else default


def tier_of(name: Optional[str]) -> int:
    found = BY_NAME.get(name or "")
    return found.tier if found is not None else len(CATEGORIES)


def of_code(code: str) -> Optional[Category]:
    """``ASL104`` / ``ASL204`` -> the ``file`` category; None for other codes."""
    if len(code) == 6 and code.startswith("ASL") and code[3] in "12" and code[4:].isdigit():
        n = int(code[4:])
        for c in CATEGORIES:
            if c.number == n:
                return c
    return None


def is_direct(code: str) -> bool:
    """An ASL1xx code: the blocking call is written in the coroutine."""
    return code.startswith("ASL1")


def is_transitive(code: str) -> bool:
    """An ASL2xx code: the coroutine reaches the blocking call through project code."""
    return code.startswith("ASL2")


def fix_kind_for_code(code: str, api: Optional[str] = None) -> Optional[str]:
    """The fix a code offers: "safe", "unsafe" or None; with ``api``, for a finding on that call."""
    found = of_code(code)
    if found is not None:
        return found.fix(is_transitive(code), api)
    other = _UNCATEGORISED.get(code)
    return other.fix if other is not None else None


def default_on(code: str) -> bool:
    """Is the code selected when the configuration selects nothing?"""
    found = of_code(code)
    if found is not None:
        return found.default_on
    other = _UNCATEGORISED.get(code)
    return other.default_on if other is not None else True


def default_categories() -> set:
    return {c.name for c in CATEGORIES if c.default_on}
