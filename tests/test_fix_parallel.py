"""``--fix`` on many files: fixed in worker processes as in this one, the summaries of what it wrote
left for the check after it, and a file whose worker fails is reported, never fixed twice."""

import multiprocessing
import os
import shutil

import pytest
from click.testing import CliRunner

from asynclint.cache.summaries import SummaryCache
from asynclint.cli import main
from asynclint.engine import Options, run
from asynclint.fix import apply, apply_fixes

# a FastAPI service whose routers and services block in several ways (one module per concern)
APP = {
    "pyproject.toml": '[project]\nname = "shop"\n',
    "shop/__init__.py": "",
    "shop/main.py": (
        "from fastapi import FastAPI\n\n"
        "from shop.routers import orders, reports, uploads, users\n\n"
        "app = FastAPI()\n"
        "for router in (orders.router, reports.router, uploads.router, users.router):\n"
        "    app.include_router(router)\n"
    ),
    "shop/routers/__init__.py": "",
    "shop/routers/orders.py": (
        "import time\n\n"
        "import requests\n"
        "from fastapi import APIRouter, Request\n\n"
        "router = APIRouter()\n\n\n"
        "@router.post('/orders/{order_id}/refund')\n"
        "async def refund(order_id: int, request: Request):\n"
        "    reason = (await request.json())['reason']\n"
        "    time.sleep(0.1)  # rate limit\n"
        "    return requests.post(f'http://billing/orders/{order_id}/refund', json={'reason': reason}, timeout=5).json()\n"
    ),
    "shop/routers/reports.py": (
        "import subprocess\n\n"
        "from fastapi import APIRouter, Request\n\n"
        "router = APIRouter()\n\n\n"
        "@router.post('/reports')\n"
        "async def build_report(request: Request):\n"
        "    name = (await request.form())['name']\n"
        "    subprocess.run(['make-report', name], check=True)\n"
        "    with open(f'/var/reports/{name}.csv') as fh:\n"
        "        return {'rows': fh.read().count('\\n')}\n"
    ),
    "shop/routers/uploads.py": (
        "import os\n\n"
        "from fastapi import APIRouter\n\n"
        "router = APIRouter()\n\n\n"
        "@router.delete('/uploads/{name}')\n"
        "async def delete_upload(name: str):\n"
        "    path = os.path.join('/srv/uploads', name)\n"
        "    if os.path.exists(path):\n"
        "        os.remove(path)\n"
        "    return {'deleted': name}\n"
    ),
    "shop/routers/users.py": (
        "import time\n\n"
        "from fastapi import APIRouter\n\n"
        "router = APIRouter()\n\n\n"
        "@router.get('/users/{user_id}')\n"
        "async def get_user(user_id: int):\n"
        "    time.sleep(0.5)\n"
        "    return {'id': user_id}\n"
    ),
    "shop/services/__init__.py": "",
    "shop/services/mail.py": (
        '"""Mail to customers: welcome messages, receipts and reminders, sent through the local relay\n\n'
        "The relay accepts mail from this host only; it queues what it cannot deliver at once and retries\n"
        "for five days, so a message handed to it is as good as sent.\n"
        '"""\n\n'
        "import smtplib\n"
        "import time\n\n\n"
        "async def send_welcome(address: str):\n"
        "    time.sleep(1)  # wait for the account\n"
        "    with smtplib.SMTP('localhost') as smtp:\n"
        "        smtp.sendmail('shop@example.com', [address], 'Welcome!')\n"
    ),
}


@pytest.fixture
def shop(tmp_path):
    root = tmp_path / "shop-app"
    for rel, text in APP.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _texts(root):
    out = {}
    for dirpath, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".asynclint_cache"]
        for n in names:
            if n.endswith(".py"):
                path = os.path.join(dirpath, n)
                with open(path, encoding="utf-8") as fh:
                    out[os.path.relpath(path, root)] = fh.read()
    return out


def _fix(root, jobs, monkeypatch):
    monkeypatch.chdir(root)
    result = run(["."], Options(use_cache=False))
    return apply_fixes(result, unsafe=True, jobs=jobs, use_cache=False)


def test_worker_processes_fix_as_this_process_does(shop, tmp_path, monkeypatch):
    monkeypatch.setattr(apply, "PARALLEL_THRESHOLD", 2)
    from asynclint.fix import source

    real, pids = source.fix_source, tmp_path / "pids"

    def noting(*args):  # which processes fix
        with open(pids, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        return real(*args)

    monkeypatch.setattr(source, "fix_source", noting)
    serial_root = tmp_path / "serial"
    shutil.copytree(shop, serial_root)
    serial = _fix(serial_root, jobs=1, monkeypatch=monkeypatch)
    assert set(pids.read_text().split()) == {str(os.getpid())}
    pids.unlink()
    parallel = _fix(shop, jobs=2, monkeypatch=monkeypatch)
    assert str(os.getpid()) not in pids.read_text().split()
    assert len(serial.changed_files) == 5, serial.summary()
    assert _texts(shop) == _texts(serial_root)
    assert parallel.diff_text == serial.diff_text
    assert parallel.summary() == serial.summary()
    assert parallel.enumerate() == serial.enumerate()
    # the findings fixed are those of the run (not copies): the summary counts them as fixed
    assert {id(d) for d in parallel.fixed} <= {id(d) for d in parallel.findings}
    assert "await asyncio.sleep(0.1)" in (shop / "shop/routers/orders.py").read_text()
    assert "\ndef get_user(user_id: int):" in (shop / "shop/routers/users.py").read_text()


def test_a_file_failing_in_a_worker_costs_that_file_only(shop, monkeypatch):
    monkeypatch.setattr(apply, "PARALLEL_THRESHOLD", 2)
    from asynclint.fix import source

    real = source.fix_source

    def failing(text, diagnostics, unsafe, *rest):
        if any(d.path.endswith("reports.py") for d in diagnostics):
            raise RuntimeError("simulated failure")
        return real(text, diagnostics, unsafe, *rest)

    monkeypatch.setattr(source, "fix_source", failing)  # (the workers are forked: they have it too)
    before = _texts(shop)
    fixed = _fix(shop, jobs=2, monkeypatch=monkeypatch)
    after = _texts(shop)
    assert after["shop/routers/reports.py"] == before["shop/routers/reports.py"]
    assert [(p, "simulated failure" in e) for p, e in fixed.errors] == [("shop/routers/reports.py", True)]
    assert "await asyncio.sleep(1)" in after["shop/services/mail.py"]
    assert len(fixed.changed_files) == 4


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="fixes in worker processes need fork")
def test_a_worker_that_dies_leaves_its_file_whole_and_reported(shop, monkeypatch):
    monkeypatch.setattr(apply, "PARALLEL_THRESHOLD", 2)
    from asynclint.fix import source

    real = source.fix_source

    def dying(text, diagnostics, unsafe, *rest):
        if any(d.path.endswith("uploads.py") for d in diagnostics):
            os._exit(1)  # the worker process ends, as when it is killed
        return real(text, diagnostics, unsafe, *rest)

    monkeypatch.setattr(source, "fix_source", dying)
    before = _texts(shop)
    fixed = _fix(shop, jobs=2, monkeypatch=monkeypatch)
    after = _texts(shop)
    assert after["shop/routers/uploads.py"] == before["shop/routers/uploads.py"]
    assert "shop/routers/uploads.py" in [p for p, _ in fixed.errors]
    assert all("worker process" in e for _, e in fixed.errors)
    # every other file holds its old text or its whole fix (whichever its worker got to), and compiles;
    # one whose report was lost with the worker is reported too
    reported = set(fixed.changed_files) | {p for p, _ in fixed.errors}
    for rel, text in after.items():
        compile(text, rel, "exec")
        assert text == before[rel] or rel in reported


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_summaries_of_the_files_written_are_left_in_the_cache(shop, monkeypatch, jobs):
    monkeypatch.setattr(apply, "PARALLEL_THRESHOLD", 2)
    monkeypatch.chdir(shop)
    result = run(["."], Options())
    fixed = apply_fixes(result, unsafe=False, jobs=jobs)  # (the unsafe fixes stay findings)
    assert len(fixed.changed_files) >= 3, fixed.summary()
    cache = SummaryCache(str(shop))
    for rel in fixed.changed_files:
        path = str(shop / rel)
        st = os.stat(path)
        with open(path, "rb") as fh:
            digest = SummaryCache.digest(fh.read())
        assert cache.by_path[path] == (st.st_mtime_ns, st.st_size, digest), rel
        assert cache.lookup_stat(path, st) is not None
    # the check after the fix takes them in, and finds what a check without the cache finds
    cached = CliRunner().invoke(main, ["check", ".", "--output-format", "json"])
    fresh = CliRunner().invoke(main, ["check", ".", "--output-format", "json", "--no-cache"])
    assert cached.stdout == fresh.stdout and '"code"' in cached.stdout


def test_no_summary_is_left_without_the_cache(shop, monkeypatch):
    monkeypatch.setattr(apply, "PARALLEL_THRESHOLD", 2)
    monkeypatch.chdir(shop)
    result = run(["."], Options(use_cache=False))
    apply_fixes(result, unsafe=True, jobs=2, use_cache=False)
    assert not (shop / ".asynclint_cache").exists()


def test_a_file_the_fix_made_too_large_is_not_taken_from_the_cache(shop, monkeypatch):
    monkeypatch.setattr(apply, "PARALLEL_THRESHOLD", 2)
    mail = shop / "shop/services/mail.py"
    limit = len(mail.read_bytes())  # the largest file; its fix adds `import asyncio`: it grows past the limit
    assert all(len(p.read_bytes()) <= limit for p in shop.rglob("*.py"))
    (shop / "pyproject.toml").write_text(f'[project]\nname = "shop"\n\n[tool.asynclint]\nmax-file-size = {limit}\n')
    monkeypatch.chdir(shop)
    res = CliRunner().invoke(main, ["check", ".", "--fix", "--unsafe-fixes", "-j", "2"])
    assert "await asyncio.sleep(1)" in mail.read_text()
    assert str(mail) not in SummaryCache(str(shop)).by_path
    assert "shop/services/mail.py" in res.stdout and "skipped" in res.stdout, res.stdout
    assert str(shop / "shop/routers/users.py") in SummaryCache(str(shop)).by_path  # (fixed, and smaller)
