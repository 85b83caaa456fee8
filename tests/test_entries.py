"""The coroutine a loop is started with: what it does before its first await delays only the start
(nothing else has run on that loop yet), so it is not reported; what it does after, or what a
coroutine that is also awaited, scheduled or served does, still is."""

from asynclint.engine import lint_sources

SETTINGS = '''\
import functools
import json


@functools.lru_cache
def settings() -> dict:
    with open("/etc/worker/settings.json") as fh:
        return json.load(fh)


def open_ledger(path: str):
    import sqlite3

    return sqlite3.connect(path)
'''

MAIN = '''\
import asyncio
import time

from .config import open_ledger, settings
from .jobs import poll


async def serve() -> None:
    conf = settings()
    ledger = open_ledger(conf["db"])
    for name in conf["queues"]:
        open_ledger(name)
    await asyncio.sleep(0)
    while True:
        await poll(ledger)
        time.sleep(1)


def main() -> None:
    asyncio.run(serve())


if __name__ == "__main__":
    main()
'''

JOBS = '''\
import asyncio

from .config import open_ledger


async def poll(ledger) -> None:
    open_ledger("jobs.db")
    await asyncio.sleep(1)
    asyncio.create_task(report(ledger))  # (the loop runs this beside the poller: it is not alone on it)


async def report(ledger) -> None:
    await asyncio.sleep(0)


async def tick() -> None:
    await asyncio.gather(poll(None), asyncio.sleep(0))


def run_poll() -> None:
    asyncio.run(poll(None))
'''


def _found(sources):
    return sorted((d.path.rsplit("/", 1)[-1], d.line, d.code) for d in lint_sources(sources))


def test_the_entry_coroutines_prologue_is_not_reported_but_its_serving_part_is():
    found = _found({"worker/__init__.py": "", "worker/config.py": SETTINGS, "worker/main.py": MAIN,
                    "worker/jobs.py": JOBS})
    # serve(): settings, the ledger and the loop over queues run before anything else: not reported;
    # the sleep between polls runs while the loop serves: reported.
    # poll(): started by asyncio.run in run_poll, but also gathered by tick(): reported.
    assert found == [("jobs.py", 7, "ASL206"), ("main.py", 16, "ASL102")]


def test_a_loop_that_awaits_runs_its_calls_again_after_an_await():
    main = MAIN.replace("    for name in conf[\"queues\"]:\n        open_ledger(name)\n    await asyncio.sleep(0)\n",
                        "    for name in conf[\"queues\"]:\n        open_ledger(name)\n        await asyncio.sleep(0)\n")
    found = _found({"worker/__init__.py": "", "worker/config.py": SETTINGS, "worker/main.py": main,
                    "worker/jobs.py": JOBS})
    assert ("main.py", 12, "ASL206") in found and ("main.py", 10, "ASL206") not in found


def test_a_coroutine_also_scheduled_elsewhere_is_not_an_entry():
    main = MAIN + "\n\nasync def restart() -> None:\n    asyncio.create_task(serve())\n"
    found = _found({"worker/__init__.py": "", "worker/config.py": SETTINGS, "worker/main.py": main,
                    "worker/jobs.py": JOBS})
    assert ("main.py", 10, "ASL206") in found
    assert ("config.py", 7, "ASL401") in found  # the settings are no longer built before serving


def test_a_loop_started_with_the_function_and_its_arguments():
    # anyio.run(fn, *args) and trio.run(fn, *args) call the function themselves: the same entry
    expected = [("jobs.py", 7, "ASL206"), ("main.py", 16, "ASL102")]
    for runner in ("anyio", "trio"):
        main = MAIN.replace("import asyncio\n", f"import asyncio\n\nimport {runner}\n", 1).replace(
            "async def serve() -> None:", "async def serve(queues: list) -> None:").replace(
            "    asyncio.run(serve())", f"    {runner}.run(serve, ['default'])")
        found = _found({"worker/__init__.py": "", "worker/config.py": SETTINGS, "worker/main.py": main,
                        "worker/jobs.py": JOBS})
        assert found == [(f, line + 2 * (f == "main.py"), code) for f, line, code in expected], runner


# review 9 (sglang's runtime_context): a section of the configuration is appended to an audit file
# the first time it is read. The server reads one section before it starts serving; each route reads
# others, first on the loop.
SECTIONS = '''\
import json
import os

_SECTIONS: dict = {}
_AUDITED: set = set()


def section(name: str) -> dict:
    if name not in _SECTIONS:
        with open(f"/etc/gateway/{name}.json") as fh:
            _SECTIONS[name] = json.load(fh)
    return _SECTIONS[name]


def audit_read(name: str) -> None:
    if name in _AUDITED:
        return
    _AUDITED.add(name)
    with open(os.environ.get("GATEWAY_AUDIT", "/var/log/gateway/reads.log"), "a") as fh:
        fh.write(name + "\\n")
'''

GATEWAY = '''\
import asyncio

import uvicorn
from fastapi import FastAPI

from .sections import audit_read, section

app = FastAPI()


@app.get("/limits")
async def limits():
    audit_read("limits")
    return section("limits")


async def main() -> None:
    audit_read("server")
    port = section("server")["port"]
    await uvicorn.Server(uvicorn.Config(app, port=port)).serve()


if __name__ == "__main__":
    asyncio.run(main())
'''


def test_a_cache_of_many_entries_filled_before_serving_is_filled_again_for_the_keys_a_request_asks_for():
    found = _found({"gateway/__init__.py": "", "gateway/sections.py": SECTIONS, "gateway/app.py": GATEWAY})
    # main() reads the "server" section before the loop serves, but GET /limits reads "limits" first
    # on the loop: both caches are still one-time initialization for each new key (dict and set alike)
    assert found == [("sections.py", line, "ASL401") for line in (10, 11, 19, 20)]


# review 10 (marimo's `asyncio_run`): the program starts its loops through a function of its own that
# prepares the platform and hands the coroutine it is given to asyncio.run. A call of it starts a loop
# as asyncio.run does: in a command-line command, in a closure the command hands to a file watcher,
# or as the program's main. A helper that asks whether a loop runs already is no such runner.
RUNNER = '''\
import asyncio
import sys
from typing import Any, Coroutine, TypeVar

T = TypeVar("T")


def initialize_asyncio() -> None:
    if sys.platform == "win32":
        asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())


def asyncio_run(coro: Coroutine[Any, Any, T], **kwargs: Any) -> T:
    """asyncio.run() with the platform's loop policy."""
    initialize_asyncio()
    return asyncio.run(coro, **kwargs)


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    raise RuntimeError("called from a coroutine")
'''

EXPORT = '''\
import asyncio
import json
from pathlib import Path

from .runner import asyncio_run, run_blocking


async def render(path: str) -> str:
    await asyncio.sleep(0)
    return Path(path).read_text()


async def export_html(path: str, out: str) -> None:
    template = Path("templates/page.html").read_text()
    html = await render(path)
    Path(out).write_text(template.replace("{body}", html))


async def export_json(path: str) -> dict:
    cells = json.loads(Path(path).read_text())
    await asyncio.sleep(0)
    return cells


def export_json_sync(path: str) -> dict:
    return run_blocking(export_json(path))
'''

CLI = '''\
import click

from .export import export_html
from .runner import asyncio_run
from .watch import watch_and_run


@click.command()
@click.argument("path")
@click.option("--watch", is_flag=True)
def html(path: str, watch: bool) -> None:
    def export_callback(changed: str) -> None:
        asyncio_run(export_html(changed, changed + ".html"))

    if watch:
        watch_and_run(path, export_callback)
    else:
        export_callback(path)
'''

WATCH = '''\
import os
import time


def watch_and_run(path: str, callback) -> None:
    last = 0.0
    while True:
        mtime = os.stat(path).st_mtime
        if mtime != last:
            last = mtime
            callback(path)
        time.sleep(1)
'''

WORKER = '''\
import asyncio
import json
import time
from pathlib import Path

from .runner import asyncio_run


async def drain(queue_dir: str) -> None:
    settings = json.loads(Path(queue_dir, "settings.json").read_text())
    await asyncio.sleep(0)
    while True:
        for job in Path(queue_dir).iterdir():
            job.unlink()
        time.sleep(settings["interval"])


if __name__ == "__main__":
    asyncio_run(drain("/var/spool/exporter"))
'''


def test_a_function_of_the_project_that_hands_its_coroutine_to_asyncio_run_starts_a_loop():
    files = {"exporter/__init__.py": "", "exporter/runner.py": RUNNER, "exporter/export.py": EXPORT,
             "exporter/cli.py": CLI, "exporter/watch.py": WATCH, "exporter/worker.py": WORKER}
    assert _found(files) == [
        ("export.py", 20, "ASL104"),  # run_blocking may be called from a coroutine: export_json stays reported
    ]
    # the worker runs alone on the loop the wrapper starts (no task, no server, no callback): what it does
    # after its first await delays nothing else either, and is ASL402
    assert [(d.path.rsplit("/", 1)[-1], d.line, d.code) for d in lint_sources(files, select_all=True)
            if d.path.endswith("worker.py")] == [("worker.py", 13, "ASL402"), ("worker.py", 14, "ASL402"),
                                                 ("worker.py", 15, "ASL402")]
    # what the command's closure runs serves nothing: ASL402, like the same code under asyncio.run
    # (the template read before export_html's first await is the loop's start: not even that)
    quiet = sorted((d.path.rsplit("/", 1)[-1], d.line) for d in lint_sources(files, select_all=True)
                   if d.code == "ASL402")
    assert quiet == [("export.py", 10), ("export.py", 16), ("worker.py", 13), ("worker.py", 14), ("worker.py", 15)]


# A project with two programs sharing one lazily loaded model: the web app (run by `uvicorn
# predictor.api:app`) and a command-line export script. The script loads the model before its first
# await; that builds it for the script's own run only. Whether another program's coroutines find it
# built depends on whether that program is the script's: the modules the script imports.
LAZY_MODEL = '''\
import pickle

_MODEL = None


def get_model():
    global _MODEL
    if _MODEL is None:
        with open("model.pkl", "rb") as fh:
            _MODEL = pickle.load(fh)
    return _MODEL
'''

PREDICT_API = '''\
from fastapi import FastAPI

from predictor.model import get_model

app = FastAPI()


@app.post("/predict")
async def predict(text: str) -> dict:
    model = get_model()
    return {"label": model.predict([text])[0]}
'''

EXPORT_SCRIPT = '''\
import asyncio
import sys

from predictor.model import get_model
from predictor.store import save


async def export(path: str) -> None:
    model = get_model()
    await save(path, model)


def main() -> None:
    asyncio.run(export(sys.argv[1]))
'''

MODEL_STORE = '''\
from predictor.model import get_model


async def save(path: str, model) -> None:
    assert model is get_model()
'''


def _files(export=None, api=None) -> dict:
    return {"predictor/__init__.py": "", "predictor/model.py": LAZY_MODEL, "predictor/api.py": api or PREDICT_API,
            "predictor/export.py": export or EXPORT_SCRIPT, "predictor/store.py": MODEL_STORE}


def test_a_script_that_builds_a_lazy_model_first_does_not_build_it_for_the_web_app():
    found = lint_sources(_files())
    # the first request to POST /predict still loads the model on the event loop: ASL401, with that
    # route as its only caller (the script's export() and store.save() run after the script built it)
    assert sorted((d.path, d.line, d.code) for d in found) == [
        ("predictor/model.py", 9, "ASL401"), ("predictor/model.py", 10, "ASL401")]
    [finding] = [d for d in found if d.line == 9]
    assert [h.function for h in finding.callers] == ["predictor.api.predict"]
    assert finding.route == "POST /predict"


def test_the_web_app_finds_the_model_built_when_the_script_that_builds_it_also_runs_it():
    # a script that imports the app (to serve it, or to call its routes) is the program the routes run in
    export = EXPORT_SCRIPT.replace("from predictor.store import save\n", "from predictor.store import save\n"
                                   "from predictor.api import predict  # noqa: F401\n")
    assert lint_sources(_files(export=export)) == []
    # so is one that imports it inside a function
    export = EXPORT_SCRIPT.replace("def main() -> None:\n", "def main() -> None:\n    from predictor import api\n\n"
                                   "    print(api.app.title)\n")
    assert lint_sources(_files(export=export)) == []


def test_a_program_that_serves_builds_the_model_for_everything_it_serves():
    api = PREDICT_API + '''

async def serve() -> None:
    get_model()
    import uvicorn

    await uvicorn.Server(uvicorn.Config(app)).serve()


if __name__ == "__main__":
    import asyncio

    asyncio.run(serve())
'''
    assert lint_sources(_files(api=api)) == []
    # without its server it is a script, whose own module holds the route: taken as part of its program
    api = api.replace("    await uvicorn.Server(uvicorn.Config(app)).serve()\n", "    await asyncio.sleep(0)\n")
    api = api.replace("from fastapi import FastAPI\n", "import asyncio\n\nfrom fastapi import FastAPI\n")
    assert lint_sources(_files(api=api)) == []


# review 35 (Red-DiscordBot's ``redbot --edit``): the coroutine a loop is started with asks its
# questions on the console between awaits of its own; nothing else runs on that loop, so nothing
# waits while it blocks. Anything that may put other work on the loop keeps its findings.
ALONE = '''\
import asyncio

from .store import save


def confirm(text: str) -> bool:
    return input(text) == "y"


async def edit(flags) -> None:
    await save("token", flags)
    if confirm("Change the prefix?"):
        prefix = input("prefix> ")
        await save("prefix", prefix)


def main() -> None:
    asyncio.run(edit(None))
'''

STORE = '''\
import asyncio


async def save(key, value) -> None:
    await asyncio.sleep(0)
'''


def _alone(store: str = STORE, edit: str = ALONE):
    files = {"cfg/__init__.py": "", "cfg/store.py": store, "cfg/edit.py": edit}
    return sorted((d.path.rsplit("/", 1)[-1], d.line, d.code) for d in lint_sources(files, select_all=True))


def test_a_program_that_runs_alone_on_its_loop_blocks_nothing_else():
    assert _alone() == [("edit.py", 12, "ASL402"), ("edit.py", 13, "ASL402")]


def test_what_may_run_beside_the_program_keeps_its_findings():
    reported = [("edit.py", 12, "ASL209"), ("edit.py", 13, "ASL109")]
    variants = {
        # a task, made by a sync helper the program calls
        "task": STORE + "\n\ndef start_flush():\n    asyncio.get_running_loop().call_later(5, print, 'flush')\n",
        # a project function handed to the library: it may run on the loop at any time
        "callback": STORE.replace("    await asyncio.sleep(0)\n",
                                  "    asyncio.get_running_loop().add_signal_handler(2, stop)\n\n\ndef stop():\n"
                                  "    pass\n"),
        # a client that keeps tasks of its own on the loop (pings), entered with async with
        "client": STORE.replace("import asyncio\n", "import asyncio\n\nimport websockets\n").replace(
            "    await asyncio.sleep(0)\n", "    async with websockets.connect('ws://cfg') as ws:\n"
                                         "        await ws.send(value)\n"),
        # a server's run
        "server": STORE.replace("    await asyncio.sleep(0)\n", "    server = await asyncio.start_server(None, port=1)\n"),
    }
    for name, store in variants.items():
        if name == "task":
            store = store.replace("    await asyncio.sleep(0)\n", "    await asyncio.sleep(0)\n    start_flush()\n")
        assert _alone(store) == reported, name


def test_a_program_that_offloads_to_a_thread_still_runs_alone():
    store = STORE.replace("    await asyncio.sleep(0)\n", "    await asyncio.to_thread(write, key, value)\n\n\n"
                                                      "def write(key, value):\n    print(key, value)\n")
    assert _alone(store) == [("edit.py", 12, "ASL402"), ("edit.py", 13, "ASL402")]


# review 35 (Red-DiscordBot's interactive_config): one prompt, asked by a script that runs alone on its
# loop and by a server's program before it starts serving; nothing is served while either asks it
SHARED_PROMPT = '''\
import asyncio


async def ask_token() -> str:
    await asyncio.sleep(0)
    return input("token> ")


async def edit() -> None:
    print(await ask_token())


async def handle(reader, writer) -> None:
    writer.close()


async def run_server() -> None:
    token = await ask_token()
    server = await asyncio.start_server(handle, port=8080)
    print(token)
    await server.serve_forever()


def main(edit_only: bool) -> None:
    asyncio.run(edit() if edit_only else run_server())
'''


def test_a_prompt_both_a_script_and_a_servers_start_up_await_serves_no_request():
    files = {"bot/__init__.py": "", "bot/cli.py": SHARED_PROMPT.replace(
        "    asyncio.run(edit() if edit_only else run_server())\n",
        "    if edit_only:\n        asyncio.run(edit())\n    else:\n        asyncio.run(run_server())\n")}
    assert sorted((d.line, d.code) for d in lint_sources(files, select_all=True)) == [(6, "ASL402")]
