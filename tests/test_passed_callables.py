"""A sync function handed to a project coroutine that calls it (review 12's miss in airflow: the team
of a pool looked up through ``_collect_teams_to_check(..., Pool.get_team_name)``) runs on the loop where
the coroutine is awaited: reported there, with the chain into the function passed, and no fix (the
awaited call is not what to offload)."""

import os

from asynclint.engine import Options, lint_sources, run
from asynclint.live import Workspace

MODELS = '''\
from sqlalchemy.orm import Session

from .db import engine


class Pool:
    @classmethod
    def get_team_name(cls, name: str):
        with Session(engine) as session:
            return session.scalar("select team from pool where name = :n", {"n": name})


def static_team(name: str):
    return "default"


async def remote_team(name: str):
    return "remote"
'''

DB = '''\
from sqlalchemy import create_engine

engine = create_engine("postgresql://db/app")
'''

SECURITY = '''\
import asyncio
from typing import Callable

from fastapi import FastAPI

from .models import Pool, remote_team, static_team

app = FastAPI()


async def collect_teams(key: str, get_team: Callable[[str], str | None]) -> set:
    teams = set()
    teams.add(get_team(key) if key else None)
    return teams


async def collect_teams_in_thread(key: str, get_team) -> set:
    return {await asyncio.to_thread(get_team, key)}


@app.get("/pools/{name}")
async def read_pool(name: str):
    return {"teams": sorted(await collect_teams(name, Pool.get_team_name))}


@app.get("/static/{name}")
async def read_static(name: str):
    return {"teams": sorted(await collect_teams(name, get_team=static_team))}


@app.get("/threaded/{name}")
async def read_threaded(name: str):
    return {"teams": sorted(await collect_teams_in_thread(name, Pool.get_team_name))}
'''


def _files():
    return {"svc/__init__.py": "", "svc/db.py": DB, "svc/models.py": MODELS, "svc/security.py": SECURITY}


def test_a_blocking_function_passed_to_a_coroutine_that_calls_it_is_reported_where_it_is_awaited():
    found = lint_sources(_files())
    assert [(d.path, d.line, d.code, d.route) for d in found] == [
        ("svc/security.py", 23, "ASL206", "GET /pools/{name}")]
    [d] = found
    assert d.message.startswith("awaits collect_teams(), which calls the Pool.get_team_name() passed to it")
    assert [h.function for h in d.hops][:2] == ["svc.security.read_pool", "svc.models.Pool.get_team_name"]
    assert d.fix is None  # `await asyncio.to_thread(collect_teams, ...)` would not even run it


def test_what_the_coroutine_awaits_or_offloads_is_not_reported():
    files = _files()
    # a coroutine function passed, awaited by the coroutine it is passed to
    files["svc/security.py"] = SECURITY.replace("teams.add(get_team(key) if key else None)",
                                                "teams.add(await get_team(key) if key else None)").replace(
        "Pool.get_team_name))}\n\n\n@app.get(\"/static", "remote_team))}\n\n\n@app.get(\"/static")
    assert lint_sources(files) == []


def test_an_edit_to_the_coroutine_that_stops_calling_what_it_is_passed_is_followed(tmp_path, monkeypatch):
    for rel, text in _files().items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "svc"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    root = str(tmp_path)
    ws = Workspace(root, Options(use_cache=False, jobs=1, python="none"))
    ws.load()

    def live():
        return sorted((d.path, d.line, d.code) for found in ws.check().diagnostics.values() for d in found)

    def fresh():
        result = run([root], Options(use_cache=False, jobs=1, python="none", overrides=dict(ws.texts)))
        return sorted((d.path, d.line, d.code) for d in result.diagnostics)

    path = os.path.join(root, "svc", "security.py")
    assert live() == fresh() == [("svc/security.py", 23, "ASL206")]
    ws.update(path, SECURITY.replace("teams.add(get_team(key) if key else None)", "teams.add(key)"))
    assert live() == fresh() == []
    ws.update(path, SECURITY)
    assert live() == fresh() == [("svc/security.py", 23, "ASL206")]
