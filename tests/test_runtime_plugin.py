"""The pytest plugin (``pytest --asynclint-runtime``): inner pytest sessions on small projects.

Blocking calls in these projects are tiny (``time.sleep(0.001)``, ``open()`` on
a temporary file, ``sqlite3`` in memory); nothing here asserts a duration.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

pytest.importorskip("pytest_asyncio")

SERVICE = """\
import time


def slow_total(items):
    time.sleep(0.001)
    return sum(items)


async def checkout(items):
    return slow_total(items)


async def ping():
    time.sleep(0.001)
    return "pong"


async def never_tested():
    time.sleep(0.001)
"""

TESTS = """\
import pytest

from rtapp.service import checkout, ping


@pytest.mark.asyncio
async def test_checkout():
    assert await checkout([1, 2]) == 3


@pytest.mark.anyio
async def test_ping():
    assert await ping() == "pong"


@pytest.fixture
def anyio_backend():
    return "asyncio"
"""


def project(pytester, files: dict, ini: str = "") -> None:
    pytester.makeini("[pytest]\npythonpath = .\nasyncio_default_fixture_loop_scope = function\n" + ini)
    for rel, text in files.items():
        path = pytester.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


# hypothesis' plugin re-imports its internals in every inner session (about 1 s each)
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def run(pytester, *args):
    report = pytester.path / "runtime.json"
    result = pytester.runpytest_inprocess(
        *QUIET, "--asynclint-runtime", f"--asynclint-runtime-report={report}", *args
    )
    return result, json.loads(report.read_text())


def confirmed(data) -> dict:
    return {(c["finding"]["path"], c["finding"]["line"], c["finding"]["code"]): c for c in data["confirmed"]}


def test_confirmed_directly_and_through_a_helper_and_not_exercised(pytester):
    project(pytester, {"rtapp/__init__.py": "", "rtapp/service.py": SERVICE, "tests/test_service.py": TESTS})
    result, data = run(pytester)
    result.assert_outcomes(passed=2)
    found = confirmed(data)
    assert set(found) == {("rtapp/service.py", 10, "ASL202"), ("rtapp/service.py", 14, "ASL102")}
    checkout = found[("rtapp/service.py", 10, "ASL202")]
    assert checkout["tests"] == ["tests/test_service.py::test_checkout"]
    event = data["events"][checkout["events"][0]]
    assert event["api"] == "time.sleep" and event["kind"] == "call"
    assert event["at"]["function"] == "rtapp.service.checkout"
    # the stack goes down to the blocking call: the helper is its innermost frame
    assert [(f["path"], f["line"]) for f in event["stack"][:2]] == [("rtapp/service.py", 5), ("rtapp/service.py", 10)]
    assert found[("rtapp/service.py", 14, "ASL102")]["tests"] == ["tests/test_service.py::test_ping"]  # anyio's plugin
    assert [(n["finding"]["line"], n["instrumented"]) for n in data["not_exercised"]] == [(19, True)]
    assert data["runtime_only"] == []
    out = result.stdout.str()
    assert "asynclint runtime: 2 confirmed, 0 runtime only, 1 not exercised" in out
    assert "rtapp/service.py:10:12 ASL202 time.sleep()" in out


SLOWLIB = {
    "slowlib/__init__.py": "from ._impl import Client, wait_for_device\n",
    "slowlib/_impl.py": """\
        import time


        def wait_for_device(seconds):
            # spins on the CPU (no call the catalog knows): only a slow step shows it
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                pass


        class Client:
            def fetch(self, seconds):
                time.sleep(seconds)
                return "ok"
        """,
}

USES_SLOWLIB = {
    "rtapp/__init__.py": "",
    "rtapp/devices.py": """\
        import slowlib


        async def poll():
            slowlib.wait_for_device(0.3)
            return 1


        async def fetch():
            client = slowlib.Client()
            return client.fetch(0.001)
        """,
    "tests/test_devices.py": """\
        import pytest

        from rtapp.devices import fetch, poll


        @pytest.mark.asyncio
        async def test_poll():
            assert await poll() == 1


        @pytest.mark.asyncio
        async def test_fetch():
            assert await fetch() == "ok"
        """,
}


@pytest.fixture
def slowlib(tmp_path_factory, monkeypatch):
    """A library outside the project (its own directory on sys.path)."""
    site = tmp_path_factory.mktemp("site")
    for rel, text in SLOWLIB.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(site))
    return site


def test_runtime_only_blocks_come_with_an_extend_blocking_entry_the_static_side_accepts(pytester, slowlib):
    project(pytester, USES_SLOWLIB)
    result, data = run(pytester, "--asynclint-runtime-threshold", "20")
    result.assert_outcomes(passed=2)
    assert data["confirmed"] == [] and data["static"]["findings"] == 0
    only = {data["events"][r["event"]]["at"]["line"]: r for r in data["runtime_only"]}
    assert set(only) == {5, 11}
    slow = data["events"][only[5]["event"]]
    assert slow["kind"] == "slow-step" and slow["stack_sampled"] is True
    assert slow["library_function"] == "slowlib.wait_for_device"  # the public name, not slowlib._impl
    assert only[5]["suggestion"]["api"] == "slowlib.wait_for_device"
    call = data["events"][only[11]["event"]]
    assert call["kind"] == "call" and call["api"] == "time.sleep"
    assert only[11]["suggestion"]["api"] == "slowlib.Client.fetch"
    assert "category = \"sleep\"" in only[11]["suggestion"]["extend_blocking"]
    # the suggested entries, pasted into the configuration, make the static analysis find both places
    entries = "\n".join(r["suggestion"]["extend_blocking"] for r in data["runtime_only"])
    (pytester.path / "pyproject.toml").write_text("[tool.asynclint.extend-blocking]\n" + entries + "\n")
    from asynclint.engine import Options, run as lint

    found = lint([str(pytester.path / "rtapp")], Options(use_cache=False)).diagnostics
    assert sorted((d.line, d.code) for d in found) == [(5, "ASL111"), (11, "ASL102")]
    result, data = run(pytester, "--asynclint-runtime-threshold", "20")
    assert len(data["confirmed"]) == 2 and data["runtime_only"] == []


def test_a_method_of_a_module_level_object_is_observed_on_that_object_and_restored(pytester):
    # sys.stdin is an object, not a class: its readline is wrapped bound, on it, and behaves as before
    project(pytester, {
        "rtapp/__init__.py": "",
        "rtapp/prompt.py": """\
            import sys


            async def read_command():
                return sys.stdin.readline()
            """,
        "tests/test_prompt.py": """\
            import sys

            import pytest

            from rtapp.prompt import read_command


            @pytest.mark.asyncio
            async def test_read_command_while_captured():
                with pytest.raises(OSError):
                    await read_command()


            def test_sync_read():
                with pytest.raises(OSError):
                    sys.stdin.readline()
            """,
    })
    stdin = sys.stdin
    result, data = run(pytester)
    result.assert_outcomes(passed=2)
    assert set(confirmed(data)) == {("rtapp/prompt.py", 5, "ASL109")}
    assert sys.stdin is stdin and "readline" not in getattr(stdin, "__dict__", {})


def test_a_spooled_file_is_observed_once_it_has_rolled_over_to_disk(pytester):
    # an export buffered in a SpooledTemporaryFile: in memory until it passes max_size
    project(pytester, {
        "rtapp/__init__.py": "",
        "rtapp/export.py": """\
            import tempfile


            async def export(rows, limit):
                spool = tempfile.SpooledTemporaryFile(max_size=limit)
                for row in rows:
                    spool.write(row)
                spool.seek(0)
                data = spool.read()
                spool.close()
                return data
            """,
        "tests/test_export.py": """\
            import pytest

            from rtapp.export import export


            @pytest.mark.asyncio
            async def test_small_export_stays_in_memory():
                assert await export([b"a", b"b"], 1024) == b"ab"
            """,
    })
    result, data = run(pytester)
    result.assert_outcomes(passed=1)
    assert data["events"] == []
    (pytester.path / "tests" / "test_export.py").write_text(textwrap.dedent("""\
        import pytest

        from rtapp.export import export


        @pytest.mark.asyncio
        async def test_large_export_rolls_over():
            assert await export([b"a" * 8, b"b" * 8], 4) == b"a" * 8 + b"b" * 8
        """))
    result, data = run(pytester)
    result.assert_outcomes(passed=1)
    # the rollover makes a real temporary file; the writes and the read after it go to that file
    assert {(e["api"], e["at"]["line"]) for e in data["events"]} == {
        ("tempfile.TemporaryFile", 7), ("tempfile.SpooledTemporaryFile.write", 7),
        ("tempfile.SpooledTemporaryFile.read", 9)}


def test_fail_mode_fails_a_test_whose_loop_blocked_and_only_that_one(pytester):
    project(
        pytester,
        {
            "rtapp/__init__.py": "",
            "rtapp/service.py": SERVICE,
            "tests/test_modes.py": """\
                import asyncio
                import time

                import pytest

                from rtapp.service import checkout


                @pytest.mark.asyncio
                async def test_blocks():
                    assert await checkout([1]) == 1


                @pytest.mark.asyncio
                async def test_offloads():
                    await asyncio.to_thread(time.sleep, 0.001)


                def test_sync():
                    time.sleep(0.001)
                """,
        },
    )
    result, data = run(pytester, "--asynclint-runtime-mode", "fail")
    result.assert_outcomes(passed=2, failed=1)
    out = result.stdout.str()
    assert "FAILED tests/test_modes.py::test_blocks" in out
    assert "rtapp/service.py:10: time.sleep() held the loop" in out
    assert "> rtapp/service.py:5 in rtapp.service.slow_total" in out  # the stack at the blocking point
    assert data["mode"] == "fail" and len(data["confirmed"]) == 1


OFFLOADED = """\
import asyncio
import concurrent.futures
import threading
import time

import anyio
import pytest

POOL = concurrent.futures.ThreadPoolExecutor(1)


def work():
    time.sleep(0.001)
    with open(__file__) as fh:
        fh.read()


@pytest.mark.asyncio
async def test_to_thread():
    await asyncio.to_thread(work)


@pytest.mark.asyncio
async def test_run_in_executor():
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(POOL, work)
    await loop.run_in_executor(None, work)


@pytest.mark.asyncio
async def test_anyio_worker_thread():
    await anyio.to_thread.run_sync(work)


@pytest.mark.asyncio
async def test_plain_thread_started_from_a_coroutine():
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    threading.Thread(target=lambda: (work(), loop.call_soon_threadsafe(done.set))).start()
    await done.wait()


def test_sync():
    work()


async def blocking_coroutine():
    time.sleep(0.001)


def test_nested_loop_in_a_thread_is_reported():
    t = threading.Thread(target=asyncio.run, args=(blocking_coroutine(),), name="inner-loop")
    t.start()
    t.join()
"""


def test_offloaded_calls_and_sync_code_are_never_reported_a_loop_in_a_thread_is(pytester):
    project(pytester, {"tests/test_offload.py": OFFLOADED})
    result, data = run(pytester)
    result.assert_outcomes(passed=6)
    assert [(e["api"], e["thread"], e["at"]["line"]) for e in data["events"]] == [("time.sleep", "inner-loop", 48)]
    assert [c["finding"]["line"] for c in data["confirmed"]] == [48]


APP = """\
import time

from fastapi import APIRouter, FastAPI

router = APIRouter()


def lookup(item_id):
    time.sleep(0.001)
    return {"id": item_id}


@router.get("/{item_id}")
async def read_item(item_id: int):
    return lookup(item_id)


@router.get("/{item_id}/sync")
def read_item_sync(item_id: int):
    return lookup(item_id)


app = FastAPI()
app.include_router(router, prefix="/items")
"""

APP_TESTS = """\
import httpx
import pytest
from fastapi.testclient import TestClient

from rtapp.main import app


def test_testclient():
    with TestClient(app) as client:
        assert client.get("/items/1").json() == {"id": 1}
        assert client.get("/items/2/sync").json() == {"id": 2}


@pytest.mark.asyncio
async def test_asgi_transport():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/items/3")).json() == {"id": 3}
"""


def test_fastapi_testclient_and_asgi_transport_events_carry_the_route(pytester):
    pytest.importorskip("fastapi")
    project(pytester, {"rtapp/__init__.py": "", "rtapp/main.py": APP, "tests/test_app.py": APP_TESTS})
    result, data = run(pytester)
    result.assert_outcomes(passed=2)
    found = {c["finding"]["code"]: c for c in data["confirmed"]}
    assert [(c["finding"]["line"], code) for code, c in sorted(found.items())] == [(15, "ASL202"), (14, "ASL301")]
    c = found["ASL202"]
    assert c["tests"] == ["tests/test_app.py::test_testclient", "tests/test_app.py::test_asgi_transport"]
    (event,) = [data["events"][i] for i in c["events"]]  # the same place from both clients: one event
    assert (event["route"], event["request"]) == ("GET /items/{item_id}", "GET /items/1")
    assert event["count"] == 2  # the def route ran in the thread pool: not an event


def test_names_bound_before_the_session_and_the_ignore_option(pytester):
    project(
        pytester,
        {
            "conftest.py": "import rtapp.early  # imported before the plugin patches anything\n",
            "rtapp/__init__.py": "",
            "rtapp/early.py": """\
                from time import sleep


                async def nap():
                    sleep(0.001)
                """,
            "tests/test_early.py": """\
                import os
                import pytest

                from rtapp.early import nap


                @pytest.mark.asyncio
                async def test_nap():
                    await nap()


                @pytest.mark.asyncio
                async def test_ignored():
                    os.path.exists(__file__)
                """,
        },
        ini="asynclint_runtime_ignore = os.path\n",
    )
    result, data = run(pytester)
    result.assert_outcomes(passed=2)
    assert [(c["finding"]["line"], c["count"]) for c in data["confirmed"]] == [(5, 1)]
    assert data["runtime_only"] == []


def test_builtin_types_are_listed_as_not_instrumented(pytester):
    project(
        pytester,
        {
            "rtapp/__init__.py": "",
            "rtapp/db.py": """\
                import sqlite3


                async def count(conn: sqlite3.Connection):
                    return conn.execute("select 1").fetchone()[0]
                """,
            "tests/test_db.py": "import rtapp.db\n\n\ndef test_nothing():\n    pass\n",
        },
    )
    result, data = run(pytester)
    (n,) = [n for n in data["not_exercised"] if n["finding"]["api"] == "sqlite3.Connection.execute"]
    assert n["instrumented"] is False and n["note"] == "Connection is a built-in type"
    assert "sqlite3.Connection.execute" in data["instrumented"]["not_patchable"]
    assert "not instrumented" in result.stdout.str()


def test_patches_are_removed_at_session_end(pytester):
    import asyncio.events
    import os.path
    import time

    import requests

    before = (time.sleep, os.path.exists, requests.Session.__dict__["post"], asyncio.events.Handle.__dict__["_run"])
    project(pytester, {"tests/test_x.py": "import time\n\ndef test_x():\n    assert hasattr(time.sleep, '__wrapped__')\n"})
    result, _ = run(pytester)
    result.assert_outcomes(passed=1)
    after = (time.sleep, os.path.exists, requests.Session.__dict__["post"], asyncio.events.Handle.__dict__["_run"])
    assert all(a is b for a, b in zip(before, after))
    assert "post" in requests.Session.__dict__ and not hasattr(time.sleep, "__wrapped__")


def test_off_unless_asked_for(pytester):
    project(
        pytester,
        {
            "tests/test_off.py": """\
                import asyncio.events
                import time


                def test_nothing_is_patched():
                    assert type(time.sleep).__name__ == "builtin_function_or_method"
                    assert asyncio.events.Handle._run.__qualname__ == "Handle._run"
                """
        },
    )
    result = pytester.runpytest_inprocess(*QUIET)
    result.assert_outcomes(passed=1)
    assert "asynclint runtime" not in result.stdout.str()


def test_importing_asynclint_and_the_plugin_module_imports_nothing_heavy_and_patches_nothing():
    code = textwrap.dedent(
        """\
        import sys, time, builtins
        sleep, open_ = time.sleep, builtins.open
        import asynclint
        assert "pytest" not in sys.modules and "asynclint.runtime" not in sys.modules
        import asynclint.runtime.plugin
        loaded = sorted(m for m in sys.modules if m.startswith("asynclint"))
        assert loaded == ["asynclint", "asynclint.runtime", "asynclint.runtime.plugin"], loaded
        assert time.sleep is sleep and builtins.open is open_
        """
    )
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_a_bad_option_is_a_usage_error(pytester):
    project(pytester, {"tests/test_x.py": "def test_x():\n    pass\n"}, ini="asynclint_runtime = true\nasynclint_runtime_threshold_ms = fast\n")
    result = pytester.runpytest_inprocess(*QUIET)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "threshold must be a number of milliseconds, not 'fast'" in result.stderr.str()


def test_the_example_shops_suite(tmp_path):
    """examples/shop's own tests under the plugin (a separate process: its conftest sets the
    environment). The retry test, which sleeps 1 s in the route, is left out here."""
    pytest.importorskip("fakeredis")
    pytest.importorskip("aiosqlite")
    shop = os.path.join(ROOT, "examples", "shop")
    report = tmp_path / "shop.json"
    cmd = [sys.executable, "-m", "pytest", *QUIET, "-q", "--asynclint-runtime", f"--asynclint-runtime-report={report}",
           "-k", "not retries"]
    proc = subprocess.run(cmd, cwd=shop, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(report.read_text())
    assert data["static"]["findings"] == 27
    got = {(c["finding"]["path"], c["finding"]["line"]) for c in data["confirmed"]}
    assert {("shop/routers/orders.py", 49), ("shop/routers/users.py", 37), ("shop/middleware.py", 26),
            ("shop/routers/files.py", 25)} <= got
    # the lifespan's database check runs while the app starts: seen, not reported statically, not a miss
    startup = {(data["events"][i]["at"]["path"], data["events"][i]["at"]["line"]) for i in data["at_startup"]}
    assert startup == {("shop/main.py", 17), ("shop/main.py", 18)}
    missed = {(n["finding"]["path"], n["finding"]["line"], n["finding"]["code"]) for n in data["not_exercised"]}
    assert missed == {
        ("shop/routers/orders.py", 52, "ASL102"),  # the retry path: deselected
        ("shop/routers/orders.py", 70, "ASL301"),  # tracking calls the real shipping API: no test
        ("shop/routers/orders.py", 71, "ASL101"),
        ("shop/routers/users.py", 48, "ASL108"),  # `with lock:` on a built-in lock type
    }
    # (catalog calls: a slow step, which the same code makes only on a machine loaded enough, is not one)
    in_project = [r for r in data["runtime_only"] if data["events"][r["event"]]["at"]["path"].startswith("shop/")
                  and data["events"][r["event"]]["kind"] == "call"]
    (lazy,) = in_project  # user.id after commit: an expired ORM attribute loads lazily, on the loop
    event = data["events"][lazy["event"]]
    assert (event["at"]["path"], event["at"]["line"], event["api"]) == ("shop/routers/users.py", 54, "sqlalchemy.orm.Session.execute")
    assert event["route"] == "POST /users/"
    assert "special method (an attribute access" in lazy["suggestion"]["text"]
    # def routes and background work run in the thread pool: never an event
    assert not any(e["route"] in ("GET /users/{user_id}", "GET /files/{name}/download") for e in data["events"])
    assert "asynclint runtime:" in proc.stdout
