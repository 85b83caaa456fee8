"""What a rule is: four sections of documentation and the cases that prove them.

A rule file (``rules/ASL101-blocking-http-call.toml``) holds the rule's
*summary*, *what* it does and *why* that is bad (Markdown prose), an optional
*fix_note*, and its cases: ``[[invalid]]`` modules that must produce the
rule's code, ``[[valid]]`` modules that must not. Each case marks the
findings it produces on their lines (``requests.get(url)  # ASL101``, as the
fixtures do); an invalid case of a rule with a fix gives the text ``--fix``
makes of it (``fixed``), and one without ``fixed`` is one the fix leaves
alone. The first invalid case is the rule's *Example*, the first valid case
its *Use instead*.

The category, the fix kind and whether the rule is on by default come from
the category table (``categories.py``), never from the rule file.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Optional

from .. import categories

MARKER = re.compile(r"\s*#\s*((?:ASL\d{3}[\s,]*)+)$")
_LINES = re.compile(r"\r\n|\r|\n")
_NOQA_BEFORE = re.compile(r"noqa:?\s*$", re.IGNORECASE)

# every ASL2xx rule explains chains the same way
CHAIN_WHAT = (
    "The message names the chain of calls from the coroutine down to the blocking library "
    "call, e.g. `route -> services.fetch -> requests.get`. The finding sits on the line in the "
    "`async def` where the chain starts; the sync helper itself is not reported. With the "
    "project's environment at hand (`--python`, `VIRTUAL_ENV`, `.venv`), the chain may go on "
    "into the source of installed libraries: such a finding says `inferred from library source` "
    "and shows the library hops as `site-packages/...:line`."
)
# every ASL1xx and ASL2xx rule applies to the loop's sync callbacks too (``analyze.callbacks``)
CALLBACK_WHAT = (
    "It is reported the same way in a plain `def` that the event loop runs as a callback (handed to "
    "`loop.call_soon`, `call_soon_threadsafe`, `call_later`, `call_at`, `add_reader`, `add_writer` or "
    "`add_signal_handler`; tornado's `spawn_callback`, `add_callback`, `add_timeout` and "
    "`PeriodicCallback(callback, ms)`; a bokeh document's `add_next_tick_callback`, "
    "`add_timeout_callback` and `add_periodic_callback`): the message says so and names the call "
    "that scheduled it, and no fix is "
    "offered, since no `await` can be written in it."
)
CHAIN_WHY = (
    "Moving a blocking call into a plain `def` helper does not make it asynchronous: the helper "
    "still runs on the event loop thread when a coroutine calls it, and every other request "
    "waits until it returns."
)
# what an unsafe fix does unless the rule says otherwise
TO_THREAD_NOTE = (
    "Wraps the call as `await asyncio.to_thread(fn, *args, **kwargs)`; unsafe because the "
    "function then runs in another thread, which matters if it touches state shared with the loop."
)


def markers(text: str) -> set:
    """{(line, code)} from trailing ``# ASL101`` comments (not ``# noqa: ASL101``)."""
    out = set()
    for lineno, line in enumerate(_LINES.split(text), 1):
        m = MARKER.search(line.rstrip())
        if m and not _NOQA_BEFORE.search(line[: m.start()].rstrip()):
            out |= {(lineno, code) for code in re.findall(r"ASL\d{3}", m.group(1))}
    return out


def without_markers(text: str) -> str:
    return "\n".join(MARKER.sub("", line) for line in _LINES.split(text))


@dataclass(frozen=True)
class Case:
    source: str  # a complete module, findings marked on their lines
    fixed: Optional[str] = None  # what the rule's fix makes of it (invalid cases)

    @property
    def code(self) -> str:
        """The module without its markers: what is checked, fixed and shown."""
        return without_markers(self.source)

    @property
    def expected(self) -> set:
        return markers(self.source)


@dataclass(frozen=True)
class Rule:
    code: str  # "ASL101"
    name: str  # kebab-case, "blocking-http-call"
    summary: str  # one line
    what: str  # Markdown paragraphs
    why: str
    fix_note: str  # what the fix does; "" when there is none
    invalid: tuple  # Case, the first is the Example
    valid: tuple  # Case, the first is the Use instead
    config: Optional[dict] = None  # a [tool.asynclint] table the cases are checked with

    @property
    def category(self) -> Optional[str]:
        found = categories.of_code(self.code)
        return found.name if found is not None else None

    @property
    def fix(self) -> Optional[str]:
        return categories.fix_kind_for_code(self.code)

    @property
    def default_enabled(self) -> bool:
        return categories.default_on(self.code)

    @property
    def example(self) -> str:
        return self.invalid[0].code

    @property
    def use_instead(self) -> str:
        return self.valid[0].code


def prose(text: str) -> str:
    """Paragraphs separated by blank lines, each paragraph's lines joined (fenced blocks kept)."""
    paragraphs = textwrap.dedent(text).strip().split("\n\n")
    return "\n\n".join(
        p if p.startswith("```") else " ".join(line.strip() for line in p.splitlines()) for p in paragraphs
    )


def make_rule(code: str, name: str, data: dict) -> Rule:
    what, why = prose(data["what"]), prose(data["why"])
    if categories.is_transitive(code):
        what = f"{what}\n\n{CHAIN_WHAT}"
        why = f"{CHAIN_WHY} {why}"
    if categories.is_direct(code) or categories.is_transitive(code):
        what = f"{what}\n\n{CALLBACK_WHAT}"
    note = prose(data.get("fix_note", ""))
    if not note and categories.fix_kind_for_code(code) == "unsafe":
        note = TO_THREAD_NOTE
    return Rule(
        code=code,
        name=name,
        summary=data["summary"],
        what=what,
        why=why,
        fix_note=note,
        invalid=tuple(Case(c["source"], c.get("fixed")) for c in data["invalid"]),
        valid=tuple(Case(c["source"]) for c in data["valid"]),
        config=data.get("config"),
    )
