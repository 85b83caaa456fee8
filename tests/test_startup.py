"""One-time initialization that the app builds at startup (lifespan, startup handlers) is not
reported: no request ever waits for it. Initializers only requests reach still are."""

import os

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


# Commands registered by reference rather than by decorator (fastmcp's CLI: a cyclopts sub-app per
# folder, each module's command added with install_app.command(claude_command, name="claude"); a
# default command; typer's decorator applied by hand) run once per invocation too. A sub-app passed
# to command() registers no function, and a coroutine no command runs is still reported.


def test_commands_registered_by_reference_serve_no_request():
    """tests/fixtures/projects/cli_by_reference, by the default selection and with every rule."""
    here = os.path.join(os.path.dirname(__file__), "fixtures", "projects", "cli_by_reference")
    files = {}
    for name in ("__init__", "cli", "install", "client", "sync"):
        with open(os.path.join(here, "tool", f"{name}.py"), encoding="utf-8") as fh:
            files[f"tool/{name}.py"] = fh.read()
    assert [(d.path.rsplit("/", 1)[-1], d.line, d.code) for d in lint_sources(files)] == [("client.py", 20, "ASL204")]
    startup = sorted((d.path.rsplit("/", 1)[-1], d.line, d.code) for d in lint_sources(files, select_all=True)
                     if d.code == "ASL402")
    assert startup == [("client.py", 11, "ASL402"), ("client.py", 15, "ASL402"), ("client.py", 16, "ASL402"),
                       ("install.py", 9, "ASL402"), ("sync.py", 8, "ASL402")]


# A project decorator that runs the coroutine it wraps with asyncio.run (maubot's ``cliq.command``, the
# ``@coro`` idiom of click programs) makes the coroutine a command: alone on a loop of its own. One whose
# wrapper hands the coroutine back when a loop already runs (a sync/async bridge) does not: awaited from
# a coroutine, it runs on the caller's loop.
CLIQ = '''\
import asyncio
import functools
import inspect
import traceback

import click


@click.group()
def app():
    """The maubot command line."""


def command(help: str):
    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                res = func(*args, **kwargs)
                if inspect.isawaitable(res):
                    asyncio.run(res)
            except Exception:
                traceback.print_exc()

        return app.command(help=help)(wrapper)

    return decorator


def coro(f):
    @functools.wraps(f)
    def run(*args, **kwargs):
        return asyncio.run(f(*args, **kwargs))

    return run


def bridge(f):
    @functools.wraps(f)
    def call(*args, **kwargs):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(f(*args, **kwargs))
        return f(*args, **kwargs)

    return call


def logged(f):
    @functools.wraps(f)
    async def wrapper(*args, **kwargs):
        print("calling", f.__name__)
        return await f(*args, **kwargs)

    return wrapper
'''

COMMANDS = '''\
import json
import webbrowser

import aiohttp
import click

from . import cliq


def save_config(config: dict) -> None:
    with open("/home/bot/.config/maubot-cli.json", "w") as fh:
        json.dump(config, fh)


@cliq.command(help="Log in to a Maubot instance")
@click.option("--server", default="http://localhost:29316")
async def login(server: str) -> None:
    async with aiohttp.ClientSession() as sess:
        async with sess.post(f"{server}/_matrix/maubot/v1/auth/login") as resp:
            token = (await resp.json())["token"]
    save_config({"servers": {server: token}})


@cliq.command(help="Log into a Matrix account with single sign-on")
async def auth(sso_url: str) -> None:
    webbrowser.open(sso_url, autoraise=True)


@cliq.coro
async def upload(path: str) -> None:
    with open(path, "rb") as file:
        async with aiohttp.ClientSession() as sess:
            await sess.post("http://localhost:29316/_matrix/maubot/v1/plugins/upload", data=file.read())


@cliq.bridge
async def fetch_plugin(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


@cliq.logged
async def read_plugin(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()
'''


def test_a_decorator_that_runs_the_coroutine_with_asyncio_run_makes_it_a_command():
    files = {"mbc/__init__.py": "", "mbc/cliq.py": CLIQ, "mbc/commands.py": COMMANDS}
    got = sorted((d.line, d.code, d.function.rsplit(".", 1)[-1]) for d in lint_sources(files))
    assert got == [(38, "ASL104", "fetch_plugin"), (39, "ASL104", "fetch_plugin"),
                   (44, "ASL104", "read_plugin"), (45, "ASL104", "read_plugin")]
    quiet = sorted((d.line, d.code) for d in lint_sources(files, select_all=True) if d.code == "ASL402")
    assert quiet == [(21, "ASL402"), (26, "ASL402"), (31, "ASL402"), (33, "ASL402")]


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


# A crawler's command line (crawl4ai's shape): commands hand the loop a method of a project object
# (`asyncio.run(manager.fetch_docs())`, a module-level or a local instance, an attribute's method) or a
# function with its arguments (`anyio.run(profiler.launch, port)`). Starting a browser driver or a
# child process (`await playwright.start()`, `await browser.start()`) serves nobody; starting an
# aiohttp site does.
CRAWL_DOCS = '''\
import asyncio
import os

import requests


class IndexBuilder:
    def __init__(self, docs_dir: str) -> None:
        self.docs_dir = docs_dir

    async def generate_index_files(self) -> None:
        await asyncio.sleep(0)
        for name in os.listdir(self.docs_dir):
            with open(os.path.join(self.docs_dir, name)) as fh:
                fh.read()


class DocsManager:
    def __init__(self, docs_dir: str) -> None:
        self.docs_dir = docs_dir
        self.llm_text = IndexBuilder(docs_dir)

    async def fetch_docs(self) -> None:
        await asyncio.sleep(0)
        response = requests.get("https://docs.example.com/index.json", timeout=10)
        for name, text in response.json().items():
            with open(os.path.join(self.docs_dir, name), "w") as fh:
                fh.write(text)

    async def ensure_docs_exist(self) -> None:
        await asyncio.sleep(0)
        if not os.listdir(self.docs_dir):
            await self.fetch_docs()
'''

CRAWL_PROFILES = '''\
import asyncio
import json
import os
import shutil

from playwright.async_api import async_playwright


class ManagedBrowser:
    """Launches a local Chromium with a debugging port: a child process, not a server of ours."""

    def __init__(self, user_data_dir: str) -> None:
        self.user_data_dir = user_data_dir

    async def start(self) -> str:
        self.process = await asyncio.create_subprocess_exec("chromium", f"--user-data-dir={self.user_data_dir}")
        return "http://localhost:9222"


class BrowserProfiler:
    def __init__(self, home: str) -> None:
        self.home = home

    async def launch_builtin_browser(self, port: int, headless: bool) -> str:
        await asyncio.sleep(0)
        os.makedirs(os.path.join(self.home, "builtin"), exist_ok=True)
        with open(os.path.join(self.home, "builtin", "info.json"), "w") as fh:
            json.dump({"port": port, "headless": headless}, fh)
        return f"http://localhost:{port}"

    async def create_profile(self, name: str) -> str:
        pw = await async_playwright().start()
        context = await pw.chromium.launch_persistent_context(os.path.join(self.home, name))
        await context.close()
        os.makedirs(os.path.join(self.home, name, "meta"), exist_ok=True)
        return name

    async def open_profile(self, name: str) -> str:
        browser = ManagedBrowser(os.path.join(self.home, name))
        url = await browser.start()
        shutil.rmtree(os.path.join(self.home, name, "Cache"), ignore_errors=True)
        return url
'''

CRAWL_CLI = '''\
import asyncio
import subprocess

import anyio
import click
from aiohttp import web
from rich.prompt import Prompt

from .docs import DocsManager
from .profiles import BrowserProfiler

docs_manager = DocsManager("/tmp/crawler/docs")


async def manage_profiles(home: str) -> None:
    profiler = BrowserProfiler(home)
    while True:
        choice = Prompt.ask("1 create, 2 open, 3 exit", choices=["1", "2", "3"])
        if choice == "1":
            await profiler.create_profile(Prompt.ask("Profile name"))
        elif choice == "2":
            await profiler.open_profile(Prompt.ask("Profile to open"))
        else:
            break


async def serve_status(port: int) -> None:
    runner = web.AppRunner(web.Application())
    await runner.setup()
    subprocess.run(["chromium", "--version"], check=True)
    site = web.TCPSite(runner, "0.0.0.0", port)
    await site.start()
    while Prompt.ask("Stop serving?", choices=["y", "n"]) != "y":
        await asyncio.sleep(1)


@click.group()
def cli() -> None:
    pass


@cli.command()
def docs() -> None:
    asyncio.run(docs_manager.ensure_docs_exist())


@cli.command()
@click.argument("docs_dir")
def index(docs_dir: str) -> None:
    manager = DocsManager(docs_dir)
    asyncio.run(manager.llm_text.generate_index_files())


@cli.command()
@click.option("--port", type=int, default=9222)
def browser(port: int) -> None:
    profiler = BrowserProfiler("/tmp/crawler")
    click.echo(anyio.run(profiler.launch_builtin_browser, port, True))


@cli.command()
def profiles() -> None:
    anyio.run(manage_profiles, "/tmp/crawler")


@cli.command()
@click.option("--port", type=int, default=8080)
def status(port: int) -> None:
    anyio.run(serve_status, port)
'''


def test_commands_that_hand_the_loop_a_method_or_a_function_and_its_arguments():
    files = {"crawler/__init__.py": "", "crawler/docs.py": CRAWL_DOCS, "crawler/profiles.py": CRAWL_PROFILES,
             "crawler/cli.py": CRAWL_CLI}
    # only `status` serves (its aiohttp site): the question asked while the site serves is reported
    assert [(d.path.rsplit("/", 1)[-1], d.line, d.code) for d in lint_sources(files)] == [("cli.py", 33, "ASL109")]
    everything = sorted((d.path.rsplit("/", 1)[-1], d.line, d.code, d.function.rsplit(".", 1)[-1])
                        for d in lint_sources(files, select_all=True))
    assert everything == [
        ("cli.py", 18, "ASL402", "manage_profiles"),  # the menu's questions
        ("cli.py", 20, "ASL402", "manage_profiles"),
        ("cli.py", 22, "ASL402", "manage_profiles"),
        ("cli.py", 30, "ASL402", "serve_status"),  # before the site serves: its start-up
        ("cli.py", 33, "ASL109", "serve_status"),
        ("docs.py", 13, "ASL402", "generate_index_files"),  # an attribute's method, of a local instance
        ("docs.py", 14, "ASL402", "generate_index_files"),
        ("docs.py", 15, "ASL402", "generate_index_files"),
        ("docs.py", 25, "ASL402", "fetch_docs"),  # awaited by the method of a module-level instance
        ("docs.py", 27, "ASL402", "fetch_docs"),
        ("docs.py", 28, "ASL402", "fetch_docs"),
        ("docs.py", 32, "ASL402", "ensure_docs_exist"),
        ("profiles.py", 26, "ASL402", "launch_builtin_browser"),  # anyio.run(method, port, True)
        ("profiles.py", 27, "ASL402", "launch_builtin_browser"),
        ("profiles.py", 28, "ASL402", "launch_builtin_browser"),
        ("profiles.py", 35, "ASL402", "create_profile"),  # after playwright's driver started
        ("profiles.py", 41, "ASL402", "open_profile"),  # after the browser process started
    ]


# A lifespan that delegates its start-up to an inner async context manager (litellm's proxy:
# `async with AsyncExitStack() as resources, _proxy_lifespan(app, resources) as state: yield state`)
LIFESPAN_MAIN = '''\
import glob
import os
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from .db import session

app_state: dict = {}


@asynccontextmanager
async def _proxy_lifespan(app: FastAPI, resources: AsyncExitStack):
    for path in glob.glob("/var/run/proxy/*.db"):
        os.remove(path)
    await resources.enter_async_context(warm_caches(app))
    async with session() as db:
        app_state["models"] = db.list_models()
    yield {"ready": True}
    os.remove("/var/run/proxy/pid")


@asynccontextmanager
async def warm_caches(app: FastAPI):
    with open("/etc/proxy/models.yaml") as fh:
        app_state["config"] = fh.read()
    yield


@asynccontextmanager
async def lifespan(app: FastAPI):
    async with AsyncExitStack() as resources, _proxy_lifespan(app, resources) as state:
        yield state


app = FastAPI(lifespan=lifespan)


@app.get("/models")
async def models():
    async with session() as db:
        return db.list_models()
'''

LIFESPAN_DB = '''\
import sqlite3
from contextlib import asynccontextmanager


class Store:
    def __init__(self) -> None:
        self.conn = sqlite3.connect("/var/lib/proxy/state.db")

    def list_models(self) -> list:
        return [row[0] for row in self.conn.execute("SELECT name FROM models")]


@asynccontextmanager
async def session():
    store = Store()
    yield store
'''


# a second program that enters the same lifespan before it serves (litellm's spend collector)
LIFESPAN_COLLECTOR = '''\
import asyncio

from fastapi import FastAPI

from .main import lifespan


async def handle(reader, writer) -> None:
    writer.close()


async def run_collector(port: int) -> None:
    async with lifespan(FastAPI()):
        server = await asyncio.start_server(handle, "0.0.0.0", port)
        await server.serve_forever()


def main() -> None:
    asyncio.run(run_collector(9100))
'''


def test_a_lifespan_that_delegates_to_an_inner_context_manager():
    files = {"proxy/__init__.py": "", "proxy/main.py": LIFESPAN_MAIN, "proxy/db.py": LIFESPAN_DB,
             "proxy/collector.py": LIFESPAN_COLLECTOR}
    # the session is entered by a route too: opening the database there is per request
    got = sorted((d.path.rsplit("/", 1)[-1], d.line, d.code) for d in lint_sources(files))
    assert got == [("db.py", 15, "ASL206"), ("main.py", 42, "ASL206")]
    # the inner context manager's work (before and after its yield), and what it enters in turn
    everything = sorted((d.path.rsplit("/", 1)[-1], d.line, d.code) for d in lint_sources(files, select_all=True)
                        if d.code == "ASL402")
    assert everything == [("main.py", 14, "ASL402"), ("main.py", 15, "ASL402"), ("main.py", 18, "ASL402"),
                          ("main.py", 20, "ASL402"), ("main.py", 25, "ASL402"), ("main.py", 26, "ASL402")]


SITE_CMD = '''\
import asyncio
import json
import subprocess
from contextlib import asynccontextmanager
from pathlib import Path

import typer
from aiohttp import web

app = typer.Typer()


@asynccontextmanager
async def running_site(port: int):
    runner = web.AppRunner(web.Application())
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()
    yield runner
    await runner.cleanup()


async def serve(config: str) -> None:
    await asyncio.sleep(0)
    settings = json.loads(Path(config).read_text())
    async with running_site(settings["port"]):
        subprocess.run(["ngrok", "http", str(settings["port"])], check=True)


@app.command()
def main(config: str) -> None:
    asyncio.run(serve(config))
'''


def test_a_command_that_enters_a_context_manager_that_serves_is_serving():
    files = {"site/__init__.py": "", "site/cli.py": SITE_CMD}
    assert [(d.line, d.code) for d in lint_sources(files)] == [(26, "ASL103")]  # the site serves meanwhile
    assert [(d.line, d.code) for d in lint_sources(files, select_all=True)] == [(24, "ASL402"), (26, "ASL103")]


# litellm's proxy: the command that checks a config runs `proxy_config.get_config()` on its own loop,
# and admin routes await the same method per request
PROXY_CONFIG = '''\
import asyncio
import os

import yaml


class ProxyConfig:
    async def get_config(self, config_file_path: str = "config.yaml") -> dict:
        await asyncio.sleep(0)
        with open(config_file_path) as fh:
            return yaml.safe_load(fh)

    async def check_paths(self, config: dict) -> list:
        await asyncio.sleep(0)
        return [p for p in config.get("include", []) if not os.path.exists(p)]


proxy_config = ProxyConfig()
'''

PROXY_CLI = '''\
import asyncio

import click

from .config import proxy_config


@click.command()
@click.option("--config", default="config.yaml")
def check(config: str) -> None:
    loaded = asyncio.run(proxy_config.get_config(config_file_path=config))
    click.echo(asyncio.run(proxy_config.check_paths(loaded)))
'''

PROXY_ROUTES = '''\
from fastapi import APIRouter, FastAPI

from .config import proxy_config

router = APIRouter()


@router.get("/config/settings")
async def settings() -> dict:
    config = await proxy_config.get_config()
    return config.get("general_settings", {})


app = FastAPI()
app.include_router(router)
'''


def test_a_method_a_command_runs_and_routes_await_serves_requests():
    files = {"proxy/__init__.py": "", "proxy/config.py": PROXY_CONFIG, "proxy/cli.py": PROXY_CLI,
             "proxy/routes.py": PROXY_ROUTES}
    assert [(d.line, d.code, d.route) for d in lint_sources(files)] == [(10, "ASL104", "GET /config/settings")]
    assert [(d.line, d.code) for d in lint_sources(files, select_all=True) if d.code == "ASL402"] == [(15, "ASL402")]


# review 10 (openhands' sandbox action server): the lifespan builds the client, which initializes each
# plugin it was given through the plugins' abstract base class. Which plugin runs is not written at
# the call, but every implementation is started there and nowhere else: start-up. The plugins' run()
# is awaited by a route through the same base class: it serves requests.
PLUGINS = '''\
import subprocess
import time
from abc import abstractmethod

import requests


class Plugin:
    name: str

    @abstractmethod
    async def initialize(self, username: str) -> None:
        """Start what the plugin needs."""

    @abstractmethod
    async def run(self, code: str) -> str:
        pass


class JupyterPlugin(Plugin):
    name = "jupyter"

    async def initialize(self, username: str) -> None:
        self.gateway = subprocess.Popen(["jupyter", "kernelgateway", "--port", "40000"])
        time.sleep(1)

    async def run(self, code: str) -> str:
        return requests.post("http://localhost:40000/execute", json={"code": code}, timeout=60).text


class SkillsPlugin(Plugin):
    name = "skills"

    async def initialize(self, username: str) -> None:
        with open(f"/home/{username}/.skills") as fh:
            self.skills = fh.read().split()

    async def run(self, code: str) -> str:
        return code
'''

ACTION_SERVER = '''\
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .plugins import JupyterPlugin, Plugin, SkillsPlugin


class ActionClient:
    def __init__(self, plugins_to_load: list[Plugin], username: str) -> None:
        self.plugins_to_load = plugins_to_load
        self.username = username
        self.plugins: dict[str, Plugin] = {}

    async def ainit(self) -> None:
        for plugin in self.plugins_to_load:
            await plugin.initialize(self.username)
            self.plugins[plugin.name] = plugin

    async def run_cell(self, plugin: Plugin, code: str) -> str:
        return await plugin.run(code)


client: ActionClient = ActionClient([JupyterPlugin(), SkillsPlugin()], "sandbox")


@asynccontextmanager
async def lifespan(app: FastAPI):
    await client.ainit()
    yield


app = FastAPI(lifespan=lifespan)


@app.post("/execute/{name}")
async def execute(name: str, code: str) -> dict:
    return {"output": await client.run_cell(client.plugins[name], code)}
'''


def test_implementations_of_an_abstract_method_only_the_lifespan_awaits_run_at_start_up():
    files = {"sandbox/__init__.py": "", "sandbox/plugins.py": PLUGINS, "sandbox/server.py": ACTION_SERVER}
    assert [(d.path.rsplit("/", 1)[-1], d.line, d.code) for d in lint_sources(files)] == [
        ("plugins.py", 28, "ASL101")]  # JupyterPlugin.run, awaited by POST /execute/{name}
    quiet = [(d.line, d.code, d.message.split(":")[0]) for d in lint_sources(files, select_all=True)
             if d.code == "ASL402"]
    assert quiet == [(line, "ASL402", "while the app starts or stops") for line in (24, 25, 35, 36)]


# An app whose keyword arguments are gathered first and spread into FastAPI(**kwargs) (lightrag's
# create_app: `app_kwargs = {..., "lifespan": lifespan}`; zenml's deployment runner:
# `dict(..., lifespan=self.lifespan)`, a method of the class that builds the app)
STORE = '''\
import json


def read_settings(path: str) -> dict:
    with open(path) as fh:
        return json.load(fh)


class Registry:
    def __init__(self, path: str):
        self.entries = read_settings(path)

    def lookup(self, name: str) -> dict:
        return self.entries.get(name, {})
'''

SPREAD_APP = '''\
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .store import Registry, read_settings


def create_app(config_path: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.settings = read_settings(config_path)
        yield

    app_kwargs = {
        "title": "Search",
        "version": "1.0",
        "lifespan": lifespan,
    }
    app_kwargs["docs_url"] = None
    app = FastAPI(**app_kwargs)

    @app.get("/settings")
    async def settings() -> dict:
        return read_settings(config_path)

    return app


class DeploymentRunner:
    def __init__(self, path: str):
        self.path = path
        self.registry = None

    def build(self, extra: dict) -> FastAPI:
        fastapi_kwargs = dict(title="Deployment", description="runner", docs_url="/docs",
                              redoc_url=None, root_path="", lifespan=self.lifespan)
        fastapi_kwargs.update(extra)
        return FastAPI(**fastapi_kwargs)

    @asynccontextmanager
    async def lifespan(self, app: FastAPI):
        self.registry = Registry(self.path)
        yield
        read_settings(self.path)
'''


def test_a_lifespan_passed_in_a_mapping_of_keyword_arguments_runs_at_start_up():
    files = {"search/__init__.py": "", "search/store.py": STORE, "search/app.py": SPREAD_APP}
    # only the route reads the settings while requests are served
    assert [(d.path.rsplit("/", 1)[-1], d.line, d.code) for d in lint_sources(files)] == [
        ("app.py", 23, "ASL301"), ("app.py", 24, "ASL204")]
    quiet = [(d.line, d.code, d.message.split(":")[0]) for d in lint_sources(files, select_all=True)
             if d.code == "ASL402"]
    assert quiet == [(line, "ASL402", "while the app starts or stops") for line in (11, 42, 44)]


# A command-line tool that runs its coroutines through its own helper, which calls the coroutine
# function it is given on a new loop (datasette's `run_sync(lambda: inspect_(files))`)
TOOL_APP = '''\
import glob
import os


class Catalog:
    def __init__(self, pattern: str):
        self.files = glob.glob(pattern)

    async def check(self) -> int:
        return len(self.files)


def find_extension():
    for candidate in ("/usr/lib/mod_spatialite.so", "/usr/local/lib/mod_spatialite.dylib"):
        if os.path.exists(candidate):
            return candidate
    return None
'''

TOOL_CLI = '''\
import asyncio

import click

from .app import Catalog, find_extension


def run_sync(coro_func):
    """Run an async callable to completion on a fresh event loop."""
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(coro_func())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


async def inspect_(pattern: str) -> int:
    catalog = Catalog(pattern)
    return await catalog.check()


async def check_setup(catalog: Catalog) -> None:
    try:
        await catalog.check()
    except RuntimeError:
        find_extension()


@click.group()
def cli():
    pass


@cli.command()
@click.argument("pattern")
def inspect(pattern):
    click.echo(run_sync(lambda: inspect_(pattern)))


@cli.command()
def serve():
    catalog = Catalog("*.db")
    run_sync(catalog.check)
    run_sync(lambda: check_setup(catalog))
'''


def test_a_helper_that_calls_the_coroutine_function_it_is_given_on_a_new_loop_runs_commands():
    files = {"tool/__init__.py": "", "tool/app.py": TOOL_APP, "tool/cli.py": TOOL_CLI}
    assert lint_sources(files) == []
    quiet = [(d.line, d.code, d.message.split(":")[0]) for d in lint_sources(files, select_all=True)
             if d.code == "ASL402"]
    assert quiet == [(20, "ASL402", "in a command-line command"), (28, "ASL402", "in a command-line command")]


# A cache of many entries that only the start-up fills (zenml's deployment runner: the lifespan's
# startup() loads each stack component through Stack.from_model(), cached by id): no request reaches
# it, whatever key it is asked for; the same cache also read by a route stays reported once per key.
COMPONENTS = '''\
import json

_COMPONENTS: dict = {}
_PLUGINS: dict = {}


def component(component_id: str) -> dict:
    if component_id not in _COMPONENTS:
        with open(f"/srv/components/{component_id}.json") as fh:
            _COMPONENTS[component_id] = json.load(fh)
    return _COMPONENTS[component_id]


def plugin(name: str) -> dict:
    if name not in _PLUGINS:
        with open(f"/srv/plugins/{name}.json") as fh:
            _PLUGINS[name] = json.load(fh)
    return _PLUGINS[name]
'''

COMPONENTS_APP = '''\
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .components import component, plugin


async def load_stack(ids: list) -> list:
    return [component(i) for i in ids]


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.stack = await load_stack(["orchestrator", "artifact-store"])
    app.state.auth = plugin("auth")
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/plugins/{name}")
async def read_plugin(name: str) -> dict:
    return plugin(name)
'''


def test_a_cache_of_many_entries_only_the_start_up_fills_runs_at_start_up():
    files = {"deploy/__init__.py": "", "deploy/components.py": COMPONENTS, "deploy/app.py": COMPONENTS_APP}
    assert [(d.path.rsplit("/", 1)[-1], d.line, d.code) for d in lint_sources(files)] == [
        ("components.py", 16, "ASL401"), ("components.py", 17, "ASL401")]  # plugin(): a route asks for new keys
    quiet = [(d.line, d.code, d.message.split(":")[0]) for d in lint_sources(files, select_all=True)
             if d.code == "ASL402"]
    assert quiet == [(9, "ASL402", "while the app starts or stops"), (10, "ASL402", "while the app starts or stops")]


EXEC_KEYS = '''\
import json


def load_private_key(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def load_jwks(path: str) -> dict:
    with open(path) as fh:
        return json.load(fh)
'''

EXEC_APP = '''\
from contextlib import asynccontextmanager
from typing import AsyncContextManager, Callable

from fastapi import FastAPI

from .keys import load_jwks, load_private_key

Lifespan = Callable[[FastAPI], AsyncContextManager[None]]


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.signing_key = load_private_key("/etc/exec/jwt.pem")
    yield


def create_app(lifespan: Lifespan = lifespan) -> FastAPI:
    # a test passes its own lifespan; the server takes the default
    app = FastAPI(lifespan=lifespan)

    @app.get("/jwks")
    async def jwks() -> dict:
        return load_jwks("/etc/exec/jwks.json")

    return app
'''


def test_a_lifespan_an_app_factory_takes_as_a_parameter_default_runs_at_start_up():
    # airflow's create_task_execution_api_app(lifespan: svcs.fastapi.lifespan = lifespan)
    files = {"execapi/__init__.py": "", "execapi/keys.py": EXEC_KEYS, "execapi/app.py": EXEC_APP}
    got = [(d.path.rsplit("/", 1)[-1], d.line, d.code, d.function.rsplit(".", 1)[-1]) for d in lint_sources(files)]
    # the route still blocks on every request
    assert got == [("app.py", 22, "ASL301", "jwks"), ("app.py", 23, "ASL204", "jwks")]
    quiet = [(d.line, d.code, d.function.rsplit(".", 1)[-1]) for d in lint_sources(files, select_all=True)
             if d.code == "ASL402"]
    assert quiet == [(13, "ASL402", "lifespan")]


VERSIONED_APP = '''\
from contextlib import asynccontextmanager

from cadwyn import Cadwyn, HeadVersion, Version, VersionBundle
from fastapi import FastAPI

from .keys import load_private_key


class VersionedApp(Cadwyn):
    def openapi(self) -> dict:
        return super().openapi()


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.signing_key = load_private_key("/etc/exec/jwt.pem")
    yield


app = VersionedApp(lifespan=lifespan, versions=VersionBundle(HeadVersion(), Version("2025-01-01")))


@app.get("/health")
async def health() -> dict:
    return {"key": load_private_key("/etc/exec/jwt.pem")}
'''


def test_a_cadwyn_app_is_an_app_its_lifespan_runs_at_start_up():
    # cadwyn.Cadwyn subclasses FastAPI (airflow's execution API is a subclass of it)
    files = {"execapi/__init__.py": "", "execapi/keys.py": EXEC_KEYS, "execapi/main.py": VERSIONED_APP}
    got = [(d.line, d.code, d.function.rsplit(".", 1)[-1], d.route) for d in lint_sources(files)]
    assert got == [(24, "ASL301", "health", "GET /health"), (25, "ASL204", "health", "GET /health")]
    quiet = [(d.line, d.code) for d in lint_sources(files, select_all=True) if d.code == "ASL402"]
    assert quiet == [(16, "ASL402")]


COLLECTOR_GRPC = '''\
from .tls import read_tls


class GrpcServer:
    def __init__(self, port: int) -> None:
        self.port = port

    async def __aenter__(self) -> "GrpcServer":
        self.key = read_tls("/etc/collector/key.pem")
        return self

    async def __aexit__(self, *exc) -> None:
        self.key = None


class Uploader:
    async def __aenter__(self) -> "Uploader":
        self.token = read_tls("/etc/collector/token")
        return self

    async def __aexit__(self, *exc) -> None:
        self.token = None
'''

COLLECTOR_TLS = '''\
def read_tls(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()
'''

COLLECTOR_APP = '''\
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from .grpc_server import GrpcServer, Uploader


def make_lifespan(port: int):
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with AsyncExitStack() as stack:
            grpc_server = GrpcServer(port)
            await stack.enter_async_context(grpc_server)
            yield


    return lifespan


app = FastAPI(lifespan=make_lifespan(4317))


@app.post("/upload")
async def upload() -> dict:
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(Uploader())
    return {}
'''


def test_a_context_manager_the_lifespan_enters_on_an_exit_stack_is_entered_at_start_up():
    # phoenix's lifespan: await stack.enter_async_context(grpc_server), ...
    files = {"collector/__init__.py": "", "collector/tls.py": COLLECTOR_TLS,
             "collector/grpc_server.py": COLLECTOR_GRPC, "collector/app.py": COLLECTOR_APP}
    got = [(d.path.rsplit("/", 1)[-1], d.line, d.code, d.function.rsplit(".", 1)[-1], d.route)
           for d in lint_sources(files)]
    # a route enters the uploader: that one blocks a request
    assert got == [("grpc_server.py", 18, "ASL204", "__aenter__", "POST /upload")]
    quiet = [(d.path.rsplit("/", 1)[-1], d.line, d.code) for d in lint_sources(files, select_all=True)
             if d.code == "ASL402"]
    assert quiet == [("grpc_server.py", 9, "ASL402")]


# `async with GrpcServer(port):` awaits GrpcServer.__aenter__ (review 12's left item, arize-phoenix's
# start-up server written without an exit stack): entered only by the lifespan, its key file is read at
# start-up (ASL402); entered by a route as well, it is read for that route.
TLS_SERVER = '''\
class TlsServer:
    def __init__(self, port: int) -> None:
        self.port = port

    async def __aenter__(self) -> "TlsServer":
        with open("/etc/tls/server.key", "rb") as fh:
            self.key = fh.read()
        return self

    async def __aexit__(self, *exc) -> None:
        self.key = b""
'''

TLS_APP = '''\
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .tls_server import TlsServer


@asynccontextmanager
async def lifespan(app: FastAPI):
    async with TlsServer(50051):
        yield


app = FastAPI(lifespan=lifespan)


@app.get("/health")
async def health() -> dict:
    return {"ok": True}
'''


def test_a_class_the_lifespan_enters_with_async_with_is_entered_at_start_up():
    files = {"svc/__init__.py": "", "svc/tls_server.py": TLS_SERVER, "svc/main.py": TLS_APP}
    assert lint_sources(files) == []
    quiet = [(d.path.rsplit("/", 1)[-1], d.line, d.code) for d in lint_sources(files, select_all=True)]
    assert quiet == [("tls_server.py", 6, "ASL402"), ("tls_server.py", 7, "ASL402")]
    # a route that enters one too reads the key on every request
    files["svc/main.py"] = TLS_APP + '''

@app.post("/probe")
async def probe() -> dict:
    async with TlsServer(50052) as server:
        return {"port": server.port}
'''
    got = [(d.path.rsplit("/", 1)[-1], d.line, d.code, d.route) for d in lint_sources(files)]
    assert got == [("tls_server.py", 6, "ASL104", "POST /probe"), ("tls_server.py", 7, "ASL104", "POST /probe")]


# A job server that ends its own loop: the coroutine a signal schedules to flush and stop the loop
# ends the program; one that serves and then stops the loop does not (what it awaits while it serves
# runs beside the connections), nor one that stops the loop only on one branch, nor one that stops
# a periodic callback.
LOOP_ENDERS = '''\
import asyncio
import json
import signal
import sqlite3

db = sqlite3.connect("jobs.sqlite")


async def handle(reader, writer) -> None:
    writer.write(b"ok")
    writer.close()


async def run_jobs() -> None:
    while True:
        db.execute("DELETE FROM jobs WHERE done = 1")
        await asyncio.sleep(1)


async def serve_until_done() -> None:
    server = await asyncio.start_server(handle, "0.0.0.0", 9000)
    await run_jobs()
    server.close()
    asyncio.get_event_loop().stop()


async def flush() -> None:
    db.commit()


async def shutdown() -> None:
    await flush()
    asyncio.get_event_loop().stop()


async def reload() -> None:
    with open("jobs.json") as fh:
        settings = json.load(fh)
    if settings.get("stop"):
        asyncio.get_event_loop().stop()
        return
    db.execute("UPDATE jobs SET priority = 0")


def main() -> None:
    loop = asyncio.new_event_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(shutdown()))
    loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(reload()))
    loop.create_task(serve_until_done())
    loop.run_forever()


async def pause(poll_loop) -> None:
    db.execute("UPDATE jobs SET paused = 1")
    poll_loop.stop()


def at_exit() -> None:
    asyncio.run(flush())
'''


def test_a_coroutine_whose_last_call_stops_its_loop_ends_the_program():
    files = {"jobs/__init__.py": "", "jobs/server.py": LOOP_ENDERS}
    assert sorted((d.line, d.code) for d in lint_sources(files)) == [
        (16, "ASL106"), (37, "ASL104"), (38, "ASL104"), (42, "ASL106"), (54, "ASL106")]
    (d,) = [d for d in lint_sources(files, select_all=True) if d.code == "ASL402"]
    assert (d.line, d.message.split(":", 1)[0]) == (28, "while the app starts or stops")


# A program's main coroutine, started by asyncio.run or, when a loop runs already (a notebook), as a
# task of it: what it does before it serves is its start-up, unless a coroutine awaits it too.
STARTED_TWICE = '''\
import asyncio
import json


async def handle(reader, writer) -> None:
    writer.close()


async def main() -> None:
    with open("server.json") as fh:
        port = json.load(fh)["port"]
    server = await asyncio.start_server(handle, "0.0.0.0", port)
    await server.serve_forever()


def run() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(main())
    else:
        asyncio.create_task(main())
'''


def test_a_main_coroutine_also_started_as_a_task_from_sync_code_starts_the_program():
    files = {"srv/__init__.py": "", "srv/app.py": STARTED_TWICE}
    assert lint_sources(files) == []
    assert [(d.line, d.code) for d in lint_sources(files, select_all=True)] == [(10, "ASL402"), (11, "ASL402")]
    files["srv/app.py"] = STARTED_TWICE + '''

async def restart() -> None:
    await asyncio.sleep(1)
    await main()
'''
    assert [(d.line, d.code) for d in lint_sources(files)] == [(10, "ASL104"), (11, "ASL104")]
