"""The code frame of ``--output-format full``: the lines of a finding, numbered, with its span underlined.

::

       |
    11 | async def get_user(user_id: int):
    12 |     time.sleep(0.1)
       |     ^^^^^^^^^^^^^^^ ASL102
    13 |     return await load(user_id)
       |

Sources are read once per file, from the path the finding names (relative
to the working directory); a file that cannot be read again gets no frame.
"""

from __future__ import annotations

import os

from ..fsio import decode_source, printable_path, read_regular

CONTEXT = 1  # lines shown above and below
MAX_SPAN = 4  # lines of a longer span shown (its first ones)


class Sources:
    """File text by path, read on first use; None for a file that cannot be read or decoded."""

    def __init__(self):
        self._lines: dict = {}

    def lines(self, path: str):
        if path not in self._lines:
            try:
                text = decode_source(read_regular(os.path.abspath(path)))
            except (OSError, UnicodeError, SyntaxError, LookupError):
                self._lines[path] = None
            else:
                self._lines[path] = text.lstrip("\ufeff").splitlines()
        return self._lines[path]


def code_frame(d, sources: Sources) -> list:
    """The frame's lines for finding ``d`` (none when its file cannot be read)."""
    lines = sources.lines(d.path)
    if not lines or not 1 <= d.line <= len(lines):
        return []
    end_line = min(max(d.end_line or d.line, d.line), len(lines))
    last = min(end_line, d.line + MAX_SPAN - 1)
    first_shown = max(1, d.line - CONTEXT)
    last_shown = min(len(lines), last + CONTEXT)
    width = len(str(last_shown))
    gutter = " " * width + " |"
    out = [gutter]
    for n in range(first_shown, last_shown + 1):
        text = printable_path(lines[n - 1].rstrip())
        out.append(f"{n:>{width}} | {text}".rstrip())
        if n == d.line:
            start = max(d.column - 1, 0)
            stop = d.end_column - 1 if end_line == d.line and d.end_column else len(lines[n - 1].rstrip())
            stop = max(stop, start + 1)
            lead = "".join(c if c == "\t" else " " for c in lines[n - 1][:start])
            more = f" (to line {end_line})" if end_line > d.line else ""
            out.append(f"{gutter} {lead}{'^' * (stop - start)} {d.code}{more}")
    out.append(gutter)
    return out
