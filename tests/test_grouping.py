"""One cause, one finding in the text report: call sites of one blocking helper, and the lines of one
file access, are shown once with the others under it; JSON and SARIF keep every line with a shared root."""

import json
import os

from click.testing import CliRunner

from asynclint.cli import main

HELPERS = '''\
import time


def pause():
    time.sleep(1)
'''

ROUTES = '''\
import json
import os

from .helpers import pause


async def a():
    pause()


async def b():
    pause()


async def c():
    pause()


async def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return json.load(fh)
'''


def _project(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "helpers.py").write_text(HELPERS)
    (tmp_path / "app" / "routes.py").write_text(ROUTES)
    return str(tmp_path)


def _invoke(root, *args):
    old = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(main, ["app", "--no-cache", *args])
    finally:
        os.chdir(old)


def test_text_shows_one_line_per_cause(tmp_path):
    out = _invoke(_project(tmp_path)).output.replace(os.sep, "/")
    shown = [line for line in out.splitlines() if line.startswith("app/")]
    assert shown == [
        "app/routes.py:8:5: ASL202 calls pause(), which blocks on time.sleep() (sleep)",
        "app/routes.py:23:16: ASL104 blocking file I/O json.load() in async function load",
    ]
    assert "… and 2 more call sites of the same blocking call (--show-all lists them)" in out
    assert "… the same file access on lines 20 (os.path.exists()), 22 (open())" in out
    assert "Found 6 blocking calls (2 causes) in 1 file" in out


def test_show_all_and_json_keep_every_site(tmp_path):
    root = _project(tmp_path)
    shown = [line for line in _invoke(root, "--show-all").output.splitlines() if line.startswith("app")]
    assert len(shown) == 6
    doc = json.loads(_invoke(root, "--format", "json").output)
    roots = [d["root"] for d in doc["diagnostics"]]
    assert len(roots) == 6 and len(set(roots)) == 2


STARTUP = '''\
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .helpers import pause


@asynccontextmanager
async def lifespan(app: FastAPI):
    pause()
    yield


app = FastAPI(lifespan=lifespan)
'''

SERVING = '''\
from fastapi import APIRouter

from .helpers import pause

router = APIRouter()


@router.post("/items")
async def create(item: dict):
    await item_created(item)
    pause()
    return item


async def item_created(item):
    return item
'''


def test_a_cause_is_shown_at_a_request_time_call_site_before_a_startup_one(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "helpers.py").write_text(HELPERS)
    (tmp_path / "app" / "a_main.py").write_text(STARTUP)
    (tmp_path / "app" / "z_items.py").write_text(SERVING)
    # the lifespan's call is ASL402, off by default: the request's call site alone
    out = _invoke(str(tmp_path)).output.replace(os.sep, "/")
    shown = [line for line in out.splitlines() if line.startswith("app/")]
    assert shown == ["app/z_items.py:11:5: ASL202 calls pause(), which blocks on time.sleep() (sleep) [POST /items]"]
    assert "more call site" not in out
    # asked for, it is the same cause, shown at the request's call site
    out = _invoke(str(tmp_path), "--extend-select", "ASL402").output.replace(os.sep, "/")
    shown = [line for line in out.splitlines() if line.startswith("app/")]
    assert shown == ["app/z_items.py:11:5: ASL202 calls pause(), which blocks on time.sleep() (sleep) [POST /items]"]
    assert "… and 1 more call site" in out


ONE_PATH = '''\
import os
import shutil
import tempfile


async def stage(home: str, src: str):
    out_dir = f"{home}/certs"
    shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    shutil.move(src, out_dir)


async def download(dest: str, chunks: list):
    fd, path = tempfile.mkstemp()
    f = open(fd, "wb")
    for chunk in chunks:
        f.write(chunk)
    f.close()
    shutil.move(path, dest)
'''


def test_one_path_through_fstrings_and_unpacked_temp_files_is_one_cause(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "files.py").write_text(ONE_PATH)
    out = _invoke(str(tmp_path)).output.replace(os.sep, "/")
    shown = [line for line in out.splitlines() if line.startswith("app/")]
    assert len(shown) == 2, out
    assert "(2 causes)" in out


def test_one_lock_taken_twice_in_a_coroutine_is_one_cause(fixtures_dir):
    from asynclint.engine import Options, run

    project = os.path.join(fixtures_dir, "projects", "lock_sections")
    result = run([project], Options(use_cache=False))
    locks = {d.line: d.root for d in result.diagnostics if d.code == "ASL108"}
    # get_model takes registry._state_lock on lines 44 and 47: one cause, shown at the first
    assert locks[44] == locks[47] and locks[44].endswith(":44:with threading.Lock")
    assert len({locks[44], locks[54], locks[62]}) == 3  # other locks, other causes


def test_one_global_built_lazily_in_two_modules_is_one_cause(fixtures_dir):
    from asynclint.engine import Options, run

    project = os.path.join(fixtures_dir, "projects", "once_guards")
    result = run([project], Options(use_cache=False))
    once = {(os.path.basename(d.path), d.line): d.root for d in result.diagnostics if d.code == "ASL401"}
    # state.offline_chat: `is None` in helpers.py, `is None or ....loaded_model is None` in adapters.py
    assert once[("helpers.py", 9)] == once[("adapters.py", 10)]
    # other caches, other causes: the tokenizers dict, state.config
    assert len({once[("helpers.py", 9)], once[("helpers.py", 17)], once[("routes.py", 17)]}) == 3
