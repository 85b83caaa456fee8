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


async def get_config_from_file(config_file_path: str) -> dict:
    file_path = config_file_path or "config.yaml"
    if os.path.exists(f"{file_path}"):
        with open(f"{file_path}", "r") as config_file:
            return config_file.read()
    return {}
'''


def test_one_path_through_fstrings_and_unpacked_temp_files_is_one_cause(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "files.py").write_text(ONE_PATH)
    out = _invoke(str(tmp_path)).output.replace(os.sep, "/")
    shown = [line for line in out.splitlines() if line.startswith("app/")]
    assert len(shown) == 3, out
    assert "(3 causes)" in out


def test_one_lock_taken_twice_in_a_coroutine_is_one_cause(fixtures_dir):
    from asynclint.engine import Options, run

    project = os.path.join(fixtures_dir, "projects", "lock_sections")
    result = run([project], Options(use_cache=False))
    locks = {d.line: d.root for d in result.diagnostics if d.code == "ASL108"}
    # get_model takes registry._state_lock on lines 45 and 48: one cause, shown at the first
    assert locks[45] == locks[48] and locks[45].endswith(":45:with threading.Lock")
    assert len({locks[45], locks[55], locks[63]}) == 3  # other locks, other causes


def test_one_global_built_lazily_in_two_modules_is_one_cause(fixtures_dir):
    from asynclint.engine import Options, run

    project = os.path.join(fixtures_dir, "projects", "once_guards")
    result = run([project], Options(use_cache=False))
    once = {(os.path.basename(d.path), d.line): d.root for d in result.diagnostics if d.code == "ASL401"}
    # state.offline_chat: `is None` in helpers.py, `is None or ....loaded_model is None` in adapters.py
    assert once[("helpers.py", 9)] == once[("adapters.py", 10)]
    # other caches, other causes: the tokenizers dict, state.config
    assert len({once[("helpers.py", 9)], once[("helpers.py", 17)], once[("routes.py", 19)]}) == 3


# ---------------------------------------------------------------- one file, one object: one cause
# (review 3: D1-D5 grouped, N3 kept apart). A project whose coroutines use one path or one client
# in several lines, through its own helpers too; every finding stays in JSON, grouped by root.

STORAGE = '''\
import os
from pathlib import Path

LOG_DIR = "/var/log/app"


def write_file_durable(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def download_dir(run_id: str) -> Path:
    folder = Path("/srv/downloads") / run_id
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def get_log_file(name: str) -> str:
    os.makedirs(LOG_DIR, exist_ok=True)
    return os.path.join(LOG_DIR, name + ".log")
'''

SHAPES = '''\
import asyncio
import json
import os
import secrets
import shutil
import smtplib
import subprocess
import sys
import tempfile
from email.message import EmailMessage
from pathlib import Path

from fastapi import APIRouter, UploadFile

from .storage import download_dir, fsync_directory, get_log_file, write_file_durable

router = APIRouter()
HOME = "/var/lib/app"


@router.post("/transcribe")
async def transcribe(file: UploadFile, stt):
    name = f"/tmp/{file.filename}"
    try:
        with open(name, "wb") as w:
            w.write(await file.read())
        audio = open(name, "rb")
        text = await stt(audio)
    finally:
        audio.close()
        os.remove(name)
    return {"text": text}


async def store_prefix(path: str, upload) -> None:
    fh = open(path, "rb")

    async def _run() -> None:
        try:
            await upload(fh)
        finally:
            fh.close()

    await asyncio.shield(asyncio.ensure_future(_run()))


async def save_as(source: str, destination: str) -> None:
    target = Path(destination)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


async def export(path: Path, data: bytes, register) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    stem, n = path.stem, 2
    while True:
        try:
            with path.open("xb") as out:
                out.write(data)
            break
        except FileExistsError:
            path = path.with_name(f"{stem}-{n}{path.suffix}")
            n += 1
    await register(path)
    return path.stat().st_size


async def export_rows(run_id: str, filename: str, data: bytes) -> int:
    path = download_dir(run_id) / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as out:
        out.write(data)
    return path.stat().st_size


async def send_email(host: str, port: int, user: str, password: str, message: EmailMessage) -> None:
    smtp = smtplib.SMTP(host, port)
    smtp.starttls()
    smtp.login(user, password)
    smtp.send_message(message)
    smtp.quit()


async def store_item(item_path: Path, payload: bytes) -> None:
    temp_path = item_path.with_suffix(f".{secrets.token_urlsafe(8)}.tmp")
    try:
        write_file_durable(temp_path, payload)
        temp_path.replace(item_path)
        fsync_directory(item_path.parent)
    finally:
        temp_path.unlink(missing_ok=True)


async def launch_worker(name: str) -> subprocess.Popen:
    with open(get_log_file(name), "ab") as log:
        return subprocess.Popen(["worker", name], stdout=log)


async def run_ffmpeg_to_temp(src: str, suffix: str):
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as dst_tmp:
        dst_path = dst_tmp.name
    proc = await asyncio.create_subprocess_exec("ffmpeg", "-y", "-i", src, dst_path)
    await proc.wait()
    if proc.returncode != 0 or not os.path.exists(dst_path) or os.path.getsize(dst_path) == 0:
        if os.path.exists(dst_path):
            os.unlink(dst_path)
        return None
    return dst_path


async def launch(python_executable, config: dict) -> str:
    executable = python_executable or sys.executable
    if not os.path.isfile(executable) or not os.access(executable, os.X_OK):
        raise ValueError("no interpreter")
    os.makedirs(HOME, exist_ok=True)
    fd, path = tempfile.mkstemp(suffix=".json", dir=HOME)
    with os.fdopen(fd, "w") as stream:
        json.dump(config, stream)
    return path


async def folder_sizes(folder: str) -> dict:
    out = {}
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            out[name] = os.path.getsize(path)
    return out


async def record(log_path: Path, line: str) -> None:
    marker = log_path.parent.parent / "last-run"
    marker.write_text(line)
    log_path.parent.mkdir(exist_ok=True)
    with log_path.open("a") as log:
        log.write(line)


async def two_clients(host: str, other: str) -> None:
    first = smtplib.SMTP(host)
    first.noop()
    second = smtplib.SMTP(other)
    second.noop()


async def pictures(folder: str):
    p = Path(folder)
    if p.exists():
        return [f.name for f in p.iterdir() if f.is_file()]
    return []


async def upload_chunks(tail, chunks):
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp_path = os.path.join(tmp_dir, tail)
        with open(tmp_path, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
'''


def _shapes(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "storage.py").write_text(STORAGE)
    (tmp_path / "app" / "shapes.py").write_text(SHAPES)
    return str(tmp_path)


def _causes(root) -> dict:
    """{function: sorted [sorted lines of one root]} of the findings in app/shapes.py."""
    doc = json.loads(_invoke(root, "--format", "json").output)
    by_root: dict = {}
    for d in doc["diagnostics"]:
        if d["path"].replace(os.sep, "/").endswith("app/shapes.py"):
            top = d["function"].split(".")[2]
            by_root.setdefault((top, d["root"]), []).append(d["line"])
    out: dict = {}
    for (top, _), lines in by_root.items():
        out.setdefault(top, []).append(sorted(lines))
    return {top: sorted(groups) for top, groups in out.items()}


def _line(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


def test_each_file_access_and_each_created_client_is_one_cause(tmp_path):
    causes = _causes(_shapes(tmp_path))
    at = lambda text: _line(SHAPES, text)  # noqa: E731
    # D1: the close in `finally:` of a file opened in `try:`, and one in a nested coroutine
    assert causes["transcribe"] == [sorted([at('open(name, "wb")'), at("w.write("), at('open(name, "rb")'),
                                            at("audio.close()"), at("os.remove(name)")])]
    assert causes["store_prefix"] == [[at('fh = open(path, "rb")'), at("fh.close()")]]
    # D2: the folder made for the file, and the file under a name rebound to a sibling
    assert causes["save_as"] == [[at("target.parent.mkdir"), at("shutil.copyfile(source, target)")]]
    assert causes["export"] == [[at("    path.parent.mkdir("), at('path.open("xb")'), at("out.write(data)"),
                                 at("path.stat()")]]
    # ... and a file in the folder a helper makes, the folder made again, the file written and measured
    made = at("path = download_dir(run_id) / filename")
    assert causes["export_rows"] == [[made, made + 1, made + 2, made + 3, made + 4]]
    # a folder listed, and each file in it checked and measured
    assert causes["folder_sizes"] == [[at("os.listdir(folder)"), at("os.path.isfile(path)"),
                                       at("os.path.getsize(path)")]]
    # D3: one SMTP session the coroutine made
    assert causes["send_email"] == [[at("smtplib.SMTP(host, port)"), at("smtp.starttls()"), at("smtp.login("),
                                     at("smtp.send_message("), at("smtp.quit()")]]
    # D4: a helper given the path (or its folder), or returning the path the same line opens
    assert causes["store_item"] == [[at("write_file_durable(temp_path"), at("temp_path.replace("),
                                     at("fsync_directory(item_path.parent)"), at("temp_path.unlink(")]]
    log = at("open(get_log_file(name)")
    assert causes["launch_worker"] == [[log, log], [at("subprocess.Popen([")]]
    # D5: the temporary file by the name kept from it
    exists = at("or not os.path.exists(dst_path)")
    assert causes["run_ffmpeg_to_temp"] == [[at("tempfile.NamedTemporaryFile("), exists, exists,
                                            at("if os.path.exists(dst_path)"), at("os.unlink(dst_path)")]]
    # a folder listed, and each entry it yields checked
    listed = at("return [f.name for f in p.iterdir() if f.is_file()]")
    assert causes["pictures"] == [[at("if p.exists():"), listed, listed]]
    # a temporary folder made here, and the file written in it
    assert causes["upload_chunks"] == [[at("tempfile.TemporaryDirectory() as tmp_dir"),
                                        at("open(tmp_path, \"wb\")"), at("f.write(chunk)")]]


def test_calls_on_different_files_or_clients_are_not_one_cause(tmp_path):
    causes = _causes(_shapes(tmp_path))
    at = lambda text: _line(SHAPES, text)  # noqa: E731
    # N3: the interpreter checked, then a config file written: two files
    check = at("os.path.isfile(executable)")
    assert causes["launch"] == [[check, check], [at("os.makedirs(HOME"), at("tempfile.mkstemp("),
                                                 at("json.dump(config")]]
    # a file beside the log file's folder, then the log file in its folder made for it
    assert causes["record"] == [[at("marker.write_text(")],
                                [at("log_path.parent.mkdir("), at('log_path.open("a")'), at("log.write(line)")]]
    # two SMTP sessions to two servers
    assert causes["two_clients"] == [[at("smtplib.SMTP(host)"), at("first.noop()")],
                                     [at("smtplib.SMTP(other)"), at("second.noop()")]]


def test_text_names_what_one_cause_shares(tmp_path):
    out = _invoke(_shapes(tmp_path)).output.replace(os.sep, "/")
    at = lambda text: _line(SHAPES, text)  # noqa: E731
    assert f"… the same SMTP object on lines {at('smtp.starttls()')} (smtp.starttls())" in out
    assert f"… the same file access on line {at('fh.close()')} (fh.close() in _run)" in out
    assert f"… the same file access on line {at('os.path.isfile(executable)')} (os.access())\n" in out
    assert f"… the same file access on lines {at('os.makedirs(HOME')} (os.makedirs())" in out


ROUTE_NEVER_AWAITS = '''\
import time

import requests
from fastapi import APIRouter

router = APIRouter(prefix="/rates")


@router.get("/")
async def rates():
    time.sleep(0.5)
    return requests.get("https://example.com/rates", timeout=5).json()
'''


def test_an_async_route_that_never_awaits_is_one_cause_with_its_blocking_calls(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "rates.py").write_text(ROUTE_NEVER_AWAITS)
    doc = json.loads(_invoke(str(tmp_path), "--format", "json").output)
    roots = {d["code"]: d["root"] for d in doc["diagnostics"]}
    assert set(roots) == {"ASL301", "ASL102", "ASL101"} and len(set(roots.values())) == 1
    out = _invoke(str(tmp_path)).output.replace(os.sep, "/")
    assert [line.split(": ")[1][:6] for line in out.splitlines() if line.startswith("app/")] == ["ASL301"]
    assert "… its blocking calls on lines 11 (ASL102 time.sleep()), 12 (ASL101 requests.get())" in out
    assert "(1 cause)" in out
