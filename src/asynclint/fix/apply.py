"""``asynclint --fix`` / ``--diff``: fix the files of a run, on disk.

``apply_fixes(result, unsafe=..., diff_only=...)`` takes the findings of a
run, opens only the files that have a finding whose fix applies, rewrites
each with ``source.fix_source`` and writes it back atomically, keeping its
encoding, BOM and line endings. A file whose rewrite does not compile is left
alone and reported; a failure in one file never stops the others.
"""

from __future__ import annotations

import difflib
import gc
import os
from dataclasses import dataclass, field
from typing import Optional

from ..fsio import WriteRefused, decode_source, keep_final_newline, read_regular, source_encoding, write_atomic
from ..model import INTERNAL_ERROR
from ..deep import run_deep
from . import source
from .kinds import applies


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
    findings: list = field(default_factory=list)  # the findings of the run that was fixed

    @property
    def changed_files(self) -> list:
        return [f.display for f in self.files if f.changed]

    @property
    def fixed(self) -> list:
        return [d for f in self.files if f.changed for d in f.fixed]

    @property
    def errors(self) -> list:
        return [(f.display, f.error) for f in self.files if f.error]

    def summary(self, remaining: Optional[list] = None) -> str:
        """One line: what was (or would be) fixed, and what remains. ``remaining``: the findings of the
        run after fixing (without it, the ones not fixed); every count is of those."""
        n = len(self.fixed)
        files = len(self.changed_files)
        verb = "Would fix" if self.diff_only else "Fixed"
        text = f"{verb} {n} finding{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}"
        if remaining is None:
            fixed = {id(d) for d in self.fixed}
            remaining = [d for d in self.findings if id(d) not in fixed]
        left = len(remaining)
        text += f"; {left} remain{'s' if left == 1 else ''}"
        details = []
        unsafe = sum(1 for d in remaining if d.fix == "unsafe") if not self.unsafe else 0
        if unsafe:
            details.append(f"{unsafe} fixable with --unsafe-fixes")
        manual = sum(1 for d in remaining if d.fix is None)
        if manual:
            details.append(f"{manual} with no automatic fix")
        if details:
            text += f" ({', '.join(details)})"
        text += "."
        lines = [text]
        for display, error in self.errors:
            lines.append(f"asynclint: not fixed: {display}: {error}")
        return "\n".join(lines)

    def enumerate(self) -> str:
        """``--show-fixes``: the findings fixed (or that would be), by file and code, then the ones a fix was
        tried for and not made, with the reason."""
        from ..rules import RULES

        verb = "Would fix" if self.diff_only else "Fixed"
        fixed = self.fixed
        lines = [f"{verb} {len(fixed)} finding{'s' if len(fixed) != 1 else ''}" + (":" if fixed else ".")]
        for f in self.files:
            if not f.changed or not f.fixed:
                continue
            lines.append(f"- {f.display}:")
            counts: dict = {}
            for d in f.fixed:
                counts[d.code] = counts.get(d.code, 0) + 1
            for code, k in sorted(counts.items()):
                name = RULES[code].name if code in RULES else ""
                lines.append(f"    {k} × {code}{f' ({name})' if name else ''}")
        skipped = [(f, d, why) for f in self.files for d, why in f.skipped]
        if skipped:
            lines.append(f"Not fixed ({len(skipped)}):")
            for f, d, why in sorted(skipped, key=lambda x: (x[1].path, x[1].line, x[1].column)):
                lines.append(f"- {d.path}:{d.line}:{d.column}: {d.code} {why}")
        return "\n".join(lines)


def _read(path: str):
    data = read_regular(path)  # never a FIFO or a device, even one swapped in since the check
    return data, source_encoding(data), decode_source(data)


def _file_paths(result) -> dict:
    """display path -> absolute path, from the project the findings came from."""
    out = {}
    project = getattr(result, "project", None)
    if project is not None:
        for info in project.unique_modules():
            out[info.display] = info.path
    return out


def apply_fixes(result, unsafe: bool = False, diff_only: bool = False) -> FixResult:
    res = FixResult(diff_only=diff_only, unsafe=unsafe, findings=list(result.diagnostics))
    paths = _file_paths(result)
    by_file: dict = {}
    wanted = set()
    for d in result.diagnostics:
        by_file.setdefault(d.path, []).append(d)
        if applies(d, unsafe):
            wanted.add(d.path)
    diffs = []
    root = getattr(result, "root", None)
    from .wrap import configured_line_length

    line_length = configured_line_length(root)
    seen = set()  # a file and a symbolic link to it are one file: fixed once
    gc.freeze()  # the run's project stays alive: keep the collector from re-walking it for every tree built
    try:
        for display in sorted(wanted):
            path = paths.get(display) or os.path.abspath(display)
            if os.path.realpath(path) in seen:
                continue
            seen.add(os.path.realpath(path))
            ff = FileFix(path, display)
            res.files.append(ff)
            try:
                try:
                    _fix_file(ff, by_file[display], unsafe, diff_only, diffs, root=root, line_length=line_length)
                except RecursionError:  # valid but deep code: LibCST's visitors need room for it
                    ff.fixed, ff.skipped, ff.changed, ff.error = [], [], False, None
                    run_deep(_fix_file, ff, by_file[display], unsafe, diff_only, diffs, root, line_length)
            except Exception as exc:  # one file's failure leaves the others fixed
                ff.changed = False
                ff.error = f"{INTERNAL_ERROR} while fixing this file ({type(exc).__name__}: {exc}); please report it"
    finally:
        gc.unfreeze()
    res.diff_text = "".join(diffs)
    return res


def _fix_file(ff: FileFix, diagnostics: list, unsafe: bool, diff_only: bool, diffs: list, root=None,
              line_length=None) -> None:
    try:
        data, encoding, text = _read(ff.path)
    except (OSError, SyntaxError, UnicodeError, LookupError) as exc:
        ff.error = f"cannot read: {exc}"
        return
    try:
        outcome = source.fix_source(text, diagnostics, unsafe, line_length)
    except source.FixError as exc:
        ff.error = str(exc)
        return
    ff.skipped = outcome.skipped
    new_text = keep_final_newline(text, outcome.text)
    if new_text == text:
        return
    try:
        new_data = new_text.encode(encoding)
    except UnicodeEncodeError as exc:
        ff.error = f"cannot encode the rewrite as {encoding}: {exc}"
        return
    ff.fixed = outcome.fixed
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
