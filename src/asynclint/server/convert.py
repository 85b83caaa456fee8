"""asynclint's findings and fixes as Language Server Protocol values (lsprotocol types).

Positions: asynclint counts lines from 1 and columns in UTF-8 bytes from 1
(Python's ``ast``); LSP counts both from 0, columns in UTF-16 code units.
"""

from __future__ import annotations

import os
from typing import Optional

from lsprotocol import types as lsp

SOURCE = "asynclint"


def path_to_uri(path: str) -> str:
    from pygls.uris import from_fs_path

    return from_fs_path(os.path.abspath(path)) or path


def uri_to_path(uri: str) -> Optional[str]:
    from pygls.uris import to_fs_path

    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return os.path.abspath(path) if path else None


def utf16_column(line_text: str, byte_col: int) -> int:
    """The UTF-16 offset of the character at UTF-8 byte offset ``byte_col`` in ``line_text``."""
    if line_text.isascii():
        return min(byte_col, len(line_text))
    prefix = line_text.encode("utf-8", "surrogatepass")[:byte_col].decode("utf-8", "ignore")
    return len(prefix.encode("utf-16-le", "surrogatepass")) // 2


def _position(lines: list, line: int, column: int) -> lsp.Position:
    """``line`` 1-based, ``column`` 1-based in UTF-8 bytes."""
    row = max(line - 1, 0)
    text = lines[row] if row < len(lines) else ""
    return lsp.Position(line=row, character=utf16_column(text, max(column - 1, 0)))


def diagnostic_range(d, lines: list) -> lsp.Range:
    start = _position(lines, d.line, d.column)
    end = _position(lines, d.end_line or d.line, d.end_column or d.column)
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return lsp.Range(start=start, end=end)


def to_lsp(d, lines: list) -> lsp.Diagnostic:
    """One finding: its range, code, message (with the route), the blocking call as related information."""
    route = f" [{d.route}]" if d.route else ""
    related = []
    blocking = _blocking_hop(d)
    if blocking is not None and blocking.path:
        hop_line = max((blocking.line or 1) - 1, 0)
        related.append(lsp.DiagnosticRelatedInformation(
            location=lsp.Location(uri=path_to_uri(blocking.path),
                                  range=lsp.Range(start=lsp.Position(line=hop_line, character=0),
                                                  end=lsp.Position(line=hop_line + 1, character=0))),
            message=f"blocks here: {blocking.text}" + (f" -> {d.api}" if d.api and d.api not in blocking.text else ""),
        ))
    for caller in d.callers[:20]:  # ASL401: the coroutines that reach the initializer
        if caller.path:
            row = max((caller.line or 1) - 1, 0)
            related.append(lsp.DiagnosticRelatedInformation(
                location=lsp.Location(uri=path_to_uri(caller.path),
                                      range=lsp.Range(start=lsp.Position(line=row, character=0),
                                                      end=lsp.Position(line=row + 1, character=0))),
                message=f"reached from {caller.function}",
            ))
    return lsp.Diagnostic(
        range=diagnostic_range(d, lines),
        message=f"{d.message}{route}",
        severity=lsp.DiagnosticSeverity.Warning,
        code=d.code,
        source=SOURCE,
        related_information=related or None,
        data={"fix": d.fix} if d.fix else None,
    )


def error_to_lsp(message: str) -> lsp.Diagnostic:
    """A file asynclint cannot check (it does not parse, say): one diagnostic on its first line."""
    return lsp.Diagnostic(
        range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)),
        message=f"asynclint could not check this file: {message}",
        severity=lsp.DiagnosticSeverity.Information,
        code="ASL000",
        source=SOURCE,
    )


def _blocking_hop(d):
    """The last hop in project (or library) code: the line where the blocking call is written."""
    for hop in reversed(d.hops):
        if hop.path is not None:
            return hop
    return None


def hover_text(d) -> str:
    """Markdown for one finding: message, route, every hop of its chain with ``path:line``, help."""
    out = [f"**{d.code}** {d.message}"]
    if d.route:
        out.append(f"route: `{d.route}`")
    if len(d.hops) > 1:
        out.append("chain:")
        for hop in d.hops:
            lib = f" ({hop.library})" if hop.library else ""
            if hop.path:
                out.append(f"- `{hop.function}` at {hop.path}:{hop.line}{lib}: {hop.text}")
            elif hop.text.rstrip("()") == hop.function:
                out.append(f"- `{hop.function}`{lib or ' (library)'}")  # the catalogued call itself
            else:
                out.append(f"- `{hop.function}` in the library{lib}: {hop.text}")
    if d.callers:
        out.append(f"reached from {len(d.callers)} async call site{'s' if len(d.callers) != 1 else ''}:")
        out += [f"- `{h.function}` at {h.path}:{h.line}" for h in d.callers[:10]]
    if d.suggestion:
        out.append(f"help: {d.suggestion}")
    if d.fix:
        out.append(f"fix: {d.fix} (code action)")
    return "\n\n".join(out[:2]) + ("\n\n" + "\n".join(out[2:]) if len(out) > 2 else "")


def text_edits(edits, lines: list) -> list:
    """``fix.source.Edit``s (whole lines, 1-based, inclusive, with their line endings) as LSP TextEdits;
    ``lines``: the document's lines with their endings."""
    out = []
    for e in edits:
        start = lsp.Position(line=e.start_line - 1, character=0)
        if e.end_line >= len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
            last = lines[-1]  # the last line has no line ending: the range ends after its text
            end = lsp.Position(line=len(lines) - 1, character=len(last.encode("utf-16-le", "surrogatepass")) // 2)
        else:
            end = lsp.Position(line=e.end_line, character=0)
        out.append(lsp.TextEdit(range=lsp.Range(start=start, end=end), new_text=e.text))
    return out
