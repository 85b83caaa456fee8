"""The JSON report: the stable contract of the design document."""

from __future__ import annotations

import json

from .. import __version__


def format_json(result) -> str:
    doc = {
        "version": __version__,
        "files_checked": result.files_checked,
        "diagnostics": [d.to_json() for d in result.diagnostics],
        "errors": [{"path": e.path, "message": e.message} for e in result.errors],
    }
    return json.dumps(doc, indent=2)
