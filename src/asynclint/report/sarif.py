"""SARIF 2.1.0 output (``asynclint --format sarif``), for GitHub code scanning and other viewers.

One run; ``tool.driver.rules`` describes every rule asynclint knows (and any
code found that it has no description for), each result points at its rule
by ``ruleId`` and ``ruleIndex``.  Locations are relative to ``%SRCROOT%``
(the working directory, given in ``originalUriBaseIds``) when the file is
under it, with forward slashes; lines and columns are 1-based and count
characters.  A finding's chain through project code is both a ``codeFlow``
(every hop, in order, the library call at the end included) and
``relatedLocations`` (each hop in project code, as path:line). A hop in library
code read from the environment is relative to the ``SITE_PACKAGES`` base id
(present only then), and the result's properties carry the ``inferred`` object.  Files that
could not be checked are ``toolExecutionNotifications`` of the invocation.
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote

from .. import __version__
from ..categories import FAMILIES
from ..fsio import printable_path

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/asynclint/"
SRCROOT = "%SRCROOT%"
SITE_PACKAGES = "SITE_PACKAGES"

def format_sarif(result, *, srcroot: str | None = None) -> str:
    return json.dumps(sarif_log(result, srcroot=srcroot), indent=2, ensure_ascii=False)


def sarif_log(result, *, srcroot: str | None = None) -> dict:
    """The SARIF log as a dict.  ``srcroot``: the directory relative paths are relative to (default: cwd)."""
    srcroot = os.path.abspath(srcroot or os.getcwd())
    known = _known_rules()
    codes = sorted(set(known) | {d.code for d in result.diagnostics})
    rules = [_rule(code, known.get(code)) for code in codes]
    index = {code: i for i, code in enumerate(codes)}
    results = [_result(d, index[d.code], srcroot) for d in result.diagnostics]
    notifications = [
        {
            "level": "error",
            "message": {"text": f"{printable_path(e.path)}: {printable_path(e.message)}"},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(e.path, srcroot)}}],
        }
        for e in result.errors
    ]
    root_uri = _file_uri(srcroot)
    if not root_uri.endswith("/"):
        root_uri += "/"
    bases = {SRCROOT: {"uri": root_uri}}
    site = next((d.inferred.get("site_packages") for d in result.diagnostics
                 if getattr(d, "inferred", None) and d.inferred.get("site_packages")), None)
    if site:
        # library hops inferred from installed source: relative to the environment's site-packages
        bases[SITE_PACKAGES] = {"uri": _file_uri(site).rstrip("/") + "/"}
    run = {
        "tool": {
            "driver": {
                "name": "asynclint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "originalUriBaseIds": bases,
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


# ---------------------------------------------------------------- rules


def _known_rules() -> dict:
    """{code: Rule} from ``asynclint.rules`` when it is there; {} otherwise."""
    try:
        from ..rules import RULES
    except Exception:  # the rule docs are optional for the report
        return {}
    try:
        return dict(RULES)
    except Exception:
        return {}


def _render(rule, how: str):
    try:
        from .. import rules as mod

        fn = getattr(mod, how, None)
        return fn(rule) if fn is not None else None
    except Exception:
        return None


def _rule_name(code: str, rule) -> str:
    raw = getattr(rule, "name", None) if rule is not None else None
    if not raw:
        return code
    # SARIF suggests an identifier-like name ("BlockingHttpCall")
    words = [w for w in str(raw).replace("_", "-").replace(" ", "-").split("-") if w]
    return "".join(w[:1].upper() + w[1:] for w in words) or code


def _rule(code: str, rule) -> dict:
    summary = None
    full = None
    if rule is not None:
        summary = getattr(rule, "summary", None) or getattr(rule, "title", None)
        full = getattr(rule, "description", None) or getattr(rule, "why", None) or getattr(rule, "explanation", None)
    if not summary:
        summary = FAMILIES.get(code[3:4], "asynclint finding") if code.startswith("ASL") else "asynclint finding"
    if not full:
        full = summary
    entry = {
        "id": code,
        "name": _rule_name(code, rule),
        "shortDescription": {"text": str(summary).strip()},
        "fullDescription": {"text": str(full).strip()},
    }
    text = _render(rule, "render_text") if rule is not None else None
    markdown = _render(rule, "render_markdown") if rule is not None else None
    if text or markdown:
        entry["help"] = {"text": str(text or markdown)}
        if markdown:
            entry["help"]["markdown"] = str(markdown)
    else:
        entry["help"] = {"text": f"{summary}. Run `asynclint rule {code}` for details."}
    uri = getattr(rule, "help_uri", None) or getattr(rule, "url", None) if rule is not None else None
    if uri:
        entry["helpUri"] = str(uri)
    enabled = getattr(rule, "default_enabled", True) if rule is not None else True
    entry["defaultConfiguration"] = {"level": "error", "enabled": bool(enabled)}
    props = {"tags": ["asyncio", "performance"]}
    category = getattr(rule, "category", None) if rule is not None else None
    if category:
        props["tags"].append(str(category))
    fix = getattr(rule, "fix", None) if rule is not None else None
    if fix:
        props["fix"] = str(fix)
    entry["properties"] = props
    return entry


# ---------------------------------------------------------------- results


def _quote(path: str) -> str:
    """Percent-encode a path's bytes (as the file system has them: a name that is not UTF-8
    is encoded byte for byte, a newline as %0A)."""
    return quote(os.fsencode(path))


def _file_uri(path: str) -> str:
    path = os.path.abspath(path).replace(os.sep, "/")
    if not path.startswith("/"):  # Windows drive paths
        path = "/" + path
    return "file://" + _quote(path)


def _artifact(path: str, srcroot: str) -> dict:
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full, srcroot)
    except ValueError:  # another drive
        rel = None
    if rel is None or rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel):
        return {"uri": _file_uri(full)}
    return {"uri": _quote(rel.replace(os.sep, "/")), "uriBaseId": SRCROOT}


def _region(line, column=None, end_line=None, end_column=None) -> dict:
    region = {"startLine": max(int(line), 1)}
    if column:
        region["startColumn"] = max(int(column), 1)
    if end_line and int(end_line) >= region["startLine"]:
        region["endLine"] = int(end_line)
        if end_column and column:
            end_col = int(end_column)
            if int(end_line) == region["startLine"] and end_col < region["startColumn"]:
                end_col = region["startColumn"]
            region["endColumn"] = max(end_col, 1)
    return region


def _message(d) -> str:
    text = d.message
    if d.route:
        text += f" [{printable_path(d.route)}]"
    if d.suggestion:
        text += f"\nhelp: {d.suggestion}"
    return text


def _result(d, rule_index: int, srcroot: str) -> dict:
    location = {
        "physicalLocation": {
            "artifactLocation": _artifact(d.path, srcroot),
            "region": _region(d.line, d.column, d.end_line, d.end_column),
        }
    }
    if d.function:
        location["logicalLocations"] = [{"fullyQualifiedName": d.function, "kind": "function"}]
    res = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": _message(d)},
        "locations": [location],
    }
    hops = list(d.hops or [])
    if len(hops) > 1:
        flow_locations = []
        related = []
        for i, hop in enumerate(hops):
            where = f"{printable_path(hop.path)}:{hop.line}" if hop.path else "library"
            text = f"{hop.function} ({where}): {hop.text}"
            loc = {"message": {"text": text}}
            if hop.path and hop.line:
                in_site = getattr(hop, "library", None) and hop.path.startswith("site-packages/")
                loc["physicalLocation"] = {
                    "artifactLocation": {"uri": quote(hop.path[len("site-packages/"):]), "uriBaseId": SITE_PACKAGES}
                    if in_site else _artifact(hop.path, srcroot),
                    "region": _region(hop.line, getattr(hop, "column", None)),
                }
                if i > 0:
                    rel = dict(loc)
                    rel["id"] = len(related) + 1
                    related.append(rel)
            loc["logicalLocations"] = [{"fullyQualifiedName": hop.function}]
            flow_locations.append({"location": loc, "nestingLevel": i, "executionOrder": i + 1})
        res["codeFlows"] = [{
            "message": {"text": " -> ".join(h.function for h in hops)},
            "threadFlows": [{"locations": flow_locations}],
        }]
        if related:
            res["relatedLocations"] = related
    props = {}
    for key in ("category", "function", "route", "suggestion", "fix", "api", "inferred", "root"):
        value = getattr(d, key, None)
        if value is not None:
            props[key] = value
    if d.chain:
        props["chain"] = list(d.chain)
    if d.routes:
        props["routes"] = [{"methods": list(m), "path": p, "function": f} for m, p, f in d.routes]
    if props:
        res["properties"] = props
    return res
