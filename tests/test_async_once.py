"""Async one-time initialization: a coroutine awaited only under a once-guard (a flag or a cache
tested, then stored after the await) runs once; its blocking is one ASL401 at the guarded await."""

from asynclint.engine import lint_sources

STORE = '''\
import asyncio
import os
from pathlib import Path

import aiosqlite

DB_PATH = os.path.expanduser("~/.shop/shop.db")


class VersionFile:
    def __init__(self) -> None:
        self.path = Path(DB_PATH).with_suffix(".version")

    def needs_update(self) -> bool:
        return not self.path.exists() or self.path.read_text() != "2"


class Store:
    def __init__(self) -> None:
        self._initialized = False
        self._init_lock = asyncio.Lock()
        self.version = VersionFile()

    async def initialize(self) -> None:
        os.makedirs(os.path.dirname(DB_PATH), exist_ok=True)
        if self.version.needs_update():
            await self.migrate()

    async def migrate(self) -> None:
        async with aiosqlite.connect(DB_PATH) as db:
            await db.executescript(Path("schema.sql").read_text())

    async def get(self, key: str):
        if not self._initialized:
            async with self._init_lock:
                if not self._initialized:
                    try:
                        await self.initialize()
                        self._initialized = True
                    except Exception:
                        raise
        async with aiosqlite.connect(DB_PATH) as db:
            async with db.execute("SELECT v FROM kv WHERE k = ?", (key,)) as cur:
                return await cur.fetchone()


store = Store()
'''

INSTALL = '''\
import asyncio

from .store import store


def setup_database() -> None:
    """`shop-setup`: create the database before the first start."""
    asyncio.run(store.initialize())
'''

PRESETS = '''\
import asyncio
import json
from importlib.resources import files
from typing import Final

import httpx


def _load_bundled() -> dict:
    return json.loads(files("shop").joinpath("presets.json").read_text(encoding="utf-8"))


async def _resolve(url: str) -> dict:
    try:
        async with httpx.AsyncClient() as client:
            response = await client.get(url, timeout=5)
            response.raise_for_status()
            return response.json()
    except httpx.HTTPError:
        return _load_bundled()


class _PresetsCache:
    presets: dict | None = None
    lock: asyncio.Lock | None = None


async def get_presets(url: str) -> dict:
    cached: Final = _PresetsCache.presets
    if cached is not None:
        return cached
    if _PresetsCache.lock is None:
        _PresetsCache.lock = asyncio.Lock()
    async with _PresetsCache.lock:
        held: Final = _PresetsCache.presets
        if held is not None:
            return held
        resolved = await _resolve(url)
        _PresetsCache.presets = resolved
        return resolved
'''

ROUTES = '''\
from fastapi import APIRouter

from .presets import get_presets
from .store import store

router = APIRouter()


@router.get("/items/{key}")
async def read_item(key: str):
    return {"value": await store.get(key)}


@router.get("/presets")
async def presets():
    return await get_presets("https://example.com/presets.json")
'''


def _line(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


def _found(files: dict) -> list:
    return sorted((d.path.rsplit("/", 1)[-1], d.line, d.code, d.route) for d in lint_sources(files))


def test_a_double_checked_async_guard_and_a_class_cache_under_a_lock_are_one_time_initialization():
    found = lint_sources({"shop/__init__.py": "", "shop/store.py": STORE, "shop/install.py": INSTALL,
                          "shop/presets.py": PRESETS, "shop/routes.py": ROUTES})
    got = sorted((d.path.rsplit("/", 1)[-1], d.line, d.code, d.route) for d in found)
    # nothing per request in initialize(), migrate() or _resolve(): one ASL401 at each guarded await, and
    # the blocking lines of what it runs, one cause with it, with the routes that reach the guard (the
    # setup command runs initialize() on a loop of its own)
    assert got == sorted([
        ("presets.py", _line(PRESETS, "return _load_bundled()"), "ASL401", "GET /presets"),
        ("presets.py", _line(PRESETS, "await _resolve(url)"), "ASL401", "GET /presets"),
        ("store.py", _line(STORE, "os.makedirs("), "ASL401", "GET /items/{key}"),
        ("store.py", _line(STORE, "if self.version.needs_update()"), "ASL401", "GET /items/{key}"),
        ("store.py", _line(STORE, 'Path("schema.sql").read_text()'), "ASL401", "GET /items/{key}"),
        ("store.py", _line(STORE, "await self.initialize()"), "ASL401", "GET /items/{key}"),
    ])
    assert len({d.root for d in found}) == 2
    (guard,) = [d for d in found if d.path.endswith("store.py") and d.line == _line(STORE, "await self.initialize()")]
    assert [h.function for h in guard.hops] == ["shop.store.Store.get", "shop.store.Store.initialize",
                                                "shop.store.VersionFile.needs_update", "pathlib.Path.read_text"]
    assert "the first time get() is awaited" in guard.message


def test_the_text_report_shows_an_async_guard_with_the_lines_it_runs(tmp_path):
    from click.testing import CliRunner

    from asynclint.cli import main

    (tmp_path / "shop").mkdir()
    for name, text in (("__init__.py", ""), ("store.py", STORE), ("routes.py", ROUTES), ("presets.py", PRESETS)):
        (tmp_path / "shop" / name).write_text(text)
    out = CliRunner().invoke(main, [str(tmp_path / "shop"), "--no-cache"]).output.replace(str(tmp_path) + "/", "")
    shown = [line for line in out.splitlines() if line.startswith("shop/")]
    assert [line.split(" ", 2)[:2] for line in shown] == [
        [f"shop/presets.py:{_line(PRESETS, 'await _resolve(url)')}:26:", "ASL401"],
        [f"shop/store.py:{_line(STORE, 'await self.initialize()')}:31:", "ASL401"]]
    assert (f"… the same one-time initialization on lines {_line(STORE, 'os.makedirs(')} (os.makedirs() in initialize), "
            f"{_line(STORE, 'if self.version.needs_update()')} (self.version.needs_update() in initialize), "
            f"{_line(STORE, 'schema.sql')} (Path().read_text() in migrate)") in out


def test_explain_says_the_guard_awaits_the_coroutine_it_runs_once(tmp_path):
    from click.testing import CliRunner

    from asynclint.cli import main

    (tmp_path / "shop").mkdir()
    for name, text in (("__init__.py", ""), ("store.py", STORE), ("routes.py", ROUTES), ("presets.py", PRESETS)):
        (tmp_path / "shop" / name).write_text(text)
    where = f"{tmp_path / 'shop' / 'store.py'}:{_line(STORE, 'await self.initialize()')}"
    out = CliRunner().invoke(main, ["explain", where, "--no-cache"]).output.replace(str(tmp_path) + "/", "")
    # the guard awaits initialize(), an async def that runs once; only the sync helper below it is a sync def
    assert "shop.store.Store.get awaits self.initialize() (runs once: one-time initialization)" in out
    assert "shop.store.Store.initialize (an async def) calls self.version.needs_update()" in out
    assert "shop.store.VersionFile.needs_update (a sync def) calls self.path.read_text()" in out
    assert "not awaited" not in out and "initialize (a sync def)" not in out


WORKER = '''\
import asyncio
import time

import requests


class Poller:
    def __init__(self) -> None:
        self._running = False
        self._ready = False

    async def _loop(self) -> None:
        while True:
            requests.get("https://status.example.com")  # ASL101
            await asyncio.sleep(5)

    async def start(self) -> None:
        # the flag is set before the await: a start guard, not an initialization
        if self._running:
            return
        self._running = True
        await self._loop()

    async def _warm_up(self) -> None:
        time.sleep(1)  # ASL102

    async def refresh(self) -> None:
        if not self._ready:
            await self._warm_up()
            self._ready = True

    async def force_refresh(self) -> None:
        await self._warm_up()


class Session:
    async def __aenter__(self) -> "Session":
        time.sleep(0.1)  # ASL102
        return self

    async def __aexit__(self, *exc) -> None:
        pass


class Pool:
    def __init__(self) -> None:
        self._session = None

    async def session(self) -> Session:
        # `async with Session()` elsewhere runs __aenter__ with no call written: not only this once
        if self._session is None:
            session = Session()
            await session.__aenter__()
            self._session = session
        return self._session


_thumbnails: dict = {}


async def _render(url: str) -> bytes:
    return requests.get(url).content  # ASL101


async def thumbnail(url: str) -> bytes:
    # a cache of many entries: _render runs for every new url
    if url in _thumbnails:
        return _thumbnails[url]
    data = await _render(url)
    _thumbnails[url] = data
    return data


class Ingestion:
    """Made per request: its guard runs what it awaits for every request."""

    def __init__(self) -> None:
        self._ready = False

    async def _provision(self) -> None:
        time.sleep(0.2)  # ASL102

    async def ingest(self, url: str) -> None:
        if not self._ready:
            await self._provision()
            self._ready = True


poller = Poller()
pool = Pool()
'''

WORKER_ROUTES = '''\
from fastapi import APIRouter

from .worker import Ingestion, Session, pool, poller, thumbnail

router = APIRouter()


@router.post("/poll")
async def poll():
    await poller.start()


@router.get("/thumbnails")
async def thumbnails(url: str):
    async with Session():
        await pool.session()
        return await thumbnail(url)


@router.post("/ingest")
async def ingest(url: str):
    await Ingestion().ingest(url)


@router.post("/refresh")
async def refresh(force: bool = False):
    if force:
        await poller.force_refresh()
    else:
        await poller.refresh()
'''


def test_a_start_guard_a_special_method_a_keyed_cache_an_object_per_request_and_a_coroutine_awaited_per_request_are_not_one_time():
    files = {"svc/__init__.py": "", "svc/worker.py": WORKER, "svc/routes.py": WORKER_ROUTES}
    expected = sorted(("worker.py", i, line.rsplit("# ", 1)[1])
                      for i, line in enumerate(WORKER.splitlines(), 1) if "# ASL" in line)
    assert len(expected) == 5
    assert [(p, line, code) for p, line, code, _ in _found(files)] == expected


TASKS = '''\
import asyncio
import time


class Indexer:
    def __init__(self) -> None:
        self._task = None

    async def _reindex_forever(self) -> None:
        while True:
            time.sleep(2)  # ASL102
            await asyncio.sleep(60)

    async def ensure_started(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._reindex_forever())


indexer = Indexer()


async def handle() -> None:
    await indexer.ensure_started()
'''


def test_a_task_started_once_runs_its_loop_on_every_turn():
    assert [(p, line, code) for p, line, code, _ in _found({"idx.py": TASKS})] == [("idx.py", _line(TASKS, "ASL102"), "ASL102")]


# A cache of many entries (browser-use's downloads watchdog) fills once per key: the ASL401 says so, not
# that the work runs the first time only.
DOWNLOADS = '''\
import os

DOWNLOADS_DIR = "/srv/agent/downloads"


class DownloadsWatchdog:
    def __init__(self) -> None:
        self._session_pdf_urls: dict = {}
        self._cdp_ready = False
        self._download_dir = None

    async def attach(self, session) -> None:
        if not self._cdp_ready:
            self._download_dir = os.path.realpath(DOWNLOADS_DIR)
            await session.send("Browser.setDownloadBehavior", {"downloadPath": self._download_dir})
            self._cdp_ready = True

    async def trigger_pdf_download(self, session, pdf_url: str) -> str:
        if pdf_url in self._session_pdf_urls:
            return self._session_pdf_urls[pdf_url]
        data = await session.send("Page.printToPDF", {"url": pdf_url})
        os.makedirs(DOWNLOADS_DIR, exist_ok=True)
        name = f"{len(os.listdir(DOWNLOADS_DIR))}.pdf"
        path = os.path.join(DOWNLOADS_DIR, name)
        self._session_pdf_urls[pdf_url] = path
        return path


watchdog = DownloadsWatchdog()


async def on_pdf_opened(session, url: str) -> str:
    await watchdog.attach(session)
    return await watchdog.trigger_pdf_download(session, url)
'''


def test_a_cache_of_many_entries_says_its_initialization_runs_for_each_new_key():
    found = {d.line: d.message for d in lint_sources({"agent/__init__.py": "", "agent/downloads.py": DOWNLOADS})
             if d.code == "ASL401"}
    once, keyed = found[_line(DOWNLOADS, "os.path.realpath(")], found[_line(DOWNLOADS, "os.makedirs(")]
    assert once.endswith("the first time attach() is awaited")
    assert keyed.endswith("the first time trigger_pdf_download() is awaited for each new key of its cache")
