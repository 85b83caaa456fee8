"""The in-memory workspace (``live``): after every edit, its findings are a fresh run's.

A copy of examples/shop goes through a sequence of edits an editor makes
(bodies, signatures, imports, a file that stops parsing, a new file, an
offloader, a router include); after each, the workspace's findings (every
file, and one file asked alone) must equal ``engine.run`` on the project with
the same texts, down to chains, routes and roots.
"""

from __future__ import annotations

import os
import shutil

import pytest

from asynclint.engine import Options, run
from asynclint.live import Workspace

SHOP = os.path.join(os.path.dirname(__file__), "..", "examples", "shop")


def _row(d) -> tuple:
    hops = tuple((h.function, h.path, h.line, h.text) for h in d.hops)
    callers = tuple((h.function, h.path, h.line) for h in d.callers)
    return (d.path, d.line, d.column, d.end_line, d.end_column, d.code, d.message, d.route, tuple(d.chain), hops,
            d.suggestion, d.fix, d.root, callers)


def _fresh(root: str, texts: dict) -> list:
    result = run([root], Options(use_cache=False, overrides=dict(texts), jobs=1))
    return sorted(_row(d) for d in result.diagnostics), sorted((e.path, e.message) for e in result.errors)


def _live(ws: Workspace, paths=None):
    got = ws.check(paths)
    rows = sorted(_row(d) for found in got.diagnostics.values() for d in found)
    errors = sorted((e.path, e.message) for found in got.errors.values() for e in found)
    return rows, errors


@pytest.fixture()
def shop(tmp_path, monkeypatch):
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns("tests", "__pycache__", ".asynclint_cache"))
    monkeypatch.chdir(root)  # displays relative to the project, as in an editor started there
    return str(root)


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _edit(ws: Workspace, path: str, old: str, new: str) -> str:
    text = ws.texts.get(path)
    text = _read(path) if text is None else text
    assert old in text, (path, old)
    return ws.update(path, text.replace(old, new, 1))


# (file, text to replace, replacement, how the workspace absorbs it)
EDITS = [
    # a sync helper starts sleeping: its async callers elsewhere get an ASL2xx
    ("shop/services/payments.py", "        resp.raise_for_status()\n",
     "        resp.raise_for_status()\n        time.sleep(1)\n", "body"),
    ("shop/services/payments.py", "import requests\n", "import time\n\nimport requests\n", "relink"),
    # lines inserted above everything in a router: positions shift, nothing else
    ("shop/routers/orders.py", "import time\n", "import time\n\n\n", "body"),
    ("shop/routers/orders.py", "    return resp.json()\n\n\n@router.get(\"/{order_id}/shipping-quote\")",
     "    x = 1\n    return resp.json()\n\n\n@router.get(\"/{order_id}/shipping-quote\")", "body"),
    # the blocking call of a chain goes away, then a new one appears in a coroutine
    ("shop/services/payments.py", "        resp = self.session.post(\n            f\"{self.base_url}/charges\",",
     # charge() returns what that call gives: a value other modules may read, so the project is relinked
     "        resp = self.fake_post(\n            f\"{self.base_url}/charges\",", "relink"),
    ("shop/routers/orders.py", "    await cache.async_cache.delete(f\"order:{order_id}\")\n    return {\"refunded\"",
     "    await cache.async_cache.delete(f\"order:{order_id}\")\n    payments.refund(charge_id)\n    return {\"refunded\"",
     "body"),
    # an offloader appears in a helper module: calls through it no longer block
    ("shop/services/payments.py", "payments = PaymentClient(",
     "def in_thread(fn, *args):\n    import threading\n    threading.Thread(target=fn, args=args).start()\n\n\n"
     "payments = PaymentClient(", "relink"),
    # a signature changes: a new parameter with a Depends default
    ("shop/routers/orders.py", "async def track_order(order_id: int):",
     "async def track_order(order_id: int, db: Session = Depends(get_db)):", "relink"),
    # the file stops parsing while being typed, then parses again
    ("shop/services/payments.py", "class PaymentError(Exception):", "class PaymentError(Exception", "relink"),
    ("shop/services/payments.py", "class PaymentError(Exception", "class PaymentError(Exception):", "relink"),
    # a router include inside a function body
    ("shop/main.py", "app.include_router(files.router, prefix=\"/files\", tags=[\"files\"])\n", "", "relink"),
]


def test_every_edit_gives_a_fresh_runs_findings(shop):
    ws = Workspace(shop, Options(use_cache=False, jobs=1))
    ws.load()
    assert _live(ws) == _fresh(shop, {})
    ways = []
    for rel, old, new, how in EDITS:
        path = os.path.join(shop, rel)
        ways.append(_edit(ws, path, old, new))
        expected = _fresh(shop, ws.texts)
        assert _live(ws) == expected, (rel, old)
        # one file asked alone: what a fresh run reports for it
        alone, _ = _live(ws, [os.path.join(shop, "shop/routers/orders.py")])
        assert alone == [r for r in expected[0] if r[0] == "shop/routers/orders.py"]
    assert ways == [e[3] for e in EDITS]
    assert ws.stats["body"] >= 4


def test_a_body_edit_reaches_callers_in_other_files(shop):
    ws = Workspace(shop, Options(use_cache=False, jobs=1))
    ws.load()
    orders = os.path.join(shop, "shop/routers/orders.py")
    cache = os.path.join(shop, "shop/services/cache.py")

    def set_json_findings():
        return [d.line for d in ws.check([orders]).diagnostics[orders] if "set_json" in d.message]

    assert set_json_findings() == [38]
    # set_json stops touching redis: get_order's call of it is no longer a finding, without relinking
    assert _edit(ws, cache, "    cache.set(key, json.dumps(value), ex=ttl)\n", "    value = None\n") == "body"
    assert set_json_findings() == []
    assert _edit(ws, cache, "    value = None\n", "    cache.set(key, json.dumps(value), ex=ttl)\n") == "body"
    assert set_json_findings() == [38]
    assert ws.stats == {"body": 2, "relink": 1}


def test_a_new_file_and_a_deleted_one(shop):
    ws = Workspace(shop, Options(use_cache=False, jobs=1))
    ws.load()
    new = os.path.join(shop, "shop/routers/reports.py")
    text = ("import requests\nfrom fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
            "@router.get('/report')\nasync def report():\n    return requests.get('http://x').json()  # ASL101\n")
    with open(new, "w", encoding="utf-8") as fh:
        fh.write(text)
    assert ws.update(new) == "relink"
    assert _live(ws) == _fresh(shop, {})
    assert [d.code for d in ws.check([new]).diagnostics[new]] == ["ASL301", "ASL101"]
    os.remove(new)
    ws.remove(new)
    assert _live(ws) == _fresh(shop, {})
    # a file outside the project is not taken in
    assert ws.update(os.path.join(os.path.dirname(shop), "elsewhere.py"), "x = 1\n") == "unchanged"
