"""`asynclint routes` lists exactly what FastAPI registers; findings carry their route."""

import importlib
import json
import os
import sys

import pytest
from click.testing import CliRunner

from conftest import FIXTURES

from asynclint.cli import main
from asynclint.engine import Options, run

APP = os.path.join(FIXTURES, "projects", "fastapi_app")


def _expected(app=APP):
    rows = set()
    with open(os.path.join(app, "ROUTES.txt")) as fh:
        for line in fh:
            if line.strip():
                method, path, function = line.split()
                rows.add((method, path, function))
    return rows


def _ours(app=APP):
    out = CliRunner().invoke(main, ["routes", app, "--format", "json", "--no-cache"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)["routes"]
    got = set()
    for r in rows:
        if r["note"]:
            continue  # declared on a router that no app includes
        for m in r["methods"]:
            got.add(("WS" if r["kind"] == "websocket" else m, r["path"], r["function"]))
    return got, rows


PROJECTS = [os.path.join(FIXTURES, "projects", n) for n in sorted(os.listdir(os.path.join(FIXTURES, "projects")))
            if os.path.isfile(os.path.join(FIXTURES, "projects", n, "ROUTES.txt"))]


@pytest.mark.parametrize("app", PROJECTS, ids=os.path.basename)
def test_routes_match_the_hand_written_table(app):
    got, _ = _ours(app)
    assert got == _expected(app)


def test_unincluded_router_is_flagged_not_guessed():
    _, rows = _ours()
    legacy = [r for r in rows if r["function"].endswith("legacy.ping")]
    assert legacy and legacy[0]["note"] == "router not included in an app found statically"


def test_routes_match_fastapi_itself(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    pytest.importorskip("fastapi")
    pytest.importorskip("sqlalchemy")
    pytest.importorskip("redis")
    pytest.importorskip("requests")
    pytest.importorskip("aiofiles")
    sys.path.insert(0, APP)
    try:
        for name in [m for m in sys.modules if m == "app" or m.startswith("app.")]:
            del sys.modules[name]
        app = importlib.import_module("app.main").app
    finally:
        sys.path.remove(APP)
    import re
    from urllib.parse import unquote

    got, _ = _ours()
    # HTTP routes as FastAPI publishes them (full paths, every method); works across FastAPI versions
    theirs_http = {(m.upper(), path) for path, ops in app.openapi()["paths"].items() for m in ops}
    assert {(m, p) for m, p, _ in got if m != "WS"} == theirs_http
    # websocket routes: FastAPI builds the same full path from the endpoint's name
    for m, path, function in got:
        if m == "WS":
            params = {name: "{" + name + "}" for name in re.findall(r"{(\w+)", path)}
            assert unquote(app.url_path_for(function.rsplit(".", 1)[-1], **params)) == path


def test_findings_carry_their_routes():
    result = run([APP], Options(use_cache=False))
    by_fn = {}
    for d in result.diagnostics:
        by_fn.setdefault(d.function.rsplit(".", 1)[-1], set()).add(d.route)
    assert by_fn["echo"] == {"WS /ws/echo"}
    # a dependency reports the routes that use it
    assert any(r and "POST /api/v1/items" in r for r in by_fn.get("get_current_user", set()))
    # nothing is reported inside def routes
    assert "reset_password" not in by_fn and "summary" not in by_fn


def test_routes_text_table():
    out = CliRunner().invoke(main, ["routes", APP, "--no-cache"])
    assert out.exit_code == 0
    lines = out.output.splitlines()
    assert lines[0].split() == ["METHOD", "PATH", "FUNCTION", "KIND", "STATUS"]
    ws = [line for line in lines if "/ws/echo" in line][0]
    assert ws.split()[:4] == ["WS", "/ws/echo", "app.main.echo", "async"]
    assert "BLOCKS (1 finding; app.main.echo -> time.sleep)" in ws
    assert lines[-1].startswith("18 routes, ")


def test_a_router_included_by_a_function_of_the_app_gets_its_prefix(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "chat.py").write_text(
        "import requests\nfrom fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.post('')\n"
        "async def chat(q: str):\n    return requests.post('https://llm.example/v1', json={'q': q}).json()\n")
    # the app's parameter is not annotated: it takes a router, so its prefix applies
    (tmp_path / "app" / "configure.py").write_text(
        "from .chat import router\n\n\ndef configure_routes(app):\n"
        "    app.include_router(router, prefix='/api/chat')\n")
    (tmp_path / "app" / "main.py").write_text(
        "from fastapi import FastAPI\n\nfrom .configure import configure_routes\n\napp = FastAPI()\n"
        "configure_routes(app)\n")
    result = run([str(tmp_path)], Options(use_cache=False))
    assert {d.route for d in result.diagnostics} == {"POST /api/chat"}
