"""Rule documentation: one ``Rule`` per code, with examples the tests run.

Each rule carries the four sections ``asynclint rule CODE`` prints (*What it
does*, *Why is this bad?*, *Example*, *Use instead*), the fix ``--fix``
offers, and complete example modules: every ``invalid`` module must produce
at least one finding with the rule's code, every ``valid`` module none
(``tests/test_rule_docs.py`` checks both).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

__all__ = [
    "RULES",
    "Rule",
    "get_rule",
    "render_markdown",
    "render_text",
    "rule_for_category",
]


@dataclass(frozen=True)
class Rule:
    code: str  # "ASL101"
    name: str  # kebab-case, e.g. "blocking-http-call"
    category: str | None  # catalog category ("http", "sleep", ...), None for ASL301
    summary: str  # one line
    what: str  # markdown paragraph(s)
    why: str
    example: str  # python code (no fences)
    use_instead: str  # python code (no fences)
    fix: str | None  # "safe", "unsafe" or None
    fix_note: str  # one sentence on what the fix does, "" if none
    default_enabled: bool = True
    valid: tuple[str, ...] = ()  # complete modules: no finding with this code
    invalid: tuple[
        str, ...
    ] = ()  # complete modules: at least one finding with this code
    config: dict | None = (
        None  # a [tool.asynclint] table used when running the examples
    )


def _c(text: str) -> str:
    """Dedent a code block and strip the surrounding blank lines."""
    return textwrap.dedent(text).strip("\n") + "\n"


def _p(text: str) -> str:
    """Dedent a prose block: paragraphs separated by blank lines, lines re-joined."""
    paragraphs = textwrap.dedent(text).strip().split("\n\n")
    return "\n\n".join(
        " ".join(line.strip() for line in p.splitlines()) for p in paragraphs
    )


_TO_THREAD_NOTE = (
    "Wraps the call as `await asyncio.to_thread(fn, *args, **kwargs)`; unsafe because the "
    "function then runs in another thread, which matters if it touches state shared with the loop."
)

_CHAIN_WHAT = (
    "The message names the chain of calls from the coroutine down to the blocking library "
    "call, e.g. `route -> services.fetch -> requests.get`. The finding sits on the line in the "
    "`async def` where the chain starts; the sync helper itself is not reported. With the "
    "project's environment at hand (`--python`, `VIRTUAL_ENV`, `.venv`), the chain may go on "
    "into the source of installed libraries: such a finding says `inferred from library source` "
    "and shows the library hops as `site-packages/...:line`."
)

_CHAIN_WHY = (
    "Moving a blocking call into a plain `def` helper does not make it asynchronous: the helper "
    "still runs on the event loop thread when a coroutine calls it, and every other request "
    "waits until it returns."
)

# Configuration used by the ASL111 / ASL211 examples: one user-declared blocking API.
_SDK_CONFIG = {
    "extend-blocking": {
        "billing_sdk.client.fetch_invoice": {
            "message": "billing_sdk.client.fetch_invoice performs a blocking HTTPS request",
            "replacement": "use billing_sdk.aio.fetch_invoice and await it",
        }
    }
}


_RULE_LIST: list[Rule] = [
    # ------------------------------------------------------------------ ASL101
    Rule(
        code="ASL101",
        name="blocking-http-call",
        category="http",
        summary="Blocking HTTP call in async function",
        what=_p("""
            Checks for synchronous HTTP requests made directly inside an `async def`:
            `requests.get`/`post`/..., methods of a `requests.Session`, `urllib.request.urlopen`,
            `http.client` connections and the synchronous `httpx` API (`httpx.get`, `httpx.Client`).
        """),
        why=_p("""
            A synchronous HTTP client waits for the network on the thread that runs the event
            loop. While the remote server takes its time, no other coroutine can run: a FastAPI
            app stops answering every other request, health checks included, until the response
            arrives or the timeout expires.
        """),
        example=_c("""
            import requests
            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/repos/{owner}")
            async def list_repos(owner: str):
                resp = requests.get(f"https://api.github.com/users/{owner}/repos", timeout=10)
                return resp.json()
        """),
        use_instead=_c("""
            import httpx
            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/repos/{owner}")
            async def list_repos(owner: str):
                async with httpx.AsyncClient(timeout=10) as client:
                    resp = await client.get(f"https://api.github.com/users/{owner}/repos")
                return resp.json()
        """),
        fix="unsafe",
        fix_note=(
            "Rewrites `requests.<method>(...)` to an awaited call on an `httpx.AsyncClient` when the "
            "arguments map one to one, otherwise wraps it in `await asyncio.to_thread(...)`; unsafe "
            "because httpx differs from requests in defaults (redirects, timeouts) and exception types."
        ),
        invalid=(
            _c("""
                import requests
                from fastapi import FastAPI

                app = FastAPI()

                @app.get("/repos/{owner}")
                async def list_repos(owner: str):
                    resp = requests.get(f"https://api.github.com/users/{owner}/repos", timeout=10)
                    return resp.json()
            """),
            _c("""
                import requests

                session = requests.Session()

                async def notify_slack(webhook_url: str, text: str) -> None:
                    session.post(webhook_url, json={"text": text}, timeout=5)
            """),
        ),
        valid=(
            _c("""
                import httpx
                from fastapi import FastAPI

                app = FastAPI()

                @app.get("/repos/{owner}")
                async def list_repos(owner: str):
                    async with httpx.AsyncClient(timeout=10) as client:
                        resp = await client.get(f"https://api.github.com/users/{owner}/repos")
                    return resp.json()
            """),
            _c("""
                import asyncio

                import requests

                async def notify_slack(webhook_url: str, text: str) -> None:
                    await asyncio.to_thread(requests.post, webhook_url, json={"text": text}, timeout=5)
            """),
            _c("""
                import requests
                from fastapi import FastAPI

                app = FastAPI()

                @app.get("/status")
                def upstream_status():
                    return requests.get("https://status.example.com/api", timeout=5).json()
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL102
    Rule(
        code="ASL102",
        name="blocking-sleep",
        category="sleep",
        summary="time.sleep() in async function",
        what=_p("""
            Checks for `time.sleep()` called directly inside an `async def`.
        """),
        why=_p("""
            `time.sleep()` suspends the whole thread, and in a coroutine that thread is the event
            loop's. A one-second back-off in one request handler is a one-second freeze for every
            request the process is serving. `asyncio.sleep()` suspends only the current coroutine
            and lets the loop run everything else meanwhile.
        """),
        example=_c("""
            import time

            import httpx

            async def fetch_with_retry(client: httpx.AsyncClient, url: str):
                for attempt in range(3):
                    resp = await client.get(url)
                    if resp.status_code != 503:
                        return resp
                    time.sleep(2 ** attempt)
        """),
        use_instead=_c("""
            import asyncio

            import httpx

            async def fetch_with_retry(client: httpx.AsyncClient, url: str):
                for attempt in range(3):
                    resp = await client.get(url)
                    if resp.status_code != 503:
                        return resp
                    await asyncio.sleep(2 ** attempt)
        """),
        fix="safe",
        fix_note="Replaces `time.sleep(x)` with `await asyncio.sleep(x)` and adds `import asyncio` if needed.",
        invalid=(
            _c("""
                import time

                import httpx

                async def fetch_with_retry(client: httpx.AsyncClient, url: str):
                    for attempt in range(3):
                        resp = await client.get(url)
                        if resp.status_code != 503:
                            return resp
                        time.sleep(2 ** attempt)
            """),
            _c("""
                from time import sleep

                from fastapi import FastAPI

                app = FastAPI()

                @app.post("/jobs/{job_id}/cancel")
                async def cancel_job(job_id: int):
                    sleep(0.5)  # give the worker time to notice
                    return {"cancelled": job_id}
            """),
        ),
        valid=(
            _c("""
                import asyncio

                import httpx

                async def fetch_with_retry(client: httpx.AsyncClient, url: str):
                    for attempt in range(3):
                        resp = await client.get(url)
                        if resp.status_code != 503:
                            return resp
                        await asyncio.sleep(2 ** attempt)
            """),
            _c("""
                import time

                from fastapi import FastAPI

                app = FastAPI()

                @app.post("/jobs/{job_id}/cancel")
                def cancel_job(job_id: int):
                    time.sleep(0.5)  # a plain def route runs in the thread pool
                    return {"cancelled": job_id}
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL103
    Rule(
        code="ASL103",
        name="blocking-subprocess",
        category="subprocess",
        summary="Blocking subprocess call in async function",
        what=_p("""
            Checks for `subprocess.run`, `check_output`, `call`, `Popen(...).wait()`/`communicate()`,
            `os.system`, `os.popen` and the other process APIs that wait for a child, called directly
            inside an `async def`.
        """),
        why=_p("""
            These functions wait until the child process exits, and the event loop waits with
            them. A `git clone`, an image conversion or a `pg_dump` can take seconds to minutes,
            during which the application serves nothing. `asyncio.create_subprocess_exec()` starts
            the same process and lets the coroutine await its completion.
        """),
        example=_c("""
            import subprocess

            async def make_thumbnail(src: str, dst: str) -> None:
                subprocess.run(["convert", src, "-resize", "256x256", dst], check=True)
        """),
        use_instead=_c("""
            import asyncio

            async def make_thumbnail(src: str, dst: str) -> None:
                proc = await asyncio.create_subprocess_exec("convert", src, "-resize", "256x256", dst)
                if await proc.wait() != 0:
                    raise RuntimeError(f"convert failed for {src}")
        """),
        fix="unsafe",
        fix_note=(
            "Rewrites `subprocess.run([...])` with literal arguments to "
            "`await asyncio.create_subprocess_exec(...)` plus `await proc.communicate()`, otherwise "
            "wraps the call in `await asyncio.to_thread(...)`; unsafe because the result object and "
            "`check=True` error handling change."
        ),
        invalid=(
            _c("""
                import subprocess

                async def make_thumbnail(src: str, dst: str) -> None:
                    subprocess.run(["convert", src, "-resize", "256x256", dst], check=True)
            """),
            _c("""
                import subprocess

                from fastapi import FastAPI

                app = FastAPI()

                @app.get("/version")
                async def version():
                    sha = subprocess.check_output(["git", "rev-parse", "HEAD"], text=True)
                    return {"commit": sha.strip()}
            """),
        ),
        valid=(
            _c("""
                import asyncio

                async def make_thumbnail(src: str, dst: str) -> None:
                    proc = await asyncio.create_subprocess_exec("convert", src, "-resize", "256x256", dst)
                    if await proc.wait() != 0:
                        raise RuntimeError(f"convert failed for {src}")
            """),
            _c("""
                import asyncio
                import subprocess

                from fastapi import FastAPI

                app = FastAPI()

                @app.get("/version")
                async def version():
                    sha = await asyncio.to_thread(
                        subprocess.check_output, ["git", "rev-parse", "HEAD"], text=True
                    )
                    return {"commit": sha.strip()}
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL104
    Rule(
        code="ASL104",
        name="blocking-file-io",
        category="file",
        summary="Blocking file I/O in async function",
        what=_p("""
            Checks for file system work done directly inside an `async def`: `open()` and the
            methods of the file it returns, `pathlib.Path.read_text`/`write_bytes`/`iterdir`/...,
            `json.load`/`json.dump` on a file, `shutil` copies and moves, `os.listdir`, `os.remove`,
            `tempfile` files and archive handling.
        """),
        why=_p("""
            Disk access is blocking I/O. On a local SSD a small read is quick, but on a network
            file system, a busy disk or a large file it can take long enough to stall every
            coroutine on the loop. Use an async file API (`anyio.Path`, `aiofiles`), or run the
            whole file operation in a worker thread.
        """),
        example=_c("""
            import json

            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/reports/{name}")
            async def get_report(name: str):
                with open(f"/srv/reports/{name}.json") as f:
                    return json.loads(f.read())
        """),
        use_instead=_c("""
            import json

            import anyio
            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/reports/{name}")
            async def get_report(name: str):
                text = await anyio.Path(f"/srv/reports/{name}.json").read_text()
                return json.loads(text)
        """),
        fix="unsafe",
        fix_note=(
            "Rewrites an `open()` block that reads or writes the whole file at once to "
            "`await anyio.Path(p).read_text()` / `write_text()` (bytes likewise), otherwise wraps "
            "the call in `await asyncio.to_thread(...)`; unsafe because encoding and newline "
            "defaults may differ."
        ),
        invalid=(
            _c("""
                import json

                from fastapi import FastAPI

                app = FastAPI()

                @app.get("/reports/{name}")
                async def get_report(name: str):
                    with open(f"/srv/reports/{name}.json") as f:
                        return json.loads(f.read())
            """),
            _c("""
                from pathlib import Path

                from fastapi import FastAPI, UploadFile

                app = FastAPI()
                UPLOADS = Path("/srv/uploads")

                @app.post("/avatars")
                async def upload_avatar(file: UploadFile):
                    data = await file.read()
                    (UPLOADS / file.filename).write_bytes(data)
                    return {"size": len(data)}
            """),
        ),
        valid=(
            _c("""
                import json

                import anyio
                from fastapi import FastAPI

                app = FastAPI()

                @app.get("/reports/{name}")
                async def get_report(name: str):
                    text = await anyio.Path(f"/srv/reports/{name}.json").read_text()
                    return json.loads(text)
            """),
            _c("""
                import asyncio
                from pathlib import Path

                from fastapi import FastAPI, UploadFile

                app = FastAPI()
                UPLOADS = Path("/srv/uploads")

                @app.post("/avatars")
                async def upload_avatar(file: UploadFile):
                    data = await file.read()
                    await asyncio.to_thread((UPLOADS / file.filename).write_bytes, data)
                    return {"size": len(data)}
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL105
    Rule(
        code="ASL105",
        name="blocking-os-path",
        category="os-path",
        summary="Blocking os.path file system query in async function",
        what=_p("""
            Checks for `os.path` functions that ask the file system something, such as
            `exists`, `isfile`, `isdir`, `getsize`, `getmtime` and `realpath`, called directly
            inside an `async def`. Pure string helpers (`os.path.join`, `basename`, `splitext`)
            touch no disk and are not reported.
        """),
        why=_p("""
            Each of these calls is a `stat()` system call. It is usually fast, but on a network
            mount or an overloaded disk it can hang, and it hangs the event loop with it. In a
            loop over many paths the small costs also add up. `anyio.Path` and `aiofiles.os.path`
            offer awaitable versions.
        """),
        example=_c("""
            import os.path

            from fastapi import FastAPI, HTTPException

            app = FastAPI()

            @app.get("/exports/{name}")
            async def export_status(name: str):
                path = os.path.join("/srv/exports", name)
                if not os.path.exists(path):
                    raise HTTPException(404)
                return {"name": name, "ready": True}
        """),
        use_instead=_c("""
            import os.path

            import anyio
            from fastapi import FastAPI, HTTPException

            app = FastAPI()

            @app.get("/exports/{name}")
            async def export_status(name: str):
                path = os.path.join("/srv/exports", name)
                if not await anyio.Path(path).exists():
                    raise HTTPException(404)
                return {"name": name, "ready": True}
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        invalid=(
            _c("""
                import os.path

                from fastapi import FastAPI, HTTPException

                app = FastAPI()

                @app.get("/exports/{name}")
                async def export_status(name: str):
                    path = os.path.join("/srv/exports", name)
                    if not os.path.exists(path):
                        raise HTTPException(404)
                    return {"name": name, "ready": True}
            """),
            _c("""
                import os

                async def backup_size(path: str) -> int:
                    return os.path.getsize(path) if os.path.isfile(path) else 0
            """),
        ),
        valid=(
            _c("""
                import os.path

                import anyio
                from fastapi import FastAPI, HTTPException

                app = FastAPI()

                @app.get("/exports/{name}")
                async def export_status(name: str):
                    path = os.path.join("/srv/exports", name)
                    if not await anyio.Path(path).exists():
                        raise HTTPException(404)
                    return {"name": name, "ready": True}
            """),
            _c("""
                import asyncio
                import os

                async def backup_size(path: str) -> int:
                    if await asyncio.to_thread(os.path.isfile, path):
                        return await asyncio.to_thread(os.path.getsize, path)
                    return 0
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL106
    Rule(
        code="ASL106",
        name="blocking-database-call",
        category="database",
        summary="Blocking database call in async function",
        what=_p("""
            Checks for synchronous database drivers and ORMs used directly inside an `async def`:
            a SQLAlchemy `Session` or `Engine` (`execute`, `query(...).all()`, `commit`, ...),
            `sqlite3`, `psycopg2`, `psycopg` in sync mode, `pymysql` and similar.
        """),
        why=_p("""
            A synchronous driver waits for the database server's answer on the current thread.
            Inside a coroutine that thread is the event loop, so one slow query holds up every
            request in the process, including those that never touch the database. Use the
            driver's async API (`AsyncSession`, `asyncpg`, `aiosqlite`, `psycopg.AsyncConnection`)
            or make the endpoint a plain `def`.
        """),
        example=_c("""
            from fastapi import Depends, FastAPI
            from sqlalchemy import select
            from sqlalchemy.orm import Session

            from .db import get_session
            from .models import User

            app = FastAPI()

            @app.get("/users/{user_id}")
            async def get_user(user_id: int, db: Session = Depends(get_session)):
                user = db.execute(select(User).where(User.id == user_id)).scalar_one()
                return {"id": user.id, "email": user.email}
        """),
        use_instead=_c("""
            from fastapi import Depends, FastAPI
            from sqlalchemy import select
            from sqlalchemy.ext.asyncio import AsyncSession

            from .db import get_async_session
            from .models import User

            app = FastAPI()

            @app.get("/users/{user_id}")
            async def get_user(user_id: int, db: AsyncSession = Depends(get_async_session)):
                user = (await db.execute(select(User).where(User.id == user_id))).scalar_one()
                return {"id": user.id, "email": user.email}
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        invalid=(
            _c("""
                from fastapi import Depends, FastAPI
                from sqlalchemy import select
                from sqlalchemy.orm import Session

                from .db import get_session
                from .models import User

                app = FastAPI()

                @app.get("/users/{user_id}")
                async def get_user(user_id: int, db: Session = Depends(get_session)):
                    user = db.execute(select(User).where(User.id == user_id)).scalar_one()
                    return {"id": user.id, "email": user.email}
            """),
            _c("""
                import sqlite3

                async def count_orders(customer_id: int) -> int:
                    conn = sqlite3.connect("shop.db")
                    row = conn.execute(
                        "SELECT count(*) FROM orders WHERE customer_id = ?", (customer_id,)
                    ).fetchone()
                    return row[0]
            """),
        ),
        valid=(
            _c("""
                from fastapi import Depends, FastAPI
                from sqlalchemy import select
                from sqlalchemy.ext.asyncio import AsyncSession

                from .db import get_async_session
                from .models import User

                app = FastAPI()

                @app.get("/users/{user_id}")
                async def get_user(user_id: int, db: AsyncSession = Depends(get_async_session)):
                    user = (await db.execute(select(User).where(User.id == user_id))).scalar_one()
                    return {"id": user.id, "email": user.email}
            """),
            _c("""
                from fastapi import Depends, FastAPI
                from sqlalchemy import select
                from sqlalchemy.orm import Session

                from .db import get_session
                from .models import User

                app = FastAPI()

                @app.get("/users/{user_id}")
                def get_user(user_id: int, db: Session = Depends(get_session)):
                    user = db.execute(select(User).where(User.id == user_id)).scalar_one()
                    return {"id": user.id, "email": user.email}
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL107
    Rule(
        code="ASL107",
        name="blocking-network-client",
        category="network",
        summary="Blocking network or cloud client call in async function",
        what=_p("""
            Checks for synchronous network clients other than HTTP libraries and databases,
            used directly inside an `async def`: `redis.Redis`, `pymongo.MongoClient`, `boto3`
            clients and resources, vendor SDKs, `smtplib`, `ftplib` and raw blocking sockets.
        """),
        why=_p("""
            Every call on these clients is a network round trip made on the current thread. A
            cache lookup that normally takes a millisecond can take seconds when the server is
            slow or unreachable, and the whole event loop waits for it. Most of these libraries
            ship an asyncio twin (`redis.asyncio`, `motor`, `aioboto3`, `aiosmtplib`).
        """),
        example=_c("""
            import redis
            from fastapi import FastAPI

            app = FastAPI()
            cache = redis.Redis(host="cache", port=6379)

            @app.get("/feature-flags/{name}")
            async def feature_flag(name: str):
                value = cache.get(f"flag:{name}")
                return {"name": name, "enabled": value == b"1"}
        """),
        use_instead=_c("""
            import redis.asyncio as aioredis
            from fastapi import FastAPI

            app = FastAPI()
            cache = aioredis.Redis(host="cache", port=6379)

            @app.get("/feature-flags/{name}")
            async def feature_flag(name: str):
                value = await cache.get(f"flag:{name}")
                return {"name": name, "enabled": value == b"1"}
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        invalid=(
            _c("""
                import redis
                from fastapi import FastAPI

                app = FastAPI()
                cache = redis.Redis(host="cache", port=6379)

                @app.get("/feature-flags/{name}")
                async def feature_flag(name: str):
                    value = cache.get(f"flag:{name}")
                    return {"name": name, "enabled": value == b"1"}
            """),
            _c("""
                import boto3

                s3 = boto3.client("s3")

                async def archive_invoice(invoice_id: str, pdf: bytes) -> None:
                    s3.put_object(Bucket="invoices", Key=f"{invoice_id}.pdf", Body=pdf)
            """),
        ),
        valid=(
            _c("""
                import redis.asyncio as aioredis
                from fastapi import FastAPI

                app = FastAPI()
                cache = aioredis.Redis(host="cache", port=6379)

                @app.get("/feature-flags/{name}")
                async def feature_flag(name: str):
                    value = await cache.get(f"flag:{name}")
                    return {"name": name, "enabled": value == b"1"}
            """),
            _c("""
                import asyncio

                import boto3

                s3 = boto3.client("s3")

                async def archive_invoice(invoice_id: str, pdf: bytes) -> None:
                    await asyncio.to_thread(s3.put_object, Bucket="invoices", Key=f"{invoice_id}.pdf", Body=pdf)
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL108
    Rule(
        code="ASL108",
        name="blocking-wait",
        category="wait",
        summary="Blocking wait on a lock, queue, future or thread in async function",
        what=_p("""
            Checks for waits on thread synchronization primitives inside an `async def`:
            acquiring a `threading.Lock` (including `with lock:`), `queue.Queue.get`/`put`,
            `concurrent.futures.Future.result()`, `Thread.join()`, `threading.Event.wait()` and
            executor shutdowns that wait for their workers.
        """),
        why=_p("""
            These primitives park the calling thread until another thread acts. When the caller
            is the event loop, nothing else on the loop runs in the meantime, and if the thread
            it is waiting for needs the loop to make progress, the program deadlocks. asyncio has
            its own `Lock`, `Event` and `Queue`, and `asyncio.wrap_future()` turns a
            `concurrent.futures.Future` into something a coroutine can await.
        """),
        example=_c("""
            import queue

            jobs: queue.Queue = queue.Queue()

            async def next_job() -> dict:
                return jobs.get(timeout=30)
        """),
        use_instead=_c("""
            import asyncio

            jobs: asyncio.Queue = asyncio.Queue()

            async def next_job() -> dict:
                return await asyncio.wait_for(jobs.get(), timeout=30)
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        invalid=(
            _c("""
                import queue

                jobs = queue.Queue()

                async def next_job() -> dict:
                    return jobs.get(timeout=30)
            """),
            _c("""
                from concurrent.futures import ThreadPoolExecutor

                from .pdf import render_pdf

                pool = ThreadPoolExecutor(max_workers=4)

                async def invoice_pdf(invoice_id: int) -> bytes:
                    future = pool.submit(render_pdf, invoice_id)
                    return future.result()
            """),
        ),
        valid=(
            _c("""
                import asyncio

                jobs = asyncio.Queue()

                async def next_job() -> dict:
                    return await asyncio.wait_for(jobs.get(), timeout=30)
            """),
            _c("""
                import asyncio
                from concurrent.futures import ThreadPoolExecutor

                from .pdf import render_pdf

                pool = ThreadPoolExecutor(max_workers=4)

                async def invoice_pdf(invoice_id: int) -> bytes:
                    loop = asyncio.get_running_loop()
                    return await loop.run_in_executor(pool, render_pdf, invoice_id)
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL109
    Rule(
        code="ASL109",
        name="blocking-console-input",
        category="console",
        summary="Console input in async function",
        what=_p("""
            Checks for `input()` and `getpass.getpass()` called inside an `async def`.
        """),
        why=_p("""
            Reading from the terminal waits for a person to type and press Enter, which can take
            forever in human terms. Meanwhile the event loop is frozen: open connections time
            out, heartbeats stop and scheduled tasks do not run. Ask before the loop starts, or
            read the terminal in a worker thread.
        """),
        example=_c("""
            import asyncio

            from .deploy import deploy

            async def main() -> None:
                env = input("Environment to deploy to: ")
                await deploy(env)

            asyncio.run(main())
        """),
        use_instead=_c("""
            import asyncio

            from .deploy import deploy

            async def main(env: str) -> None:
                await deploy(env)

            asyncio.run(main(input("Environment to deploy to: ")))
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        invalid=(
            _c("""
                import asyncio

                from .deploy import deploy

                async def main() -> None:
                    env = input("Environment to deploy to: ")
                    await deploy(env)

                asyncio.run(main())
            """),
            _c("""
                import getpass

                import asyncpg

                async def connect_admin(dsn: str):
                    password = getpass.getpass("Database password: ")
                    return await asyncpg.connect(dsn, password=password)
            """),
        ),
        valid=(
            _c("""
                import asyncio

                from .deploy import deploy

                async def main(env: str) -> None:
                    await deploy(env)

                asyncio.run(main(input("Environment to deploy to: ")))
            """),
            _c("""
                import asyncio
                import getpass

                import asyncpg

                async def connect_admin(dsn: str):
                    password = await asyncio.to_thread(getpass.getpass, "Database password: ")
                    return await asyncpg.connect(dsn, password=password)
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL110
    Rule(
        code="ASL110",
        name="nested-event-loop",
        category="loop",
        summary="Event loop started inside a coroutine",
        what=_p("""
            Checks for `asyncio.run()`, `loop.run_until_complete()`, `loop.run_forever()` and the
            equivalent `anyio`/`trio` runners called inside an `async def`.
        """),
        why=_p("""
            A coroutine already runs on an event loop. `asyncio.run()` refuses to start while a
            loop is running and raises `RuntimeError`; `run_until_complete()` on the running loop
            raises too, and on a second loop it blocks the first one until it finishes. Patches
            such as `nest_asyncio` hide the error but keep the blocking. Inside a coroutine,
            simply await the other coroutine.
        """),
        example=_c("""
            import asyncio

            from .pricing import fetch_exchange_rates

            async def convert(amount: float, currency: str) -> float:
                rates = asyncio.run(fetch_exchange_rates())
                return amount * rates[currency]
        """),
        use_instead=_c("""
            from .pricing import fetch_exchange_rates

            async def convert(amount: float, currency: str) -> float:
                rates = await fetch_exchange_rates()
                return amount * rates[currency]
        """),
        fix=None,
        fix_note="",
        invalid=(
            _c("""
                import asyncio

                from .pricing import fetch_exchange_rates

                async def convert(amount: float, currency: str) -> float:
                    rates = asyncio.run(fetch_exchange_rates())
                    return amount * rates[currency]
            """),
            _c("""
                import asyncio

                from .search import reindex

                async def on_startup() -> None:
                    loop = asyncio.get_event_loop()
                    loop.run_until_complete(reindex())
            """),
        ),
        valid=(
            _c("""
                from .pricing import fetch_exchange_rates

                async def convert(amount: float, currency: str) -> float:
                    rates = await fetch_exchange_rates()
                    return amount * rates[currency]
            """),
            _c("""
                import asyncio

                from .search import reindex

                async def on_startup() -> None:
                    asyncio.get_running_loop().create_task(reindex())

                def main() -> None:
                    asyncio.run(reindex())
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL111
    Rule(
        code="ASL111",
        name="blocking-configured-call",
        category="configured",
        summary="Call declared blocking in the configuration, in async function",
        what=_p("""
            Checks for calls to APIs that your configuration declares blocking, under
            `[tool.asynclint.extend-blocking]` in `pyproject.toml`, when the entry gives no
            category of its own. The message and replacement come from the entry:
        """)
        + "\n\n"
        + _c("""
            ```toml
            [tool.asynclint.extend-blocking."billing_sdk.client.fetch_invoice"]
            message = "billing_sdk.client.fetch_invoice performs a blocking HTTPS request"
            replacement = "use billing_sdk.aio.fetch_invoice and await it"
            ```
        """).rstrip("\n"),
        why=_p("""
            asynclint's catalog cannot know your internal libraries or every vendor SDK. When
            you know that a function does blocking I/O, listing it lets asynclint find every
            place a coroutine calls it, under any import alias, and through your own helpers
            (ASL211), exactly as it does for `requests` or `time.sleep`.
        """),
        example=_c("""
            from billing_sdk.client import fetch_invoice
            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/invoices/{invoice_id}")
            async def get_invoice(invoice_id: str):
                return fetch_invoice(invoice_id)
        """),
        use_instead=_c("""
            from billing_sdk import aio
            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/invoices/{invoice_id}")
            async def get_invoice(invoice_id: str):
                return await aio.fetch_invoice(invoice_id)
        """),
        fix=None,
        fix_note="",
        config=_SDK_CONFIG,
        invalid=(
            _c("""
                from billing_sdk.client import fetch_invoice
                from fastapi import FastAPI

                app = FastAPI()

                @app.get("/invoices/{invoice_id}")
                async def get_invoice(invoice_id: str):
                    return fetch_invoice(invoice_id)
            """),
            _c("""
                import billing_sdk.client as billing

                async def invoice_total(invoice_id: str) -> float:
                    invoice = billing.fetch_invoice(invoice_id)
                    return sum(line["amount"] for line in invoice["lines"])
            """),
        ),
        valid=(
            _c("""
                from billing_sdk import aio
                from fastapi import FastAPI

                app = FastAPI()

                @app.get("/invoices/{invoice_id}")
                async def get_invoice(invoice_id: str):
                    return await aio.fetch_invoice(invoice_id)
            """),
            _c("""
                import asyncio

                import billing_sdk.client as billing

                async def invoice_total(invoice_id: str) -> float:
                    invoice = await asyncio.to_thread(billing.fetch_invoice, invoice_id)
                    return sum(line["amount"] for line in invoice["lines"])
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL112
    Rule(
        code="ASL112",
        name="cpu-bound-call",
        category="cpu",
        summary="CPU-bound call in async function",
        what=_p("""
            Checks for calls known to keep the CPU busy for a long time, such as password
            hashing and verification (`bcrypt.hashpw`, `bcrypt.checkpw`), made directly inside an
            `async def`.
        """),
        why=_p("""
            Nothing waits on I/O here, but the effect is the same: while the CPU grinds through
            a deliberately slow key-derivation function (often 100 ms or more), the event loop
            cannot switch to another task. A login endpoint under load then delays every other
            request. Run the computation in a thread (these libraries release the GIL) or a
            process pool.
        """),
        example=_c("""
            import bcrypt
            from fastapi import FastAPI

            from .users import save_user

            app = FastAPI()

            @app.post("/signup")
            async def signup(email: str, password: str):
                hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
                await save_user(email, hashed)
                return {"email": email}
        """),
        use_instead=_c("""
            import asyncio

            import bcrypt
            from fastapi import FastAPI

            from .users import save_user

            app = FastAPI()

            @app.post("/signup")
            async def signup(email: str, password: str):
                hashed = await asyncio.to_thread(bcrypt.hashpw, password.encode(), bcrypt.gensalt())
                await save_user(email, hashed)
                return {"email": email}
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        default_enabled=False,
        invalid=(
            _c("""
                import bcrypt
                from fastapi import FastAPI

                from .users import save_user

                app = FastAPI()

                @app.post("/signup")
                async def signup(email: str, password: str):
                    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
                    await save_user(email, hashed)
                    return {"email": email}
            """),
            _c("""
                import bcrypt

                from .users import load_hash

                async def verify_login(email: str, password: str) -> bool:
                    stored = await load_hash(email)
                    return bcrypt.checkpw(password.encode(), stored)
            """),
        ),
        valid=(
            _c("""
                import asyncio

                import bcrypt
                from fastapi import FastAPI

                from .users import save_user

                app = FastAPI()

                @app.post("/signup")
                async def signup(email: str, password: str):
                    hashed = await asyncio.to_thread(bcrypt.hashpw, password.encode(), bcrypt.gensalt())
                    await save_user(email, hashed)
                    return {"email": email}
            """),
            _c("""
                import bcrypt
                from fastapi.concurrency import run_in_threadpool

                from .users import load_hash

                async def verify_login(email: str, password: str) -> bool:
                    stored = await load_hash(email)
                    return await run_in_threadpool(bcrypt.checkpw, password.encode(), stored)
            """),
        ),
    ),
    # ================================================================== ASL2xx
    # ------------------------------------------------------------------ ASL201
    Rule(
        code="ASL201",
        name="transitive-blocking-http-call",
        category="http",
        summary="Async function calls project code that makes a blocking HTTP call",
        what=_p("""
            Checks for calls from an `async def` into the project's own synchronous functions,
            methods or constructors that end up making a synchronous HTTP request (`requests`,
            `urllib`, sync `httpx`), however many helpers deep.
        """)
        + "\n\n"
        + _CHAIN_WHAT,
        why=_CHAIN_WHY
        + " "
        + _p("""
            HTTP calls are the slowest of these: a remote API that takes five seconds to answer
            freezes the whole application for five seconds.
        """),
        example=_c("""
            import requests
            from fastapi import FastAPI

            app = FastAPI()

            def fetch_profile(user_id: int) -> dict:
                return requests.get(f"https://crm.internal/users/{user_id}", timeout=5).json()

            @app.get("/users/{user_id}/profile")
            async def profile(user_id: int):
                return fetch_profile(user_id)
        """),
        use_instead=_c("""
            import httpx
            from fastapi import FastAPI

            app = FastAPI()
            crm = httpx.AsyncClient(base_url="https://crm.internal", timeout=5)

            async def fetch_profile(user_id: int) -> dict:
                return (await crm.get(f"/users/{user_id}")).json()

            @app.get("/users/{user_id}/profile")
            async def profile(user_id: int):
                return await fetch_profile(user_id)
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        invalid=(
            _c("""
                import requests
                from fastapi import FastAPI

                app = FastAPI()

                def fetch_profile(user_id: int) -> dict:
                    return requests.get(f"https://crm.internal/users/{user_id}", timeout=5).json()

                @app.get("/users/{user_id}/profile")
                async def profile(user_id: int):
                    return fetch_profile(user_id)
            """),
            _c("""
                import requests

                class GeoClient:
                    def __init__(self, api_key: str):
                        self.api_key = api_key

                    def lookup(self, ip: str) -> dict:
                        resp = requests.get(f"https://geo.example.com/{ip}", params={"key": self.api_key})
                        return resp.json()

                geo = GeoClient("secret")

                async def country_of(ip: str) -> str:
                    return geo.lookup(ip)["country"]
            """),
        ),
        valid=(
            _c("""
                import httpx
                from fastapi import FastAPI

                app = FastAPI()
                crm = httpx.AsyncClient(base_url="https://crm.internal", timeout=5)

                async def fetch_profile(user_id: int) -> dict:
                    return (await crm.get(f"/users/{user_id}")).json()

                @app.get("/users/{user_id}/profile")
                async def profile(user_id: int):
                    return await fetch_profile(user_id)
            """),
            _c("""
                import asyncio

                import requests

                def fetch_profile(user_id: int) -> dict:
                    return requests.get(f"https://crm.internal/users/{user_id}", timeout=5).json()

                async def profile(user_id: int):
                    return await asyncio.to_thread(fetch_profile, user_id)
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL202
    Rule(
        code="ASL202",
        name="transitive-blocking-sleep",
        category="sleep",
        summary="Async function calls project code that calls time.sleep()",
        what=_p("""
            Checks for calls from an `async def` into the project's own synchronous code that
            calls `time.sleep()`, typically a retry, back-off or rate-limit helper.
        """)
        + "\n\n"
        + _CHAIN_WHAT,
        why=_CHAIN_WHY
        + " "
        + _p("""
            A sleep hidden in a shared helper is easy to miss in review and stalls the loop for
            its full duration each time.
        """),
        example=_c("""
            import time

            def respect_rate_limit(calls_per_second: float) -> None:
                time.sleep(1 / calls_per_second)

            async def sync_contacts(client, contacts):
                for contact in contacts:
                    respect_rate_limit(5)
                    await client.post("/contacts", json=contact)
        """),
        use_instead=_c("""
            import asyncio

            async def respect_rate_limit(calls_per_second: float) -> None:
                await asyncio.sleep(1 / calls_per_second)

            async def sync_contacts(client, contacts):
                for contact in contacts:
                    await respect_rate_limit(5)
                    await client.post("/contacts", json=contact)
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        invalid=(
            _c("""
                import time

                def respect_rate_limit(calls_per_second: float) -> None:
                    time.sleep(1 / calls_per_second)

                async def sync_contacts(client, contacts):
                    for contact in contacts:
                        respect_rate_limit(5)
                        await client.post("/contacts", json=contact)
            """),
            _c("""
                import time

                def backoff(attempt: int) -> None:
                    time.sleep(min(30, 2 ** attempt))

                def wait_and_log(attempt: int) -> None:
                    print(f"retry #{attempt}")
                    backoff(attempt)

                async def publish(producer, event):
                    for attempt in range(5):
                        if await producer.send(event):
                            return
                        wait_and_log(attempt)
            """),
        ),
        valid=(
            _c("""
                import asyncio

                async def respect_rate_limit(calls_per_second: float) -> None:
                    await asyncio.sleep(1 / calls_per_second)

                async def sync_contacts(client, contacts):
                    for contact in contacts:
                        await respect_rate_limit(5)
                        await client.post("/contacts", json=contact)
            """),
            _c("""
                import time

                from fastapi import FastAPI

                app = FastAPI()

                def backoff(attempt: int) -> None:
                    time.sleep(min(30, 2 ** attempt))

                @app.post("/webhooks/retry")
                def retry_webhook(attempt: int):
                    backoff(attempt)
                    return {"retried": attempt}
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL203
    Rule(
        code="ASL203",
        name="transitive-blocking-subprocess",
        category="subprocess",
        summary="Async function calls project code that waits for a subprocess",
        what=_p("""
            Checks for calls from an `async def` into the project's own synchronous code that
            runs a child process and waits for it (`subprocess.run`, `check_output`, `os.system`,
            `Popen.wait`, ...).
        """)
        + "\n\n"
        + _CHAIN_WHAT,
        why=_CHAIN_WHY
        + " "
        + _p("""
            Wrappers around command-line tools are a common way for a multi-second
            `ffmpeg` or `git` run to end up on the event loop.
        """),
        example=_c("""
            import subprocess

            def transcode(src: str, dst: str) -> None:
                subprocess.run(["ffmpeg", "-y", "-i", src, dst], check=True)

            async def process_upload(src: str) -> str:
                dst = src.rsplit(".", 1)[0] + ".mp4"
                transcode(src, dst)
                return dst
        """),
        use_instead=_c("""
            import asyncio

            async def transcode(src: str, dst: str) -> None:
                proc = await asyncio.create_subprocess_exec("ffmpeg", "-y", "-i", src, dst)
                if await proc.wait() != 0:
                    raise RuntimeError(f"ffmpeg failed on {src}")

            async def process_upload(src: str) -> str:
                dst = src.rsplit(".", 1)[0] + ".mp4"
                await transcode(src, dst)
                return dst
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        invalid=(
            _c("""
                import subprocess

                def transcode(src: str, dst: str) -> None:
                    subprocess.run(["ffmpeg", "-y", "-i", src, dst], check=True)

                async def process_upload(src: str) -> str:
                    dst = src.rsplit(".", 1)[0] + ".mp4"
                    transcode(src, dst)
                    return dst
            """),
            _c("""
                import subprocess

                from fastapi import FastAPI

                app = FastAPI()

                def current_commit() -> str:
                    return subprocess.check_output(["git", "rev-parse", "HEAD"], text=True).strip()

                @app.get("/health")
                async def health():
                    return {"status": "ok", "commit": current_commit()}
            """),
        ),
        valid=(
            _c("""
                import asyncio
                import subprocess

                def transcode(src: str, dst: str) -> None:
                    subprocess.run(["ffmpeg", "-y", "-i", src, dst], check=True)

                async def process_upload(src: str) -> str:
                    dst = src.rsplit(".", 1)[0] + ".mp4"
                    await asyncio.to_thread(transcode, src, dst)
                    return dst
            """),
            _c("""
                import subprocess

                from fastapi import FastAPI

                app = FastAPI()

                def current_commit() -> str:
                    return subprocess.check_output(["git", "rev-parse", "HEAD"], text=True).strip()

                COMMIT = current_commit()

                @app.get("/health")
                async def health():
                    return {"status": "ok", "commit": COMMIT}
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL204
    Rule(
        code="ASL204",
        name="transitive-blocking-file-io",
        category="file",
        summary="Async function calls project code that does blocking file I/O",
        what=_p("""
            Checks for calls from an `async def` into the project's own synchronous code that
            reads or writes files (`open()`, `pathlib.Path` I/O methods, `json.load`, `shutil`,
            `os.listdir`, ...).
        """)
        + "\n\n"
        + _CHAIN_WHAT,
        why=_CHAIN_WHY
        + " "
        + _p("""
            Loading a template, a settings file or an upload through a sync helper puts disk
            latency on the event loop for every request that reaches it.
        """),
        example=_c("""
            import json

            from fastapi import FastAPI

            app = FastAPI()

            def load_translations(lang: str) -> dict:
                with open(f"locales/{lang}.json", encoding="utf-8") as f:
                    return json.load(f)

            @app.get("/i18n/{lang}")
            async def translations(lang: str):
                return load_translations(lang)
        """),
        use_instead=_c("""
            import json

            import anyio
            from fastapi import FastAPI

            app = FastAPI()

            async def load_translations(lang: str) -> dict:
                text = await anyio.Path(f"locales/{lang}.json").read_text(encoding="utf-8")
                return json.loads(text)

            @app.get("/i18n/{lang}")
            async def translations(lang: str):
                return await load_translations(lang)
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        invalid=(
            _c("""
                import json

                from fastapi import FastAPI

                app = FastAPI()

                def load_translations(lang: str) -> dict:
                    with open(f"locales/{lang}.json", encoding="utf-8") as f:
                        return json.load(f)

                @app.get("/i18n/{lang}")
                async def translations(lang: str):
                    return load_translations(lang)
            """),
            _c("""
                from pathlib import Path

                class ReportStore:
                    def __init__(self, root: str):
                        self.root = Path(root)

                    def save(self, name: str, body: str) -> None:
                        (self.root / f"{name}.csv").write_text(body)

                store = ReportStore("/srv/reports")

                async def export_sales(rows: list[str]) -> None:
                    store.save("sales", "\\n".join(rows))
            """),
        ),
        valid=(
            _c("""
                import json

                import anyio
                from fastapi import FastAPI

                app = FastAPI()

                async def load_translations(lang: str) -> dict:
                    text = await anyio.Path(f"locales/{lang}.json").read_text(encoding="utf-8")
                    return json.loads(text)

                @app.get("/i18n/{lang}")
                async def translations(lang: str):
                    return await load_translations(lang)
            """),
            _c("""
                import asyncio
                from pathlib import Path

                class ReportStore:
                    def __init__(self, root: str):
                        self.root = Path(root)

                    def save(self, name: str, body: str) -> None:
                        (self.root / f"{name}.csv").write_text(body)

                store = ReportStore("/srv/reports")

                async def export_sales(rows: list[str]) -> None:
                    await asyncio.to_thread(store.save, "sales", "\\n".join(rows))
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL205
    Rule(
        code="ASL205",
        name="transitive-blocking-os-path",
        category="os-path",
        summary="Async function calls project code that queries the file system with os.path",
        what=_p("""
            Checks for calls from an `async def` into the project's own synchronous code that
            calls `os.path.exists`, `isfile`, `isdir`, `getsize`, `getmtime` or another `os.path`
            function that touches the disk.
        """)
        + "\n\n"
        + _CHAIN_WHAT,
        why=_CHAIN_WHY
        + " "
        + _p("""
            Each check is a `stat()` system call that can hang on a slow or network-mounted disk.
        """),
        example=_c("""
            import os.path

            MEDIA_ROOT = "/srv/media"

            def media_exists(name: str) -> bool:
                return os.path.isfile(os.path.join(MEDIA_ROOT, name))

            async def resolve_media(name: str) -> str | None:
                return name if media_exists(name) else None
        """),
        use_instead=_c("""
            import anyio

            MEDIA_ROOT = anyio.Path("/srv/media")

            async def media_exists(name: str) -> bool:
                return await (MEDIA_ROOT / name).is_file()

            async def resolve_media(name: str) -> str | None:
                return name if await media_exists(name) else None
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        invalid=(
            _c("""
                import os.path

                MEDIA_ROOT = "/srv/media"

                def media_exists(name: str) -> bool:
                    return os.path.isfile(os.path.join(MEDIA_ROOT, name))

                async def resolve_media(name: str) -> str | None:
                    return name if media_exists(name) else None
            """),
            _c("""
                import os

                from fastapi import FastAPI

                app = FastAPI()

                def cache_age(path: str) -> float:
                    return os.path.getmtime(path) if os.path.exists(path) else 0.0

                @app.get("/cache/status")
                async def cache_status():
                    return {"mtime": cache_age("/var/cache/app/index.bin")}
            """),
        ),
        valid=(
            _c("""
                import anyio

                MEDIA_ROOT = anyio.Path("/srv/media")

                async def media_exists(name: str) -> bool:
                    return await (MEDIA_ROOT / name).is_file()

                async def resolve_media(name: str) -> str | None:
                    return name if await media_exists(name) else None
            """),
            _c("""
                import os

                from fastapi import FastAPI

                app = FastAPI()

                def cache_age(path: str) -> float:
                    return os.path.getmtime(path) if os.path.exists(path) else 0.0

                @app.get("/cache/status")
                def cache_status():
                    return {"mtime": cache_age("/var/cache/app/index.bin")}
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL206
    Rule(
        code="ASL206",
        name="transitive-blocking-database-call",
        category="database",
        summary="Async function calls project code that makes a blocking database call",
        what=_p("""
            Checks for calls from an `async def` into the project's own synchronous code
            (repositories, CRUD helpers, service methods) that query a database through a
            synchronous driver or ORM session.
        """)
        + "\n\n"
        + _CHAIN_WHAT,
        why=_CHAIN_WHY
        + " "
        + _p("""
            A repository layer is the usual place where a sync `Session` hides behind an innocent
            looking `get_user(...)` call made from an `async def` route.
        """),
        example=_c("""
            from fastapi import Depends, FastAPI
            from sqlalchemy.orm import Session

            from .db import get_session
            from .models import Order

            app = FastAPI()

            def get_order(db: Session, order_id: int) -> Order | None:
                return db.get(Order, order_id)

            @app.get("/orders/{order_id}")
            async def read_order(order_id: int, db: Session = Depends(get_session)):
                order = get_order(db, order_id)
                return {"id": order.id, "total": order.total}
        """),
        use_instead=_c("""
            from fastapi import Depends, FastAPI
            from sqlalchemy.orm import Session

            from .db import get_session
            from .models import Order

            app = FastAPI()

            def get_order(db: Session, order_id: int) -> Order | None:
                return db.get(Order, order_id)

            @app.get("/orders/{order_id}")
            def read_order(order_id: int, db: Session = Depends(get_session)):
                order = get_order(db, order_id)
                return {"id": order.id, "total": order.total}
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        invalid=(
            _c("""
                from fastapi import Depends, FastAPI
                from sqlalchemy.orm import Session

                from .db import get_session
                from .models import Order

                app = FastAPI()

                def get_order(db: Session, order_id: int) -> Order | None:
                    return db.get(Order, order_id)

                @app.get("/orders/{order_id}")
                async def read_order(order_id: int, db: Session = Depends(get_session)):
                    order = get_order(db, order_id)
                    return {"id": order.id, "total": order.total}
            """),
            _c("""
                import sqlite3

                class AuditLog:
                    def __init__(self, path: str):
                        self.path = path

                    def record(self, user: str, action: str) -> None:
                        with sqlite3.connect(self.path) as conn:
                            conn.execute("INSERT INTO audit VALUES (?, ?)", (user, action))

                audit = AuditLog("audit.db")

                async def delete_account(user: str) -> None:
                    audit.record(user, "delete")
            """),
        ),
        valid=(
            _c("""
                from fastapi import Depends, FastAPI
                from sqlalchemy.orm import Session

                from .db import get_session
                from .models import Order

                app = FastAPI()

                def get_order(db: Session, order_id: int) -> Order | None:
                    return db.get(Order, order_id)

                @app.get("/orders/{order_id}")
                def read_order(order_id: int, db: Session = Depends(get_session)):
                    order = get_order(db, order_id)
                    return {"id": order.id, "total": order.total}
            """),
            _c("""
                from sqlalchemy.ext.asyncio import AsyncSession

                from .models import Order

                async def get_order(db: AsyncSession, order_id: int) -> Order | None:
                    return await db.get(Order, order_id)

                async def order_total(db: AsyncSession, order_id: int) -> float:
                    order = await get_order(db, order_id)
                    return order.total if order else 0.0
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL207
    Rule(
        code="ASL207",
        name="transitive-blocking-network-client",
        category="network",
        summary="Async function calls project code that uses a blocking network or cloud client",
        what=_p("""
            Checks for calls from an `async def` into the project's own synchronous code that
            talks to redis, MongoDB, S3 or another service through a blocking client (`redis.Redis`,
            `pymongo`, `boto3`, `smtplib`, vendor SDKs, sockets).
        """)
        + "\n\n"
        + _CHAIN_WHAT,
        why=_CHAIN_WHY
        + " "
        + _p("""
            Cache and storage wrappers are called from many places, so one blocking client in a
            helper tends to reach many coroutines.
        """),
        example=_c("""
            import boto3

            s3 = boto3.client("s3")

            def upload_receipt(order_id: int, pdf: bytes) -> str:
                key = f"receipts/{order_id}.pdf"
                s3.put_object(Bucket="shop-docs", Key=key, Body=pdf)
                return key

            async def finish_checkout(order_id: int, pdf: bytes) -> str:
                return upload_receipt(order_id, pdf)
        """),
        use_instead=_c("""
            import asyncio

            import boto3

            s3 = boto3.client("s3")

            def upload_receipt(order_id: int, pdf: bytes) -> str:
                key = f"receipts/{order_id}.pdf"
                s3.put_object(Bucket="shop-docs", Key=key, Body=pdf)
                return key

            async def finish_checkout(order_id: int, pdf: bytes) -> str:
                return await asyncio.to_thread(upload_receipt, order_id, pdf)
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        invalid=(
            _c("""
                import boto3

                s3 = boto3.client("s3")

                def upload_receipt(order_id: int, pdf: bytes) -> str:
                    key = f"receipts/{order_id}.pdf"
                    s3.put_object(Bucket="shop-docs", Key=key, Body=pdf)
                    return key

                async def finish_checkout(order_id: int, pdf: bytes) -> str:
                    return upload_receipt(order_id, pdf)
            """),
            _c("""
                import redis
                from fastapi import FastAPI

                app = FastAPI()

                class SessionStore:
                    def __init__(self, url: str):
                        self.redis = redis.Redis.from_url(url)

                    def load(self, sid: str) -> bytes | None:
                        return self.redis.get(f"session:{sid}")

                sessions = SessionStore("redis://cache:6379/0")

                @app.get("/me")
                async def me(sid: str):
                    return {"session": sessions.load(sid)}
            """),
        ),
        valid=(
            _c("""
                import asyncio

                import boto3

                s3 = boto3.client("s3")

                def upload_receipt(order_id: int, pdf: bytes) -> str:
                    key = f"receipts/{order_id}.pdf"
                    s3.put_object(Bucket="shop-docs", Key=key, Body=pdf)
                    return key

                async def finish_checkout(order_id: int, pdf: bytes) -> str:
                    return await asyncio.to_thread(upload_receipt, order_id, pdf)
            """),
            _c("""
                import redis.asyncio as aioredis
                from fastapi import FastAPI

                app = FastAPI()

                class SessionStore:
                    def __init__(self, url: str):
                        self.redis = aioredis.Redis.from_url(url)

                    async def load(self, sid: str) -> bytes | None:
                        return await self.redis.get(f"session:{sid}")

                sessions = SessionStore("redis://cache:6379/0")

                @app.get("/me")
                async def me(sid: str):
                    return {"session": await sessions.load(sid)}
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL208
    Rule(
        code="ASL208",
        name="transitive-blocking-wait",
        category="wait",
        summary="Async function calls project code that waits on a lock, queue, future or thread",
        what=_p("""
            Checks for calls from an `async def` into the project's own synchronous code that
            waits on a thread primitive: `queue.Queue.get`, `Future.result()`, `Thread.join()`,
            `Event.wait()`, a lock held across slow work.
        """)
        + "\n\n"
        + _CHAIN_WHAT,
        why=_CHAIN_WHY
        + " "
        + _p("""
            Waiting for another thread from the loop thread also risks a deadlock when that
            thread needs the loop to finish its work.
        """),
        example=_c("""
            import queue

            results = queue.Queue()

            def wait_for_result(timeout: float) -> dict:
                return results.get(timeout=timeout)

            async def poll_worker() -> dict:
                return wait_for_result(10)
        """),
        use_instead=_c("""
            import asyncio

            results = asyncio.Queue()

            async def wait_for_result(timeout: float) -> dict:
                return await asyncio.wait_for(results.get(), timeout)

            async def poll_worker() -> dict:
                return await wait_for_result(10)
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        invalid=(
            _c("""
                import queue

                results = queue.Queue()

                def wait_for_result(timeout: float) -> dict:
                    return results.get(timeout=timeout)

                async def poll_worker() -> dict:
                    return wait_for_result(10)
            """),
            _c("""
                from concurrent.futures import ThreadPoolExecutor

                from .scoring import score_document

                pool = ThreadPoolExecutor(max_workers=8)

                def score_all(docs: list[str]) -> list[float]:
                    return list(pool.map(score_document, docs))

                async def rank(docs: list[str]) -> list[str]:
                    scores = score_all(docs)
                    return [d for _, d in sorted(zip(scores, docs), reverse=True)]
            """),
        ),
        valid=(
            _c("""
                import asyncio

                results = asyncio.Queue()

                async def wait_for_result(timeout: float) -> dict:
                    return await asyncio.wait_for(results.get(), timeout)

                async def poll_worker() -> dict:
                    return await wait_for_result(10)
            """),
            _c("""
                import asyncio
                from concurrent.futures import ThreadPoolExecutor

                from .scoring import score_document

                pool = ThreadPoolExecutor(max_workers=8)

                def score_all(docs: list[str]) -> list[float]:
                    return list(pool.map(score_document, docs))

                async def rank(docs: list[str]) -> list[str]:
                    scores = await asyncio.to_thread(score_all, docs)
                    return [d for _, d in sorted(zip(scores, docs), reverse=True)]
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL209
    Rule(
        code="ASL209",
        name="transitive-blocking-console-input",
        category="console",
        summary="Async function calls project code that reads console input",
        what=_p("""
            Checks for calls from an `async def` into the project's own synchronous code that
            calls `input()` or `getpass.getpass()`.
        """)
        + "\n\n"
        + _CHAIN_WHAT,
        why=_CHAIN_WHY
        + " "
        + _p("""
            A confirmation prompt in a CLI helper stops the loop until someone answers it, and
            background tasks and open connections stall meanwhile.
        """),
        example=_c("""
            from .migrations import apply_migrations

            def confirm(question: str) -> bool:
                return input(f"{question} [y/N] ").strip().lower() == "y"

            async def migrate(db_url: str) -> None:
                if confirm(f"Apply migrations to {db_url}?"):
                    await apply_migrations(db_url)
        """),
        use_instead=_c("""
            import asyncio

            from .migrations import apply_migrations

            def confirm(question: str) -> bool:
                return input(f"{question} [y/N] ").strip().lower() == "y"

            async def migrate(db_url: str) -> None:
                if await asyncio.to_thread(confirm, f"Apply migrations to {db_url}?"):
                    await apply_migrations(db_url)
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        invalid=(
            _c("""
                from .migrations import apply_migrations

                def confirm(question: str) -> bool:
                    return input(f"{question} [y/N] ").strip().lower() == "y"

                async def migrate(db_url: str) -> None:
                    if confirm(f"Apply migrations to {db_url}?"):
                        await apply_migrations(db_url)
            """),
            _c("""
                import getpass

                import asyncpg

                def ask_credentials() -> tuple[str, str]:
                    user = input("User: ")
                    return user, getpass.getpass("Password: ")

                async def open_admin_connection(dsn: str):
                    user, password = ask_credentials()
                    return await asyncpg.connect(dsn, user=user, password=password)
            """),
        ),
        valid=(
            _c("""
                import asyncio

                from .migrations import apply_migrations

                def confirm(question: str) -> bool:
                    return input(f"{question} [y/N] ").strip().lower() == "y"

                async def migrate(db_url: str) -> None:
                    if await asyncio.to_thread(confirm, f"Apply migrations to {db_url}?"):
                        await apply_migrations(db_url)
            """),
            _c("""
                import asyncio
                import getpass

                import asyncpg

                def ask_credentials() -> tuple[str, str]:
                    user = input("User: ")
                    return user, getpass.getpass("Password: ")

                async def open_admin_connection(dsn: str, user: str, password: str):
                    return await asyncpg.connect(dsn, user=user, password=password)

                if __name__ == "__main__":
                    asyncio.run(open_admin_connection("postgresql://db/app", *ask_credentials()))
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL210
    Rule(
        code="ASL210",
        name="transitive-nested-event-loop",
        category="loop",
        summary="Async function calls project code that starts an event loop",
        what=_p("""
            Checks for calls from an `async def` into the project's own synchronous code that
            calls `asyncio.run()` or `loop.run_until_complete()`: typically a sync wrapper
            written for scripts or Celery tasks that is later reused from async code.
        """)
        + "\n\n"
        + _CHAIN_WHAT,
        why=_CHAIN_WHY
        + " "
        + _p("""
            Here it is worse than slow: `asyncio.run()` raises `RuntimeError` when a loop is
            already running in the thread, so the call fails at run time. Call the coroutine the
            wrapper runs, and await it.
        """),
        example=_c("""
            import asyncio

            from .mailer import send_email

            def send_email_sync(to: str, subject: str) -> None:
                asyncio.run(send_email(to, subject))

            async def register(email: str) -> None:
                send_email_sync(email, "Welcome!")
        """),
        use_instead=_c("""
            from .mailer import send_email

            async def register(email: str) -> None:
                await send_email(email, "Welcome!")
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        invalid=(
            _c("""
                import asyncio

                from .mailer import send_email

                def send_email_sync(to: str, subject: str) -> None:
                    asyncio.run(send_email(to, subject))

                async def register(email: str) -> None:
                    send_email_sync(email, "Welcome!")
            """),
            _c("""
                import asyncio

                from .search import rebuild_index

                def rebuild_now() -> None:
                    loop = asyncio.new_event_loop()
                    loop.run_until_complete(rebuild_index())

                async def on_catalog_change() -> None:
                    rebuild_now()
            """),
        ),
        valid=(
            _c("""
                from .mailer import send_email

                async def register(email: str) -> None:
                    await send_email(email, "Welcome!")
            """),
            _c("""
                import asyncio

                from .mailer import send_email

                def send_email_sync(to: str, subject: str) -> None:
                    asyncio.run(send_email(to, subject))

                async def register(email: str) -> None:
                    await send_email(email, "Welcome!")

                if __name__ == "__main__":
                    send_email_sync("ops@example.com", "Manual test")
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL211
    Rule(
        code="ASL211",
        name="transitive-configured-call",
        category="configured",
        summary="Async function calls project code that calls an API declared blocking in the configuration",
        what=_p("""
            Checks for calls from an `async def` into the project's own synchronous code that
            calls an API listed under `[tool.asynclint.extend-blocking]` (see ASL111).
        """)
        + "\n\n"
        + _CHAIN_WHAT,
        why=_CHAIN_WHY
        + " "
        + _p("""
            Internal SDKs are usually wrapped once in a service module and then called from
            everywhere, so the wrapper is where the blocking hides.
        """),
        example=_c("""
            from billing_sdk.client import fetch_invoice

            def invoice_summary(invoice_id: str) -> dict:
                invoice = fetch_invoice(invoice_id)
                return {"id": invoice_id, "total": invoice["total"]}

            async def email_invoice(invoice_id: str, mailer) -> None:
                await mailer.send(invoice_summary(invoice_id))
        """),
        use_instead=_c("""
            import asyncio

            from billing_sdk.client import fetch_invoice

            def invoice_summary(invoice_id: str) -> dict:
                invoice = fetch_invoice(invoice_id)
                return {"id": invoice_id, "total": invoice["total"]}

            async def email_invoice(invoice_id: str, mailer) -> None:
                await mailer.send(await asyncio.to_thread(invoice_summary, invoice_id))
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        config=_SDK_CONFIG,
        invalid=(
            _c("""
                from billing_sdk.client import fetch_invoice

                def invoice_summary(invoice_id: str) -> dict:
                    invoice = fetch_invoice(invoice_id)
                    return {"id": invoice_id, "total": invoice["total"]}

                async def email_invoice(invoice_id: str, mailer) -> None:
                    await mailer.send(invoice_summary(invoice_id))
            """),
            _c("""
                from billing_sdk import client as billing
                from fastapi import FastAPI

                app = FastAPI()

                class BillingService:
                    def overdue(self, invoice_ids: list[str]) -> list[str]:
                        return [i for i in invoice_ids if billing.fetch_invoice(i)["overdue"]]

                service = BillingService()

                @app.post("/reminders")
                async def send_reminders(invoice_ids: list[str]):
                    return {"overdue": service.overdue(invoice_ids)}
            """),
        ),
        valid=(
            _c("""
                import asyncio

                from billing_sdk.client import fetch_invoice

                def invoice_summary(invoice_id: str) -> dict:
                    invoice = fetch_invoice(invoice_id)
                    return {"id": invoice_id, "total": invoice["total"]}

                async def email_invoice(invoice_id: str, mailer) -> None:
                    await mailer.send(await asyncio.to_thread(invoice_summary, invoice_id))
            """),
            _c("""
                from billing_sdk import client as billing
                from fastapi import FastAPI

                app = FastAPI()

                class BillingService:
                    def overdue(self, invoice_ids: list[str]) -> list[str]:
                        return [i for i in invoice_ids if billing.fetch_invoice(i)["overdue"]]

                service = BillingService()

                @app.post("/reminders")
                def send_reminders(invoice_ids: list[str]):
                    return {"overdue": service.overdue(invoice_ids)}
            """),
        ),
    ),
    # ------------------------------------------------------------------ ASL212
    Rule(
        code="ASL212",
        name="transitive-cpu-bound-call",
        category="cpu",
        summary="Async function calls project code that does CPU-bound work",
        what=_p("""
            Checks for calls from an `async def` into the project's own synchronous code that
            performs known CPU-heavy work such as password hashing (`bcrypt.hashpw`,
            `bcrypt.checkpw`).
        """)
        + "\n\n"
        + _CHAIN_WHAT,
        why=_CHAIN_WHY
        + " "
        + _p("""
            Password helpers are deliberately slow; called from a login coroutine they take the
            event loop away from every other request for the length of each hash.
        """),
        example=_c("""
            import bcrypt

            from .users import load_hash

            def password_matches(password: str, stored: bytes) -> bool:
                return bcrypt.checkpw(password.encode(), stored)

            async def login(email: str, password: str) -> bool:
                return password_matches(password, await load_hash(email))
        """),
        use_instead=_c("""
            import asyncio

            import bcrypt

            from .users import load_hash

            def password_matches(password: str, stored: bytes) -> bool:
                return bcrypt.checkpw(password.encode(), stored)

            async def login(email: str, password: str) -> bool:
                stored = await load_hash(email)
                return await asyncio.to_thread(password_matches, password, stored)
        """),
        fix="unsafe",
        fix_note=_TO_THREAD_NOTE,
        default_enabled=False,
        invalid=(
            _c("""
                import bcrypt

                from .users import load_hash

                def password_matches(password: str, stored: bytes) -> bool:
                    return bcrypt.checkpw(password.encode(), stored)

                async def login(email: str, password: str) -> bool:
                    return password_matches(password, await load_hash(email))
            """),
            _c("""
                import bcrypt
                from fastapi import FastAPI

                from .users import save_user

                app = FastAPI()

                def hash_password(password: str) -> bytes:
                    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=12))

                @app.post("/signup")
                async def signup(email: str, password: str):
                    await save_user(email, hash_password(password))
                    return {"email": email}
            """),
        ),
        valid=(
            _c("""
                import asyncio

                import bcrypt

                from .users import load_hash

                def password_matches(password: str, stored: bytes) -> bool:
                    return bcrypt.checkpw(password.encode(), stored)

                async def login(email: str, password: str) -> bool:
                    stored = await load_hash(email)
                    return await asyncio.to_thread(password_matches, password, stored)
            """),
            _c("""
                import bcrypt
                from fastapi import FastAPI

                from .users import save_user_sync

                app = FastAPI()

                def hash_password(password: str) -> bytes:
                    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=12))

                @app.post("/signup")
                def signup(email: str, password: str):
                    save_user_sync(email, hash_password(password))
                    return {"email": email}
            """),
        ),
    ),
    # ================================================================== ASL301
    Rule(
        code="ASL301",
        name="async-route-never-awaits",
        category=None,
        summary="Blocking async FastAPI route or dependency that never awaits; make it a def",
        what=_p("""
            Checks for FastAPI path operations (`@app.get`, `@router.post`, ...) and dependencies
            (functions used in `Depends(...)`) declared `async def` that never `await`, never use
            `async for` or `async with`, and make a blocking call (directly or through project
            code). The finding is reported on the `async def` line, next to the ASL1xx/ASL2xx
            findings for the blocking calls themselves.
        """),
        why=_p("""
            FastAPI runs an `async def` endpoint on the event loop and a plain `def` endpoint in
            its thread pool. A function that never awaits gains nothing from being a coroutine,
            but its blocking calls stall the whole server. Declared as `def`, the same code runs
            in a worker thread and other requests keep flowing: often the smallest correct fix
            when the code is built on sync libraries.
        """),
        example=_c("""
            import requests
            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/weather/{city}")
            async def weather(city: str):
                resp = requests.get(f"https://wttr.in/{city}", params={"format": "j1"}, timeout=10)
                return resp.json()
        """),
        use_instead=_c("""
            import requests
            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/weather/{city}")
            def weather(city: str):
                resp = requests.get(f"https://wttr.in/{city}", params={"format": "j1"}, timeout=10)
                return resp.json()
        """),
        fix="safe",
        fix_note="Changes `async def` to `def` on the route or dependency; FastAPI then runs it in its thread pool.",
        invalid=(
            _c("""
                import requests
                from fastapi import FastAPI

                app = FastAPI()

                @app.get("/weather/{city}")
                async def weather(city: str):
                    resp = requests.get(f"https://wttr.in/{city}", params={"format": "j1"}, timeout=10)
                    return resp.json()
            """),
            _c("""
                import json

                from fastapi import APIRouter, Depends

                router = APIRouter()

                async def get_settings() -> dict:
                    with open("settings.json") as f:
                        return json.load(f)

                @router.get("/settings/theme")
                def theme(settings: dict = Depends(get_settings)):
                    return {"theme": settings.get("theme", "light")}
            """),
        ),
        valid=(
            _c("""
                import requests
                from fastapi import FastAPI

                app = FastAPI()

                @app.get("/weather/{city}")
                def weather(city: str):
                    resp = requests.get(f"https://wttr.in/{city}", params={"format": "j1"}, timeout=10)
                    return resp.json()
            """),
            _c("""
                import httpx
                from fastapi import FastAPI

                app = FastAPI()

                @app.get("/weather/{city}")
                async def weather(city: str):
                    async with httpx.AsyncClient(timeout=10) as client:
                        resp = await client.get(f"https://wttr.in/{city}", params={"format": "j1"})
                    return resp.json()
            """),
            _c("""
                from fastapi import FastAPI

                app = FastAPI()

                @app.get("/health")
                async def health():
                    return {"status": "ok"}
            """),
        ),
    ),
]

RULES: dict[str, Rule] = {r.code: r for r in sorted(_RULE_LIST, key=lambda r: r.code)}

_BY_CATEGORY: dict[tuple[str, bool], Rule] = {
    (r.category, r.code.startswith("ASL2")): r
    for r in RULES.values()
    if r.category is not None
}


def get_rule(code: str) -> Rule | None:
    """The rule with this code (case-insensitive), or None."""
    return RULES.get(code.strip().upper())


def rule_for_category(category: str, transitive: bool) -> Rule:
    """The ASL1xx (direct) or ASL2xx (transitive) rule of a catalog category.

    Unknown categories map to the ``configured`` rules, as the catalog does.
    """
    rule = _BY_CATEGORY.get((category, bool(transitive)))
    if rule is None:
        rule = _BY_CATEGORY[("configured", bool(transitive))]
    return rule


_SECTIONS = (
    ("What it does", "what"),
    ("Why is this bad?", "why"),
    ("Example", "example"),
    ("Use instead", "use_instead"),
)
_CODE_FIELDS = {"example", "use_instead"}


def _fix_line(rule: Rule) -> str:
    return f"Fix: {rule.fix or 'none'}"


def _enable_note(rule: Rule) -> str:
    return (
        ""
        if rule.default_enabled
        else f'Off by default; enable it with `extend-select = ["{rule.code}"]`.'
    )


def render_markdown(rule: Rule) -> str:
    """The rule's documentation as Markdown (``asynclint rule CODE --format markdown``)."""
    out = [f"# {rule.code} ({rule.name})", "", _fix_line(rule), ""]
    if not rule.default_enabled:
        out += [_enable_note(rule), ""]
    out += [rule.summary + ".", ""]
    for title, attr in _SECTIONS:
        body = getattr(rule, attr).strip("\n")
        out += [f"## {title}", ""]
        if attr in _CODE_FIELDS:
            out += ["```python", body, "```", ""]
        else:
            out += [body, ""]
    if rule.fix_note:
        out += ["## Fix", "", rule.fix_note, ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _plain(text: str) -> str:
    """Markdown prose for a terminal: fenced blocks become indented code."""
    lines, in_fence = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
            continue
        lines.append("    " + line if in_fence and line else line)
    return "\n".join(lines)


def render_text(rule: Rule) -> str:
    """The rule's documentation for a terminal (``asynclint rule CODE``)."""
    out = [f"{rule.code} ({rule.name})", "", _fix_line(rule), ""]
    if not rule.default_enabled:
        out += [_enable_note(rule).replace("`", ""), ""]
    out += [rule.summary + ".", ""]
    for title, attr in _SECTIONS:
        body = getattr(rule, attr).strip("\n")
        out += [title, "-" * len(title), ""]
        if attr in _CODE_FIELDS:
            out += [textwrap.indent(body, "    "), ""]
        else:
            paragraphs = [
                _plain(p) if "```" in p else textwrap.fill(p, 88)
                for p in body.split("\n\n")
            ]
            out += ["\n\n".join(paragraphs), ""]
    if rule.fix_note:
        out += ["Fix", "---", "", textwrap.fill(rule.fix_note, 88), ""]
    return "\n".join(out).rstrip("\n") + "\n"
