"""The JSON output is complete and validates against its published schema (docs/asynclint-output.schema.json)."""

import json
import os
import textwrap

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, ROOT

from asynclint.cli import main

jsonschema = pytest.importorskip("jsonschema")

with open(os.path.join(ROOT, "docs", "asynclint-output.schema.json"), encoding="utf-8") as _fh:
    SCHEMA = json.load(_fh)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def validate(doc):
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def invoke(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_the_schema_is_a_valid_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


PROJECTS = sorted(os.listdir(os.path.join(FIXTURES, "projects")))


@pytest.mark.parametrize("name", PROJECTS)
def test_check_and_routes_output_validate(name):
    path = os.path.join(FIXTURES, "projects", name)
    validate(invoke(path, "--output-format", "json", "--no-cache", "--select", "ALL"))
    validate(invoke("routes", path, "--output-format", "json", "--no-cache"))


def test_errors_and_library_inference_validate(tmp_path):
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "nul.py").write_bytes(b"x = 1\x00\n")
    doc = invoke(str(tmp_path), "--output-format", "json", "--no-cache")
    assert len(doc["errors"]) == 2
    validate(doc)


@pytest.fixture
def app(tmp_path, monkeypatch):
    """A multi-module app: a helper module imported as a module, a router under a settings prefix."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "svc"\n')
    files = {
        "svc/__init__.py": "",
        "svc/settings.py": "import os\n\nroot_path = os.environ.get('ROOT_PATH', '')\n",
        "svc/files.py": textwrap.dedent(
            """\
            import os


            def is_file(path):
                return os.path.isfile(path)
            """
        ),
        "svc/api.py": textwrap.dedent(
            """\
            from fastapi import APIRouter

            from . import files as helpers
            from . import settings

            router = APIRouter(prefix=settings.root_path)


            async def check(name):
                return helpers.is_file(name)


            @router.get("/public/{filename:path}")
            async def public(filename: str):
                return await check(filename)
            """
        ),
        "svc/main.py": textwrap.dedent(
            """\
            from fastapi import FastAPI

            from .api import check, router

            app = FastAPI()
            app.include_router(router)
            """
        ) + "".join(
                f"\n\n@app.get('/r{i}')\nasync def r{i}():\n    return await check('x{i}')\n" for i in range(5)),
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_a_finding_lists_every_route_and_every_hop_as_written(app):
    doc = invoke("svc", "--output-format", "json", "--no-cache")
    validate(doc)
    (d,) = [d for d in doc["diagnostics"] if d["code"] == "ASL205"]
    # the message names what the code wrote; the chain names what it resolves to
    assert d["message"].startswith("calls helpers.is_file(), which blocks on os.path.isfile()")
    assert d["chain"] == ["svc.api.check", "svc.files.is_file", "os.path.isfile"]
    assert [(h["path"], h["line"], h["column"], h["symbol"], h["calls"]) for h in d["hops"]] == [
        (os.path.join("svc", "api.py"), 10, 12, "helpers.is_file", "svc.files.is_file"),
        (os.path.join("svc", "files.py"), 5, 12, "os.path.isfile", "os.path.isfile"),
        (None, None, None, "os.path.isfile", None),
    ]
    # six routes: the display string is cut, the list is whole
    assert d["route"].endswith("(+3 more)")
    assert len(d["routes"]) == 6
    assert {"methods": ["GET"], "path": "{root_path}/public/{filename:path}", "function": "svc.api.public"} \
        in d["routes"]
    assert {r["path"] for r in d["routes"]} >= {"/r0", "/r4"}


def test_routes_json_lists_every_endpoint_with_its_findings(app):
    doc = invoke("routes", "svc", "--output-format", "json", "--no-cache")
    validate(doc)
    rows = {(tuple(r["methods"]), r["path"]): r for r in doc["routes"]}
    assert len(rows) == 6
    public = rows[(("GET",), "{root_path}/public/{filename:path}")]
    assert public["handler"] == "svc.api.public" and public["def"] == "async def" and public["dynamic"]
    assert public["note"] == "a prefix is not a literal"
    found = doc["diagnostics"]
    assert [(found[i]["code"], found[i]["line"]) for i in public["diagnostics"]] == [("ASL205", 10)]
    assert all(r["findings"] == len(r["diagnostics"]) == 1 for r in rows.values())
    # each finding once, however many endpoints it stalls
    assert len(found) == len({(f["path"], f["line"], f["column"], f["code"]) for f in found})
    assert sorted({i for r in rows.values() for i in r["diagnostics"]}) == list(range(len(found)))
    text = CliRunner().invoke(main, ["routes", "svc", "--no-cache"]).stdout
    assert "{root_path}/public/{filename:path}" in text and "<dynamic>" not in text
