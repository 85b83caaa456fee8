"""GitHub Actions workflow commands (``asynclint --format github``).

Each finding becomes an ``::error`` annotation on its file and line range,
titled with its rule code::

    ::error file=app/main.py,line=10,col=12,endLine=10,endColumn=25,title=ASL201::calls ...

The message carries the route, the suggested replacement and the chain
through project code on further lines.  A file that could not be checked
becomes ``::error file=...::...``.  Data is escaped as GitHub's toolkit does
(``%``, CR, LF) and property values also escape ``:`` and ``,``.
"""

from __future__ import annotations

import os

from ..fsio import printable_path


def escape_data(text: str) -> str:
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _path(path: str) -> str:
    """Forward slashes; control characters and bytes of a name that are not UTF-8 escaped
    (``escape_property`` then escapes ``%``, ``:`` and ``,`` as in any value)."""
    return printable_path(path.replace(os.sep, "/") if os.sep != "/" else path)


def command(name: str, message: str, **properties) -> str:
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items() if value is not None)
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def _message(d) -> str:
    text = d.message
    if d.route:
        text += f" [{printable_path(d.route)}]"
    lines = [text]
    if d.suggestion:
        lines.append(f"help: {d.suggestion}")
    hops = list(d.hops or [])
    if len(hops) > 2:
        for hop in hops[1:]:
            where = f"{_path(hop.path)}:{hop.line}" if hop.path else "library"
            lines.append(f"  via {hop.function} ({where}): {hop.text}")
    return "\n".join(lines)


def format_github(result) -> str:
    out = []
    for d in result.diagnostics:
        props = {"file": _path(d.path), "line": d.line, "col": d.column}
        if d.end_line:
            props["endLine"] = d.end_line
            if d.end_column:
                props["endColumn"] = d.end_column
        props["title"] = d.code
        out.append(command("error", _message(d), **props))
    for e in result.errors:
        out.append(command("error", f"asynclint could not check this file: {e.message}", file=_path(e.path)))
    return "\n".join(out)
