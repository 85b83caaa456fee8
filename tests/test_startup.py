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
