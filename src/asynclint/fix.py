"""``asynclint --fix`` / ``--diff``: rewrite blocking code into its async form.

``apply_fixes(result, unsafe=..., diff_only=...)`` takes the findings of a
run, rewrites the files that have fixable findings (LibCST transforms from
``fix_transforms``, applied only at the findings' positions) and writes them
back atomically, keeping their encoding, BOM and line endings. A file whose
rewrite does not compile is left alone and reported; a failure in one file
never stops the others.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from typing import Optional

import libcst as cst
from libcst.metadata import MetadataWrapper

from .deep import run_deep
from .fix_transforms import FixTransformer, Imports, Planner, finish_plan
from .fsio import WriteRefused, decode_source, keep_final_newline, read_regular, source_encoding, write_atomic
from .model import INTERNAL_ERROR


@dataclass
class FileFix:
    path: str  # absolute
    display: str
    fixed: list = field(default_factory=list)  # diagnostics fixed in this file
    skipped: list = field(default_factory=list)  # (diagnostic, reason)
    changed: bool = False
    error: Optional[str] = None


@dataclass
class FixResult:
    files: list = field(default_factory=list)  # list[FileFix]
    diff_text: str = ""
    diff_only: bool = False
    unsafe: bool = False
    total: int = 0  # findings before fixing
    unsafe_available: int = 0  # findings with an unsafe fix not applied (no --unsafe-fixes)

    @property
    def changed_files(self) -> list:
        return [f.display for f in self.files if f.changed]

    @property
    def fixed(self) -> list:
        return [d for f in self.files if f.changed for d in f.fixed]

    @property
    def errors(self) -> list:
        return [(f.display, f.error) for f in self.files if f.error]

    def summary(self, remaining: Optional[int] = None) -> str:
        n = len(self.fixed)
        files = len(self.changed_files)
        verb = "Would fix" if self.diff_only else "Fixed"
        text = f"{verb} {n} finding{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}"
        if remaining is None:
            remaining = max(self.total - n, 0)
        text += f"; {remaining} remain{'s' if remaining == 1 else ''}"
        if self.unsafe_available and not self.unsafe:
            text += f" ({self.unsafe_available} fixable with --unsafe-fixes)"
        text += "."
        lines = [text]
        for display, error in self.errors:
            lines.append(f"asynclint: not fixed: {display}: {error}")
        return "\n".join(lines)


def _read(path: str):
    data = read_regular(path)  # never a FIFO or a device, even one swapped in since the check
    return data, source_encoding(data), decode_source(data)


def fix_source(text: str, diagnostics: list, unsafe: bool):
    """Rewrite one module's text for its findings: (new text, fixed diagnostics, skipped)."""
    module = cst.parse_module(text)
    wrapper = MetadataWrapper(module)
    module = wrapper.module
    imports = Imports(module)
    planner = Planner(module, wrapper, diagnostics, unsafe, imports)
    plan = planner.run()
    finish_plan(plan, imports, planner)
    if not plan.fixed:
        return text, [], plan.skipped
    new = module.visit(FixTransformer(plan, imports, module))
    if imports.add_modules:
        new = imports.add_to(new)
    return new.code, plan.fixed, plan.skipped


def _compiles(text: str, path: str) -> Optional[str]:
    try:
        compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"{exc.msg} (line {exc.lineno})"
    except (ValueError, RecursionError) as exc:
        return str(exc)
    return None


def _libcst_parses(text: str) -> Optional[str]:
    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        return f"{exc.message} (line {exc.raw_line})"
    return None


def _file_paths(result) -> dict:
    """display path -> absolute path, from the project the findings came from."""
    out = {}
    project = getattr(result, "project", None)
    if project is not None:
        for info in project.unique_modules():
            out[info.display] = info.path
    return out


def apply_fixes(result, unsafe: bool = False, diff_only: bool = False) -> FixResult:
    res = FixResult(diff_only=diff_only, unsafe=unsafe, total=len(result.diagnostics))
    paths = _file_paths(result)
    by_file: dict = {}
    wanted = set()
    for d in result.diagnostics:
        by_file.setdefault(d.path, []).append(d)
        if d.fix == "unsafe" and not unsafe:
            res.unsafe_available += 1
        elif d.fix is not None:
            wanted.add(d.path)
    diffs = []
    root = getattr(result, "root", None)
    seen = set()  # a file and a symbolic link to it are one file: fixed once
    for display in sorted(wanted):
        path = paths.get(display) or os.path.abspath(display)
        if os.path.realpath(path) in seen:
            continue
        seen.add(os.path.realpath(path))
        ff = FileFix(path, display)
        res.files.append(ff)
        try:
            try:
                _fix_file(ff, by_file[display], unsafe, diff_only, diffs, root=root)
            except RecursionError:  # valid but deep code: LibCST's visitors need room for it
                ff.fixed, ff.skipped, ff.changed, ff.error = [], [], False, None
                run_deep(_fix_file, ff, by_file[display], unsafe, diff_only, diffs, root)
        except Exception as exc:  # one file's failure leaves the others fixed
            ff.changed = False
            ff.error = f"{INTERNAL_ERROR} while fixing this file ({type(exc).__name__}: {exc}); please report it"
    res.diff_text = "".join(diffs)
    return res


def _fix_file(ff: FileFix, diagnostics: list, unsafe: bool, diff_only: bool, diffs: list, root=None) -> None:
    try:
        data, encoding, text = _read(ff.path)
    except (OSError, SyntaxError, UnicodeError, LookupError) as exc:
        ff.error = f"cannot read: {exc}"
        return
    # syntax newer than this interpreter: LibCST still parses it, and then checks the rewrite
    interpreter_parses = _compiles(text, ff.display) is None
    try:
        new_text, fixed, skipped = fix_source(text, diagnostics, unsafe)
    except cst.ParserSyntaxError as exc:
        ff.error = f"does not parse, left alone: {exc.message}"
        return
    ff.skipped = skipped
    new_text = keep_final_newline(text, new_text)
    if new_text == text:
        return
    if interpreter_parses:
        problem = _compiles(new_text, ff.display)
    else:
        problem = _libcst_parses(new_text)
    if problem is not None:
        ff.error = f"the rewrite would not compile ({problem}); file left unchanged"
        return
    try:
        new_data = new_text.encode(encoding)
    except UnicodeEncodeError as exc:
        ff.error = f"cannot encode the rewrite as {encoding}: {exc}"
        return
    ff.fixed = fixed
    ff.changed = True
    diffs.append("".join(difflib.unified_diff(
        text.splitlines(keepends=True), new_text.splitlines(keepends=True),
        fromfile=f"a/{ff.display}", tofile=f"b/{ff.display}",
    )))
    if diffs[-1] and not diffs[-1].endswith("\n"):
        diffs[-1] += "\n\\ No newline at end of file\n"
    if not diff_only and new_data != data:
        try:
            write_atomic(ff.path, new_data, root=root)
        except OSError as exc:  # read-only, another owner, hard links, a link out of the project
            ff.fixed, ff.changed = [], False
            ff.error = str(exc) if isinstance(exc, WriteRefused) else f"cannot write: {exc.strerror or exc}"
