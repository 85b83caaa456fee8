"""Lazy library calls (an iterator that does its work as it is consumed: ``Path.glob``, ``os.walk``)
handed to a thread are consumed there; consumed on the loop, they block."""

from asynclint.engine import lint_sources

STORAGE = '''\
import os
from pathlib import Path

ROOT = Path("/srv/reports")


def report_files(team: str):
    return (ROOT / team).glob("*.json")


def all_files(team: str):
    return report_files(team)


def tree(team: str):
    return os.walk(ROOT / team)


def newest(team: str) -> Path:
    return max(report_files(team), key=lambda p: p.stat().st_mtime)


class Folder:
    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def path(self) -> Path:
        return ROOT / self.name

    def entries(self):
        return self.path.iterdir()
'''

ROUTES = '''\
import asyncio

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from .storage import Folder, all_files, newest, report_files, tree

router = APIRouter(prefix="/reports")


@router.get("/{team}")
async def list_reports(team: str):
    files = await asyncio.to_thread(sorted, all_files(team))
    walked = await run_in_threadpool(list, tree(team))
    entries = await asyncio.to_thread(list, Folder(team).entries())
    return {"files": [f.name for f in files], "dirs": len(walked), "entries": len(entries)}


@router.get("/{team}/count")
async def count_reports(team: str):
    return {"count": sum(1 for _ in report_files(team))}


@router.get("/{team}/newest")
async def newest_report(team: str):
    return {"name": newest(team).name}
'''


def test_an_iterator_a_helper_returns_is_consumed_in_the_thread_it_is_handed_to():
    found = lint_sources({"app/__init__.py": "", "app/storage.py": STORAGE, "app/routes.py": ROUTES})
    got = sorted((d.path.rsplit("/", 1)[-1], d.line, d.code, d.function.rsplit(".", 1)[-1]) for d in found)
    assert got == [
        ("routes.py", 20, "ASL301", "count_reports"),  # (it never awaits: a def route would do)
        ("routes.py", 21, "ASL204", "count_reports"),  # iterated on the loop
        ("routes.py", 25, "ASL301", "newest_report"),
        ("routes.py", 26, "ASL204", "newest_report"),  # newest() consumes it (and stats each file) itself
    ]
