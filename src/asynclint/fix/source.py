"""Fixing one module's text: ``fix_source(text, diagnostics)`` -> the new text and its edits.

This is what ``--fix`` runs for each file, and what a language server's code
action needs: source text and findings in, edits out, nothing read or written.

Only part of the file is parsed with LibCST: the functions that hold a
finding to fix, the top-level statements holding imports (a rewrite may use
or add one) and the start of the file (where new imports go). Each is a
*chunk*, parsed as a module of its own whose lines are the file's shifted by
the lines before it (a method or nested function is parsed under an ``if
True:`` line, which is dropped again). Where the statements and functions are
comes from Python's ``ast`` (``layout``), several times faster than LibCST;
so a fix costs what the functions it touches cost, not what the file costs.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Optional

import libcst as cst

from .imports import Imports
from .kinds import applies
from .layout import Layout, read_layout
from .planner import FilePlan, Planner
from .prune import names_made_unused, prune_chunk
from .rewrites import ANYIO_REWRITES, CALL_REWRITES, FUNCTION_REWRITES
from .transform import FixTransformer
from .wrap import file_line_length, wrap_long_calls

_ANYIO = tuple(rw for rw in CALL_REWRITES if isinstance(rw, ANYIO_REWRITES))
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


class FixError(Exception):
    """The file cannot be fixed: it does not parse, or a rewrite would not compile."""


@dataclass
class Edit:
    """Replace lines ``start_line`` to ``end_line`` (1-based, inclusive, with their line endings) by ``text``."""

    start_line: int
    end_line: int
    text: str


@dataclass
class FixOutcome:
    text: str  # the new text (the old one when nothing was fixed)
    fixed: list  # the diagnostics fixed
    skipped: list  # (diagnostic, reason) for fixes that could not be applied
    edits: list  # Edit, in order, not overlapping


@dataclass
class _Chunk:
    start: int  # first line of the file it holds
    end: int  # last line
    text: str  # those lines
    module: cst.Module  # parsed from ``wrapper + text``
    wrapper: str = ""  # a line put above an indented function so that it parses as a module
    has_imports: bool = False  # top-level statements holding an import

    @property
    def line_offset(self) -> int:
        """The file's line number of the module's line 1, minus one."""
        return self.start - 1 - (1 if self.wrapper else 0)


def fix_source(text: str, diagnostics: list, unsafe: bool = False, line_length: Optional[int] = None) -> FixOutcome:
    """Rewrite one module's text for its findings (only those whose fix ``unsafe`` allows).

    ``line_length``: the project's limit (default: the one the file keeps to); a call a rewrite makes
    longer is split over lines. Raises FixError when the text does not parse or a rewrite would not
    compile."""
    wanted = [d for d in diagnostics if applies(d, unsafe)]
    if not wanted:
        return FixOutcome(text, [], [], [])
    lines = _LINE.findall(text)
    try:
        layout = read_layout(text, lines)
    except Exception as exc:  # SyntaxError, or the summarizer's ParseFailure for newer syntax
        raise FixError(f"does not parse, left alone: {exc}") from None
    chunks = _parse(lines, _spans(layout, wanted), text)
    imports = Imports([stmt for c in chunks for stmt in c.module.body], layout.bound)
    plain = [line.rstrip("\r\n") for line in lines]
    style = file_style(imports, wanted)
    planned, fixed, skipped = [], [], []
    by_line = sorted(diagnostics, key=lambda d: d.line)
    lines_of = [d.line for d in by_line]
    for c in chunks:
        diags = by_line[bisect.bisect_left(lines_of, c.start):bisect.bisect_right(lines_of, c.end)]
        if diags:
            planner = Planner(c.module, c.line_offset, plain, diags, unsafe, imports, style)
            plan, parents = planner.run(), planner.parents
        else:
            plan, parents = FilePlan(), {}
        planned.append((plan, parents))
        fixed += plan.fixed
        skipped += plan.skipped
    if not fixed:
        return FixOutcome(text, [], skipped, [])
    codes = []
    limit = None
    for c, (plan, parents) in zip(chunks, planned):
        transformer = FixTransformer(plan, imports, c.module, parents)
        new = c.module.visit(transformer) if transformer.has_work else c.module
        if transformer.created:
            if limit is None:
                limit = line_length or file_line_length(text)
            new = wrap_long_calls(new, transformer.created, limit)
        if c.start == 1:
            new = imports.add_to(new)
        codes.append(new.code[len(c.wrapper):])
    edits = _edits(chunks, codes)
    # the imports the rewrites left unused go too
    drop = names_made_unused(text, apply_edits(lines, edits), None if layout.lowered else layout.tree)
    if drop:
        codes = _pruned(chunks, codes, drop)
        edits = _edits(chunks, codes)
    for c, code in zip(chunks, codes):
        if code != c.text:
            _check(c, code)
    return FixOutcome(apply_edits(lines, edits), fixed, skipped, edits)


def _pruned(chunks: list, codes: list, drop: dict) -> list:
    """The chunks' new code without the imports ``drop`` names ({line in the fixed text: names})."""
    out, shift = [], 0
    for c, code in zip(chunks, codes):
        start = c.start + shift  # where the chunk's code is in the fixed text
        n = len(_LINE.findall(code))
        lead = 1 if c.wrapper else 0
        mine = {line - start + 1 + lead: names for line, names in drop.items() if start <= line < start + n}
        if mine:
            code = prune_chunk(c.wrapper + code, mine, c.module.config_for_parsing)[len(c.wrapper):]
        out.append(code)
        shift += n - (c.end - c.start + 1)
    return out


def _edits(chunks: list, codes: list) -> list:
    return [Edit(c.start, c.end, code) for c, code in zip(chunks, codes) if code != c.text]


def file_style(imports: Imports, wanted: list) -> str:
    """How the file does its file-system calls once fixed: "anyio" when it uses anyio.Path already or a
    rewrite brings it in, else "thread" (offloaded). One style per file."""
    if imports.existing("anyio", "Path") or any(rw.matches(d) for d in wanted for rw in _ANYIO):
        return "anyio"
    return "thread"


def apply_edits(lines: list, edits: list) -> str:
    """The text of ``lines`` (line endings included) with the edits made."""
    out, pos = [], 0
    for e in edits:
        out.append("".join(lines[pos:e.start_line - 1]))
        out.append(e.text)
        pos = e.end_line
    out.append("".join(lines[pos:]))
    return "".join(out)


def _spans(layout: Layout, wanted: list) -> list:
    """[(first line, last line, indentation unit or None)] of the chunks to parse, in order.

    Top-level statements (indentation unit None): those holding an import, and the start of the
    file, where imports are added (docstring, ``__future__``, the import block, and, when there is
    no import block, the statement a new one goes above). Functions: the innermost one around each
    finding to fix, unless a chosen statement already holds it."""
    units = layout.units
    chosen = {i for i, u in enumerate(units) if u.imports}
    i, block = 0, False
    while i < len(units) and (i == 0 or units[i].imports):
        chosen.add(i)
        block = block or (units[i].imports and not units[i].future)
        i += 1
    if not block and i < len(units):
        chosen.add(i)
    functions = set()
    for d in wanted:
        at = layout.unit_at(d.line)
        if at < 0 or at in chosen:
            continue
        fn = layout.function_at(d.line, on_def_line=any(rw.matches(d) for rw in FUNCTION_REWRITES))
        if fn is None:
            chosen.add(at)
        else:
            functions.add((fn.start, fn.end, fn.indent_unit))
    spans = []
    for i in sorted(chosen):
        start = units[i - 1].end + 1 if i > 0 else 1
        if spans and spans[-1][3] == i - 1:
            spans[-1] = (spans[-1][0], units[i].end, None, i)
        else:
            spans.append((start, units[i].end, None, i))
    out = [(a, b, None) for a, b, _, _ in spans]
    last_end = 0
    for fn in sorted(functions):  # outer functions first; one inside another or in a chosen statement goes with it
        if fn[0] > last_end and layout.unit_at(fn[0]) not in chosen:
            out.append(fn)
            last_end = fn[1]
    return sorted(out)


def _parse(lines: list, spans: list, text: str) -> list:
    newline = _first_newline(text) or "\n"
    try:
        return [_chunk(lines, a, b, unit, newline) for a, b, unit in spans]
    except Exception:  # a part that parses only in its context (odd indentation): parse the whole file
        pass
    try:
        return [_chunk(lines, 1, len(lines), None, newline)]
    except cst.ParserSyntaxError as exc:
        raise FixError(f"does not parse, left alone: {exc.message}") from None


def _chunk(lines: list, start: int, end: int, indent_unit, newline: str) -> _Chunk:
    text = "".join(lines[start - 1:end])
    wrapper = "if True:" + newline if text[:1] in (" ", "\t") else ""
    config = cst.PartialParserConfig(default_newline=newline, **({"default_indent": indent_unit} if indent_unit else {}))
    module = cst.parse_module(wrapper + text, config=config)
    has_imports = not wrapper and any(
        isinstance(st, cst.SimpleStatementLine) and any(isinstance(x, (cst.Import, cst.ImportFrom)) for x in st.body)
        for st in module.body)
    return _Chunk(start, end, text, module, wrapper, has_imports)


def _first_newline(text: str) -> Optional[str]:
    m = re.search(r"\r\n|\r|\n", text)
    return m.group(0) if m else None


def _check(chunk: _Chunk, new: str) -> None:
    """The rewritten chunk compiles (or, when the original does not compile alone: syntax newer than
    this interpreter, a ``nonlocal`` of an enclosing function, it parses)."""
    if _compile_problem(chunk.wrapper + chunk.text) is None:
        problem = _compile_problem(chunk.wrapper + new)
    else:
        problem = _parse_problem(chunk.wrapper + new)
    if problem is not None:
        message, line = problem
        where = f" (line {line + chunk.line_offset})" if line else ""
        raise FixError(f"the rewrite would not compile ({message}{where}); file left unchanged")


def _compile_problem(text: str):
    try:
        compile(text, "<fix>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.msg, exc.lineno
    except (ValueError, RecursionError) as exc:
        return str(exc), None
    return None


def _parse_problem(text: str):
    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        return exc.message, exc.raw_line
    return None
