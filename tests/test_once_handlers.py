"""``except ImportError:`` fallbacks run once (the package is installed, or the fallback loaded, the
first time); a handler that also catches other errors runs whenever those happen."""

from asynclint.engine import lint_sources

INSTALLER = '''\
import importlib
import subprocess
import sys


def ensure_parser():
    try:
        return importlib.import_module("lxml")
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "lxml"])
        return importlib.import_module("lxml")


def install_with_uv(packages):
    try:
        uv = importlib.import_module("uv")
        subprocess.check_call([uv.find_uv_bin(), "pip", "install", *packages])
    except (ImportError, FileNotFoundError):
        subprocess.check_call([sys.executable, "-m", "pip", "install", *packages])
'''

ROUTES = '''\
from fastapi import APIRouter

from .installer import ensure_parser, install_with_uv

router = APIRouter()


@router.post("/pages")
async def parse_page(html: str):
    return ensure_parser().fromstring(html).tag


@router.post("/plugins")
async def add_plugin(names: list[str]):
    install_with_uv(names)
    return {"installed": names}
'''


def test_import_error_fallbacks_run_once_other_handlers_every_time():
    found = lint_sources({"svc/__init__.py": "", "svc/installer.py": INSTALLER, "svc/routes.py": ROUTES})
    got = sorted((d.path.rsplit("/", 1)[-1], d.line, d.code) for d in found)
    assert ("installer.py", 10, "ASL401") in got  # pip install lxml: the first request only
    assert ("routes.py", 15, "ASL203") in got  # the pip fallback runs whenever uv is missing
    assert not [g for g in got if g[0] == "installer.py" and g[1] != 10]  # no one-time install_with_uv


COLLECTIONS = '''\
from importlib.metadata import entry_points

_collections = None


def load_collections(reload: bool = False) -> dict:
    global _collections
    if _collections is not None and not reload:
        return _collections
    _collections = {e.name: e for e in entry_points(group="shop.plugins")}
    return _collections


def settings(force: bool = False) -> dict:
    global _settings
    if _settings is None or force:
        _settings = dict(entry.load() for entry in entry_points(group="shop.settings"))
    return _settings


_settings = None
'''

PLUGINS = '''\
from fastapi import APIRouter

from .collections import load_collections, settings

router = APIRouter()


@router.get("/plugins/{name}")
async def plugin(name: str):
    await router.default(None, None, None)
    return {"plugin": name in load_collections(), "settings": settings()}
'''


def test_a_cache_with_a_reload_flag_is_one_time_initialization():
    found = lint_sources({"shop/__init__.py": "", "shop/collections.py": COLLECTIONS, "shop/plugins.py": PLUGINS})
    assert sorted((d.path.rsplit("/", 1)[-1], d.line, d.code) for d in found) == [
        ("collections.py", 10, "ASL401"), ("collections.py", 17, "ASL401")]


# the attribute a lazy property tests is stored by a method of the class it calls (freqtrade's
# Exchange.markets: `if not self._markets: self.reload_markets(True)`): built the first time only.
# The same method called on every request (a refresh route) is still reported where it is called.
EXCHANGE = '''\
import json


class Exchange:
    def __init__(self, name: str) -> None:
        self.name = name
        self._markets: dict = {}
        self._checked = False

    @property
    def markets(self) -> dict:
        if not self._markets:
            self.reload_markets(force=True)
        return self._markets

    def reload_markets(self, force: bool = False) -> None:
        with open(f"/var/cache/{self.name}/markets.json") as fh:
            self._markets = json.load(fh)

    def status(self) -> dict:
        if not self._checked:
            self.log_status()
        return {"name": self.name}

    def log_status(self) -> None:
        with open("/var/log/exchange.log", "a") as fh:
            fh.write(self.name)


exchange = Exchange("binance")
'''

TRADES = '''\
from fastapi import APIRouter

from .exchange import exchange

router = APIRouter()


@router.get("/pairs")
async def pairs():
    return sorted(exchange.markets)


@router.post("/markets/reload")
async def reload():
    exchange.reload_markets()
    return {"ok": True}


@router.get("/status")
async def status():
    return exchange.status()
'''


def test_a_lazy_attribute_a_method_of_the_class_fills_is_one_time_initialization():
    found = lint_sources({"bot/__init__.py": "", "bot/exchange.py": EXCHANGE, "bot/trades.py": TRADES})
    assert sorted((d.path.rsplit("/", 1)[-1], d.line, d.code) for d in found) == [
        ("exchange.py", 13, "ASL401"),  # markets: the first GET /pairs reads the file, once
        ("trades.py", 14, "ASL301"),
        ("trades.py", 15, "ASL204"),  # POST /markets/reload reads it on every request
        ("trades.py", 20, "ASL301"),
        ("trades.py", 21, "ASL204"),  # log_status() stores nothing the test reads: every GET /status
    ]
