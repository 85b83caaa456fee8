"""The JSON report: the stable contract of the design document.

Its shape is described by ``docs/asynclint-output.schema.json`` (JSON Schema
2020-12), which the tests validate every report against. ``schema_version``
counts changes of that shape: version 2 added to every finding the full list
of its ``routes``, its ``hops`` (each call of the chain with path, line,
column and the name as written at the call site) and its ``api``, and a
``column`` and ``symbol`` to its ``callers``; no key of version 1 changed or
went away. Version 3 changed the routes report only: its findings are listed
once, in its own ``diagnostics``, and each endpoint's ``diagnostics`` holds
their indexes there (a finding stalling a thousand endpoints was written a
thousand times: gigabytes on a large proxy).
"""

from __future__ import annotations

import json

from .. import __version__

SCHEMA_VERSION = 3


def report_dict(result) -> dict:
    return {
        "version": __version__,
        "schema_version": SCHEMA_VERSION,
        "files_checked": result.files_checked,
        "diagnostics": [d.to_json() for d in result.diagnostics],
        "errors": [{"path": e.path, "message": e.message} for e in result.errors],
    }


def format_json(result) -> str:
    return json.dumps(report_dict(result), indent=2)
