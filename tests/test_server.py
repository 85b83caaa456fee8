"""``asynclint server`` driven by a real LSP client (pygls's LanguageClient) over stdio.

A copy of examples/shop is opened the way an editor does: findings appear on
open, follow unsaved edits in the same file and in another file (a helper in
services/ starts and stops blocking: the router that calls it is
re-published), hover shows the chain and route, code actions carry the
``--fix`` rewrite, and unknown documents and malformed messages get LSP
errors while the server keeps serving.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("pygls")

from lsprotocol import types as lsp  # noqa: E402
from pygls.exceptions import JsonRpcException  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

from asynclint.server.convert import path_to_uri  # noqa: E402

SHOP = os.path.join(os.path.dirname(__file__), "..", "examples", "shop")
TIMEOUT = 60


@pytest.fixture()
def shop(tmp_path):
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns("tests", "__pycache__", ".asynclint_cache"))
    return str(root)


class Client:
    """A LanguageClient that keeps the latest diagnostics per document."""

    def __init__(self):
        self.lsp = LanguageClient("asynclint-tests", "1")
        self.diagnostics: dict = {}
        self.versions: dict = {}
        self.changed = asyncio.Condition()
        self.log: list = []

        @self.lsp.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        async def published(params: lsp.PublishDiagnosticsParams):
            async with self.changed:
                self.diagnostics[params.uri] = params.diagnostics
                self.versions[params.uri] = self.versions.get(params.uri, 0) + 1
                self.changed.notify_all()

        @self.lsp.feature(lsp.WINDOW_LOG_MESSAGE)
        def logged(params: lsp.LogMessageParams):
            self.log.append(params.message)

    async def start(self, root: str, init=None):
        await self.lsp.start_io(sys.executable, "-m", "asynclint", "server", cwd=root)
        await self.lsp.initialize_async(lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(), root_uri=path_to_uri(root),
            initialization_options=init or {}))
        self.lsp.initialized(lsp.InitializedParams())

    async def wait(self, uri: str, check, what: str):
        """Wait until the diagnostics published for ``uri`` satisfy ``check``."""
        async def until():
            async with self.changed:
                await self.changed.wait_for(lambda: uri in self.diagnostics and check(self.diagnostics[uri]))
        try:
            await asyncio.wait_for(until(), TIMEOUT)
        except asyncio.TimeoutError:
            raise AssertionError(f"{what}: got {[(d.code, d.range.start.line) for d in self.diagnostics.get(uri, [])]}")
        return self.diagnostics[uri]

    def open(self, path: str, text: str, version: int = 1):
        self.lsp.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
            uri=path_to_uri(path), language_id="python", version=version, text=text)))

    def change(self, path: str, text: str, version: int):
        self.lsp.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=path_to_uri(path), version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))

    async def stop(self):
        await self.lsp.shutdown_async(None)
        self.lsp.exit(None)
        await asyncio.wait_for(self.lsp.stop(), TIMEOUT)


def _read(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _lines(diagnostics, code_prefix="ASL"):
    return sorted((d.range.start.line + 1, d.code) for d in diagnostics if str(d.code).startswith(code_prefix))


def test_an_editor_session(shop):
    orders = os.path.join(shop, "shop/routers/orders.py")
    cache = os.path.join(shop, "shop/services/cache.py")
    orders_uri, cache_uri = path_to_uri(orders), path_to_uri(cache)
    orders_text, cache_text = _read(orders), _read(cache)

    async def session():
        c = Client()
        await c.start(shop)
        try:
            # open: the findings of the CLI, chains across files and routes included
            c.open(orders, orders_text)
            found = await c.wait(orders_uri, lambda ds: len(ds) > 0, "findings on open")
            cli = subprocess.run([sys.executable, "-m", "asynclint", "--format", "json", "shop/routers/orders.py"],
                                 cwd=shop, capture_output=True, text=True)
            expected = sorted((d["line"], d["code"]) for d in json.loads(cli.stdout)["diagnostics"])
            assert _lines(found) == expected
            charge = next(d for d in found if "payments.charge" in d.message)
            assert charge.code == "ASL201" and "[POST /orders/{order_id}/pay]" in charge.message
            # related information points at the blocking call, in the other file
            assert charge.related_information[0].location.uri == path_to_uri(
                os.path.join(shop, "shop/services/payments.py"))
            assert "session.post" in charge.related_information[0].message

            # an unsaved edit in the same file: a new blocking call appears at once
            edited = orders_text.replace('    return {"refunded": charge_id}\n',
                                         '    time.sleep(1)\n    return {"refunded": charge_id}\n')
            c.change(orders, edited, 2)
            sleep_line = edited.splitlines().index("    time.sleep(1)") + 1
            await c.wait(orders_uri, lambda ds: (sleep_line, "ASL102") in _lines(ds), "ASL102 after an edit")

            # another file opened and edited: set_json stops blocking, and orders.py is re-published
            set_json_line = orders_text.splitlines().index('    cache.set_json(f"order:{order_id}", data)  # ASL207') + 1
            c.open(cache, cache_text)
            await c.wait(cache_uri, lambda ds: True, "cache.py published")
            assert (set_json_line, "ASL207") in _lines(c.diagnostics[orders_uri])
            c.change(cache, cache_text.replace("    cache.set(key, json.dumps(value), ex=ttl)\n", "    value = None\n"), 2)
            await c.wait(orders_uri, lambda ds: (set_json_line, "ASL207") not in _lines(ds), "cross-file update")
            c.change(cache, cache_text, 3)
            await c.wait(orders_uri, lambda ds: (set_json_line, "ASL207") in _lines(ds), "cross-file update back")

            # hover: the chain with path:line per hop, and the route
            hover = await c.lsp.text_document_hover_async(lsp.HoverParams(
                text_document=lsp.TextDocumentIdentifier(uri=orders_uri), position=charge.range.start))
            text = hover.contents.value
            assert "POST /orders/{order_id}/pay" in text
            assert "shop/services/payments.py:19" in text and "shop/routers/orders.py:" in text

            # a code action: the rewrite --fix makes (an offload for the sync helper call)
            actions = await c.lsp.text_document_code_action_async(lsp.CodeActionParams(
                text_document=lsp.TextDocumentIdentifier(uri=orders_uri), range=charge.range,
                context=lsp.CodeActionContext(diagnostics=[charge])))
            assert actions, "a fix for ASL201"
            action = actions[0]
            assert action.kind == lsp.CodeActionKind.QuickFix and "ASL201" in action.title
            new_text = _apply(edited, action.edit.changes[orders_uri])
            # the module already imports run_in_threadpool: --fix uses it
            assert "await run_in_threadpool(payments.charge, order.id, order.total_cents)" in new_text
            c.change(orders, new_text, 4)
            await c.wait(orders_uri, lambda ds: not any("payments.charge" in d.message for d in ds), "fixed")

            # save, then close: diagnostics are cleared
            c.lsp.text_document_did_save(lsp.DidSaveTextDocumentParams(
                text_document=lsp.TextDocumentIdentifier(uri=orders_uri), text=new_text))
            c.lsp.text_document_did_close(lsp.DidCloseTextDocumentParams(
                text_document=lsp.TextDocumentIdentifier(uri=orders_uri)))
            await c.wait(orders_uri, lambda ds: not ds, "cleared on close")

            # requests about a document that is not open: an LSP error, and the server goes on
            with pytest.raises(JsonRpcException):
                await c.lsp.text_document_hover_async(lsp.HoverParams(
                    text_document=lsp.TextDocumentIdentifier(uri=orders_uri), position=lsp.Position(line=0, character=0)))
            with pytest.raises(JsonRpcException):
                await c.lsp.text_document_code_action_async(lsp.CodeActionParams(
                    text_document=lsp.TextDocumentIdentifier(uri=path_to_uri(os.path.join(shop, "nope.py"))),
                    range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)),
                    context=lsp.CodeActionContext(diagnostics=[])))
            assert await c.lsp.text_document_hover_async(lsp.HoverParams(
                text_document=lsp.TextDocumentIdentifier(uri=cache_uri), position=lsp.Position(line=0, character=0))) is None
        finally:
            await c.stop()
        assert c.lsp._server.returncode == 0
        # on shutdown the server kept its analysis (its buffers are the files as saved): the next start
        # takes it in (tests/test_live.py::test_a_server_keeps_its_analysis_for_the_next_start)
        assert glob.glob(os.path.join(shop, ".asynclint_cache", "analysis-*.cache"))

    asyncio.run(session())


def test_the_analysis_is_kept_after_a_save_when_the_editor_is_quiet(shop, monkeypatch):
    """A server the editor kills without a shutdown still leaves its analysis for the next start: it
    is written once the editor has been quiet for ``keepAfterSeconds`` after a save (not after an open
    alone), and it is the analysis of the file as saved."""
    import asynclint.live.persist as persist
    from asynclint.engine import Options, run
    from asynclint.live.workspace import Workspace

    orders = os.path.join(shop, "shop/routers/orders.py")
    orders_uri = path_to_uri(orders)
    text = _read(orders)
    saved = text.replace('    return {"refunded": charge_id}\n', '    time.sleep(1)\n    return {"refunded": charge_id}\n')
    sleep_line = saved.splitlines().index("    time.sleep(1)") + 1
    kept = os.path.join(shop, ".asynclint_cache", "analysis-*.cache")

    async def session():
        c = Client()
        await c.start(shop, {"keepAfterSeconds": 0.2, "python": "none"})
        try:
            c.open(orders, text)
            await c.wait(orders_uri, lambda ds: len(ds) > 0, "findings on open")
            await asyncio.sleep(1.0)
            assert not glob.glob(kept), "kept after an open alone"
            with open(orders, "w", encoding="utf-8") as fh:  # the editor writes the file, then says so
                fh.write(saved)
            c.change(orders, saved, 2)
            c.lsp.text_document_did_save(lsp.DidSaveTextDocumentParams(
                text_document=lsp.TextDocumentIdentifier(uri=orders_uri), text=saved))
            await c.wait(orders_uri, lambda ds: (sleep_line, "ASL102") in _lines(ds), "ASL102 after the save")
            for _ in range(TIMEOUT * 10):
                if glob.glob(kept):
                    break
                await asyncio.sleep(0.1)
            assert glob.glob(kept), "not kept after the save"
        finally:
            c.lsp._server.kill()  # no shutdown: the editor went away
            await asyncio.wait_for(c.lsp._server.wait(), TIMEOUT)
            await c.lsp.stop()

    asyncio.run(session())
    restored = []
    real = persist.Snapshot.restore
    monkeypatch.setattr(persist.Snapshot, "restore", lambda self, ws: restored.append(1) or real(self, ws))
    monkeypatch.chdir(shop)
    again = Workspace(shop, Options(jobs=1, python="none"))
    again.load()
    assert restored and not again.digests_changed  # the analysis kept is of the file as saved
    rows = sorted((d.path, d.line, d.code) for found in again.check(None).diagnostics.values() for d in found)
    fresh = sorted((d.path, d.line, d.code) for d in run([shop], Options(use_cache=False, jobs=1, python="none")).diagnostics)
    assert rows == fresh and ("shop/routers/orders.py", sleep_line, "ASL102") in rows


def _apply(text: str, edits: list) -> str:
    lines = text.splitlines(keepends=True)
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start = sum(len(x) for x in lines[:e.range.start.line]) + e.range.start.character
        end = sum(len(x) for x in lines[:e.range.end.line]) + e.range.end.character
        text = text[:start] + e.new_text + text[end:]
        lines = text.splitlines(keepends=True)
    return text


def _frame(obj) -> bytes:
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read_message(stream):
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return json.loads(stream.read(length))


def test_malformed_messages_get_errors_not_a_crash(shop):
    proc = subprocess.Popen([sys.executable, "-m", "asynclint", "server"], cwd=shop, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc.stdin.write(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                 "params": {"capabilities": {}, "rootUri": path_to_uri(shop)}}))
        proc.stdin.write(b"Content-Length: 12\r\n\r\n{not json!!}")  # not JSON at all
        proc.stdin.write(_frame({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover",
                                 "params": {"textDocument": 42}}))  # params of the wrong shape
        proc.stdin.write(_frame({"jsonrpc": "2.0", "id": 3, "method": "asynclint/noSuchMethod", "params": {}}))
        proc.stdin.write(_frame({"jsonrpc": "2.0", "id": 4, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": path_to_uri(os.path.join(shop, "never_opened.py"))},
            "position": {"line": 0, "character": 0}}}))
        proc.stdin.write(_frame({"jsonrpc": "2.0", "id": 5, "method": "shutdown"}))
        proc.stdin.flush()
        answers, unattributed = {}, []
        while len(answers) < 5:
            msg = _read_message(proc.stdout)
            assert msg is not None, proc.stderr.read().decode()[-2000:]
            if msg.get("id") is not None and "method" not in msg:
                answers[msg["id"]] = msg
            elif "error" in msg:
                unattributed.append(msg["error"]["code"])
        assert unattributed == [-32700]  # the text that is not JSON: a parse error
        assert "result" in answers[1] and answers[1]["result"]["capabilities"]["hoverProvider"]
        assert answers[2]["error"]["code"] == -32602  # invalid params
        assert answers[3]["error"]["code"] == -32601  # method not found
        assert answers[4]["error"]["code"] == -32602 and "not an open document" in answers[4]["error"]["message"]
        assert answers[5]["result"] is None
        proc.stdin.write(_frame({"jsonrpc": "2.0", "method": "exit"}))
        proc.stdin.close()
        assert proc.wait(TIMEOUT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
