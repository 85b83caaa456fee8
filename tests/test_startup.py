"""One-time initialization that the app builds at startup (lifespan, startup handlers) is not
reported: no request ever waits for it. Initializers only requests reach still are."""

from asynclint.engine import lint_sources

SETTINGS = '''\
import functools
import json

import requests


@functools.lru_cache
def get_settings() -> dict:
    with open("/etc/app/settings.json") as fh:
        return json.load(fh)


_keys = None


def signing_keys():
    global _keys
    if _keys is None:
        _keys = requests.get("https://auth.example.com/jwks", timeout=5).json()
    return _keys
'''

ON_EVENT = '''\
from fastapi import FastAPI

from .settings import get_settings, signing_keys

app = FastAPI()


@app.on_event("startup")
async def warm():
    get_settings()


@app.get("/limits")
async def limits():
    return get_settings()["limits"]


@app.get("/keys")
async def keys():
    return signing_keys()
'''

HANDLER = '''\
from fastapi import FastAPI

from .settings import get_settings, signing_keys


async def connect():
    await preload()


async def preload():
    signing_keys()


app = FastAPI()
app.add_event_handler("startup", connect)


@app.get("/limits")
async def limits():
    return get_settings()["limits"]


@app.get("/keys")
async def keys():
    return signing_keys()
'''


def _once(found):
    return sorted((d.path.rsplit("/", 1)[-1], d.line, d.route) for d in found if d.code == "ASL401")


def test_a_startup_handler_builds_it_before_any_request():
    found = lint_sources({"app/__init__.py": "", "app/settings.py": SETTINGS, "app/main.py": ON_EVENT})
    # the settings file is read at startup; the signing keys are still fetched by the first request
    assert _once(found) == [("settings.py", 19, "GET /keys")]


def test_an_event_handler_reaching_it_through_awaited_helpers_counts_too():
    found = lint_sources({"app/__init__.py": "", "app/settings.py": SETTINGS, "app/main.py": HANDLER})
    assert [x[1] for x in _once(found)] == [9, 10]


# An app built by a factory: its lifespan comes from a function that returns it, a shutdown
# handler is passed to the constructor. What runs only while the app starts or stops is not
# reported; what a request or a task started at startup runs still is.
FACTORY = '''\
import asyncio
import shutil
import time
from contextlib import asynccontextmanager

import requests
from fastapi import FastAPI

from .config import load_tls
from .routes import router, shared_refresh
from .scheduler import scheduler


def make_lifespan(settings: dict):
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        load_tls(settings["tls"])
        await warm_cache()
        await shared_refresh()
        await refresh_rates()
        scheduler.add_job(refresh_rates, "interval", minutes=5)
        task = asyncio.create_task(poll_prices())
        yield
        task.cancel()
        time.sleep(0.5)

    return lifespan


async def warm_cache():
    time.sleep(1)


async def refresh_rates():
    return requests.get("https://rates.example.com/today", timeout=5).json()


async def poll_prices():
    while True:
        requests.get("https://prices.example.com/feed", timeout=5)
        await asyncio.sleep(30)


async def close_files():
    shutil.rmtree("/var/cache/shop")


def create_app(settings: dict) -> FastAPI:
    app = FastAPI(lifespan=make_lifespan(settings), on_shutdown=[close_files])
    app.include_router(router)
    return app
'''

CONFIG = '''\
import ssl


def load_tls(path: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    with open(path) as fh:
        ctx.load_verify_locations(cadata=fh.read())
    return ctx
'''

ROUTES = '''\
import json

from fastapi import APIRouter

router = APIRouter(prefix="/prices")


async def shared_refresh():
    with open("/var/lib/shop/prices.json") as fh:
        return json.load(fh)


@router.get("/")
async def prices():
    return await shared_refresh()
'''

SCHEDULER = '''\
from apscheduler.schedulers.asyncio import AsyncIOScheduler

scheduler = AsyncIOScheduler()
'''


def test_what_runs_only_while_the_app_starts_or_stops_is_not_reported():
    found = lint_sources({"shop/__init__.py": "", "shop/factory.py": FACTORY, "shop/config.py": CONFIG,
                          "shop/routes.py": ROUTES, "shop/scheduler.py": SCHEDULER})
    got = sorted((d.path.rsplit("/", 1)[-1], d.line, d.function.rsplit(".", 1)[-1]) for d in found)
    assert got == [
        ("factory.py", 35, "refresh_rates"),  # also run every five minutes by the scheduler
        ("factory.py", 40, "poll_prices"),  # a task: it runs while requests are served
        ("routes.py", 9, "shared_refresh"),  # a route awaits it too
        ("routes.py", 10, "shared_refresh"),
    ]
    # the lifespan's own blocking (TLS files, the sleep after yield), warm_cache, the shutdown handler: none
    assert not [d for d in found if d.function.rsplit(".", 1)[-1] in ("lifespan", "warm_cache", "close_files")]
    # ... unless asked for, as ASL402
    everything = lint_sources({"shop/__init__.py": "", "shop/factory.py": FACTORY, "shop/config.py": CONFIG,
                               "shop/routes.py": ROUTES, "shop/scheduler.py": SCHEDULER}, select_all=True)
    startup = sorted((d.line, d.code, d.function.rsplit(".", 1)[-1], d.category) for d in everything
                     if d.code == "ASL402")
    assert startup == [(17, "ASL402", "lifespan", "file"), (25, "ASL402", "lifespan", "sleep"),
                       (31, "ASL402", "warm_cache", "sleep"), (45, "ASL402", "close_files", "file")]


def test_the_same_coroutines_are_reported_when_no_app_runs_them_at_startup():
    factory = FACTORY.replace("FastAPI(lifespan=make_lifespan(settings), on_shutdown=[close_files])", "FastAPI()")
    found = lint_sources({"shop/__init__.py": "", "shop/factory.py": factory, "shop/config.py": CONFIG,
                          "shop/routes.py": ROUTES, "shop/scheduler.py": SCHEDULER})
    functions = {d.function.rsplit(".", 1)[-1] for d in found}
    assert {"lifespan", "warm_cache", "close_files", "refresh_rates", "poll_prices"} <= functions


# Command-line commands (typer, click, cyclopts) run their coroutine on a loop of their own, once per
# invocation: nothing is served there, unless the command starts a server or tasks on that loop.
CLI = '''\
import asyncio

import click
import cyclopts
import typer
from rich.prompt import Confirm

from .ops import create_user, provision, serve_proxy

app = typer.Typer()
tools = cyclopts.App()


@app.command()
def create_superuser(name: str = ""):
    asyncio.run(create_user(name))


@tools.command
async def provision_infra():
    if Confirm.ask("Provision now?"):
        await provision()


@click.group()
def cli():
    pass


@cli.command()
def proxy():
    asyncio.run(serve_proxy())
'''

OPS = '''\
import asyncio
import subprocess

import typer
from rich.prompt import Confirm

from .server import ProxyServer


async def create_user(name: str):
    await asyncio.sleep(0)
    if not name:
        name = typer.prompt("Username")
    return name


async def provision():
    subprocess.run(["terraform", "apply"], check=True)


async def serve_proxy():
    server = ProxyServer()
    await server.start()
    if Confirm.ask("Open a tunnel?"):
        subprocess.run(["ngrok", "http", "8080"], check=True)
'''

SERVER = '''\
import asyncio


class ProxyServer:
    async def start(self) -> None:
        self.server = await asyncio.start_server(self.handle, "0.0.0.0", 8080)

    async def handle(self, reader, writer) -> None:
        writer.close()
'''

BOT = '''\
import requests
from slack_bolt.async_app import AsyncApp

bolt = AsyncApp()


@bolt.command("/weather")
async def weather(ack, respond, command):
    await ack()
    await respond(requests.get("https://wttr.in/?format=3", timeout=5).text)
'''


def test_command_line_commands_serve_nothing_unless_they_start_a_server():
    files = {"tool/__init__.py": "", "tool/cli.py": CLI, "tool/ops.py": OPS, "tool/server.py": SERVER,
             "tool/bot.py": BOT}
    got = sorted((d.path.rsplit("/", 1)[-1], d.line, d.code) for d in lint_sources(files))
    assert got == [
        ("bot.py", 10, "ASL101"),  # a Slack command handler: it runs on the bot's serving loop
        ("ops.py", 24, "ASL109"),  # the proxy serves on this loop while the question waits
        ("ops.py", 25, "ASL103"),
    ]
    everything = {(d.path.rsplit("/", 1)[-1], d.line): d for d in lint_sources(files, select_all=True)}
    assert {key: d.code for key, d in everything.items() if d.code == "ASL402"} == {
        ("ops.py", 13): "ASL402", ("ops.py", 18): "ASL402", ("cli.py", 21): "ASL402"}
    assert everything[("cli.py", 21)].message.startswith("in a command-line command: ")


# A cache of many entries is filled once per key: the keys the start-up asks for say nothing of the
# others. A registry that drops its entry when the call ends is no cache at all.
KEYED = '''\
import json
import os
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

_schemas: dict = {}
_held: dict = {}


def schema(name: str) -> dict:
    if name not in _schemas:
        _schemas[name] = json.loads(Path(f"/etc/shop/schemas/{name}.json").read_text())
    return _schemas[name]


@asynccontextmanager
async def file_lock(key: str, path: Path):
    existing = _held.get(key)
    if existing is not None:
        yield existing
        return
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    _held[key] = fd
    try:
        yield fd
    finally:
        del _held[key]
        os.close(fd)


@asynccontextmanager
async def lifespan(app: FastAPI):
    schema("order")
    async with file_lock("boot", Path("/tmp/boot.lock")):
        pass
    yield


app = FastAPI(lifespan=lifespan)


@app.post("/documents/{kind}")
async def create_document(kind: str, body: dict):
    async with file_lock(kind, Path(f"/tmp/{kind}.lock")):
        return {"valid": set(body) <= set(schema(kind)["properties"])}
'''


def test_a_cache_of_many_entries_warmed_at_startup_and_a_registry_of_locks():
    found = sorted((d.line, d.code) for d in lint_sources({"docs/__init__.py": "", "docs/main.py": KEYED}))
    # the schema cache: once per kind, reported once at the initializer although the start-up warms "order";
    # the lock registry: its file is opened on every request
    assert found == [(14, "ASL401"), (24, "ASL104")]


MIXED = '''\
import asyncio
import json
from contextlib import asynccontextmanager
from pathlib import Path

import typer
from fastapi import FastAPI


async def backfill_from_disk(root: Path) -> int:
    await asyncio.sleep(0)
    return len(json.loads((root / "index.json").read_text()))


@asynccontextmanager
async def lifespan(app: FastAPI):
    await backfill_from_disk(Path("/srv/kb"))
    yield


app = FastAPI(lifespan=lifespan)
cli = typer.Typer()


@cli.command()
def reconcile(root: str = "/srv/kb"):
    asyncio.run(backfill_from_disk(Path(root)))
'''


def test_a_coroutine_only_the_start_up_and_a_command_run_serves_no_request_either():
    assert lint_sources({"kb/__init__.py": "", "kb/main.py": MIXED}) == []
    (d,) = lint_sources({"kb/__init__.py": "", "kb/main.py": MIXED}, select_all=True)
    assert (d.line, d.code) == (12, "ASL402")
    assert "command-line command" in d.message.split(":", 1)[0]


LAZY_CLI = '''\
import cyclopts

app = cyclopts.App()
app.command("tool.version:version", name="version")
'''

LAZY_VERSION = '''\
from importlib.metadata import version as package_version


async def version():
    print(package_version("tool"))
'''


def test_a_command_registered_by_its_import_path_serves_no_request():
    files = {"tool/__init__.py": "", "tool/cli.py": LAZY_CLI, "tool/version.py": LAZY_VERSION}
    assert lint_sources(files) == []
    assert [(d.line, d.code) for d in lint_sources(files, select_all=True)] == [(5, "ASL402")]


SERVE_CMD = '''\
import asyncio
import json
import subprocess
from pathlib import Path

import click


class Proxy:
    async def start(self) -> None:
        self.server = await asyncio.start_server(self.handle, "0.0.0.0", 8080)

    async def handle(self, reader, writer) -> None:
        writer.close()


async def serve(config: str) -> None:
    await asyncio.sleep(0)
    settings = json.loads(Path(config).read_text())
    proxy = Proxy()
    await proxy.start()
    if settings.get("tunnel"):
        subprocess.run(["ngrok", "http", "8080"], check=True)


@click.command()
@click.argument("config")
def main(config: str) -> None:
    asyncio.run(serve(config))
'''


def test_a_serving_command_before_it_serves_is_its_start_up():
    files = {"px/__init__.py": "", "px/cli.py": SERVE_CMD}
    assert [(d.line, d.code) for d in lint_sources(files)] == [(23, "ASL103")]  # the proxy serves meanwhile
    everything = [(d.line, d.code) for d in lint_sources(files, select_all=True)]
    assert everything == [(19, "ASL402"), (23, "ASL103")]


HUB = '''\
import asyncio
import json
import sqlite3


class Hub:
    def __init__(self) -> None:
        self.db = sqlite3.connect("hub.sqlite")

    async def init_users(self) -> None:
        self.users = [row[0] for row in self.db.execute("SELECT name FROM users")]

    async def initialize(self) -> None:
        with open("hub_config.json") as fh:
            self.config = json.load(fh)
        await self.init_users()

    async def handle(self, reader, writer) -> None:
        name = (await reader.readline()).decode().strip()
        self.db.execute("INSERT INTO visits VALUES (?)", (name,))
        writer.close()

    async def start(self) -> None:
        server = await asyncio.start_server(self.handle, "0.0.0.0", 8081)
        await server.serve_forever()

    async def launch(self) -> None:
        await self.initialize()
        await self.start()


def main() -> None:
    asyncio.run(Hub().launch())
'''


def test_what_a_program_awaits_before_it_starts_serving_is_its_start_up():
    files = {"hub/__init__.py": "", "hub/app.py": HUB}
    assert [(d.line, d.code) for d in lint_sources(files)] == [(20, "ASL106")]  # per connection
    everything = sorted((d.line, d.code) for d in lint_sources(files, select_all=True))
    assert everything == [(11, "ASL402"), (11, "ASL402"), (14, "ASL402"), (15, "ASL402"), (20, "ASL106")]


TORNADO_APP = '''\
from functools import partial

from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.web import Application


class Hub:
    _instance = None

    @classmethod
    def instance(cls):
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    async def initialize(self, argv) -> None:
        with open("hub_config.py") as fh:
            self.config = fh.read()

    async def start(self) -> None:
        self.server = HTTPServer(Application([]))
        self.server.listen(8000)

    async def launch_instance_async(self, argv=None) -> None:
        await self.initialize(argv)
        await self.start()

    @classmethod
    def launch_instance(cls, argv=None) -> None:
        self = cls.instance()
        loop = IOLoop(make_current=False)
        loop.run_sync(partial(self.launch_instance_async, argv))
        loop.start()
'''

TORNADO_TEST = '''\
from hub.app import Hub


async def test_initialize():
    hub = Hub()
    await hub.initialize([])
    await hub.launch_instance_async([])
'''


def test_a_tornado_program_started_with_run_sync_and_tests_that_drive_it():
    files = {"hub/__init__.py": "", "hub/app.py": TORNADO_APP, "tests/test_app.py": TORNADO_TEST}
    assert lint_sources(files) == []
    assert [(d.line, d.code) for d in lint_sources(files, select_all=True)
            if d.path.endswith("app.py")] == [(18, "ASL402"), (19, "ASL402")]
