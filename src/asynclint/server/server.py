"""``asynclint server``: the Language Server Protocol over stdio (pygls).

Features: diagnostics for open documents from whole-project analysis (on
open, on every change of the unsaved text, on save, and again for other open
documents whose findings changed), code actions with the fixes of ``--fix``
(safe ones preferred, unsafe ones labelled), hover with the chain and route
of a finding, and files changed on disk (``workspace/didChangeWatchedFiles``).

Settings: ``[tool.asynclint]`` of the project's ``pyproject.toml``, and the
client's ``initializationOptions``: ``select``, ``ignore``, ``extendSelect``
(lists of codes or prefixes), ``python`` (the environment whose libraries are
read, or ``"none"``), ``config`` (a pyproject.toml to use instead),
``unsafeFixes`` (offer unsafe fixes, default true), ``cache`` (use the
on-disk caches, default true), ``keepAfterSeconds`` (see below, default 30;
0 keeps it at shutdown only).

The analysis is kept on disk for the next start (or command-line run) at
shutdown, and also once the editor has been quiet for ``keepAfterSeconds``
after a save or a change of files on disk, so that a server the editor kills
without a shutdown leaves it too. It is written only when every open buffer
is its file as saved.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcParseError
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from .. import __version__
from ..engine import Options
from .convert import diagnostic_range, error_to_lsp, hover_text, path_to_uri, text_edits, to_lsp, uri_to_path
from .session import Session, UnknownDocument

log = logging.getLogger("asynclint.server")

KEEP_AFTER = 30.0  # seconds of quiet after a save before the analysis is written (``keepAfterSeconds``)


def options_from(init) -> tuple:
    """(engine Options, offer unsafe fixes, seconds of quiet after a save before the analysis is kept)
    from the client's initializationOptions."""
    init = init if isinstance(init, dict) else {}

    def codes(key):
        value = init.get(key)
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        return [str(v).strip().upper() for v in value] if isinstance(value, list) and value else None

    python = init.get("python")
    config = init.get("config")
    keep = init.get("keepAfterSeconds", KEEP_AFTER)
    keep = float(keep) if isinstance(keep, (int, float)) and not isinstance(keep, bool) and keep >= 0 else KEEP_AFTER
    options = Options(select=codes("select"), ignore=codes("ignore"), extend_select=codes("extendSelect"),
                      python=python if isinstance(python, str) and python else None,
                      config_path=config if isinstance(config, str) and config else None,
                      use_cache=init.get("cache", True) is not False)
    return options, init.get("unsafeFixes", True) is not False, keep


class _Protocol(LanguageServerProtocol):
    """pygls's protocol, answering a request whose params do not fit its method with an error
    (pygls only logs it, and the client would wait for an answer forever)."""

    def structure_message(self, data):
        try:
            return super().structure_message(data)
        except JsonRpcInvalidParams as exc:
            if isinstance(data, dict) and "id" in data and "method" in data:
                self._send_response(data["id"], error=JsonRpcInvalidParams(
                    f"invalid params for {data['method']}").to_response_error())
            raise exc


class AsyncLintServer(LanguageServer):
    def __init__(self):
        super().__init__("asynclint", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Full,
                         protocol_cls=_Protocol)
        self.session = Session()
        self.keep_after = KEEP_AFTER
        self._keep_timer = None  # the pending keep (``asyncio.TimerHandle``), if any

    def keep_when_quiet(self, saved: bool) -> None:
        """After a save (``saved``) or any other change: the analysis is kept once nothing has happened
        for ``keep_after`` seconds since the last save; a change meanwhile puts it off."""
        pending = self.cancel_keep()
        if not self.keep_after or not (saved or pending is not None):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # (not serving: a handler called directly)
            return
        self._keep_timer = loop.call_later(self.keep_after, self._keep_now)

    def cancel_keep(self):
        """Drop the pending keep; returns it (None when there was none)."""
        pending, self._keep_timer = self._keep_timer, None
        if pending is not None:
            pending.cancel()
        return pending

    def _keep_now(self) -> None:
        self._keep_timer = None

        def keep():
            self.session.keep()  # (skipped while a buffer differs from its file)
            return []

        self.guarded("keeping the analysis", keep)

    def report_server_error(self, error: Exception, source) -> None:
        """A message that cannot be read: answered (a parse error, as JSON-RPC says) and logged, and
        the server goes on; no pop-up in the editor."""
        if isinstance(error, ValueError) and not isinstance(error, JsonRpcInvalidParams):
            self.protocol._send_response(None, error=JsonRpcParseError(str(error)).to_response_error())
        log.warning("asynclint server: unreadable message: %s", error)
        try:
            self.window_log_message(lsp.LogMessageParams(type=lsp.MessageType.Warning,
                                                         message=f"asynclint: unreadable message: {error}"))
        except Exception:  # noqa: BLE001 - the connection itself may be gone
            pass

    # -------------------------------------------------------------- helpers
    def path_of(self, uri: str) -> str:
        path = uri_to_path(uri)
        if path is None:
            raise JsonRpcInvalidParams(f"not a file: {uri}")
        return path

    def document_or_error(self, uri: str):
        try:
            return self.session.document(self.path_of(uri))
        except UnknownDocument as exc:
            raise JsonRpcInvalidParams(str(exc)) from None

    def publish(self, paths) -> None:
        for path in paths:
            doc = self.session.documents.get(path)
            uri = path_to_uri(path)
            if doc is None:  # closed: clear what was shown
                self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
                continue
            lines = doc.text.splitlines()
            items = [to_lsp(d, lines) for d in doc.findings] + [error_to_lsp(m) for m in doc.errors]
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=items))
            self.session.mark_published(path)

    def guarded(self, what: str, work):
        """Run a change through the session; a bug of asynclint's is logged to the client, never fatal."""
        started = time.perf_counter()
        try:
            paths = work()
        except UnknownDocument as exc:
            self.window_log_message(lsp.LogMessageParams(type=lsp.MessageType.Warning, message=str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - keep serving the editor
            log.exception("asynclint: %s failed", what)
            self.window_log_message(lsp.LogMessageParams(
                type=lsp.MessageType.Error,
                message=f"asynclint: internal error during {what} ({type(exc).__name__}: {exc}); please report it"))
            return
        self.publish(paths)
        log.info("%s: %.0f ms, %d document(s) published", what, (time.perf_counter() - started) * 1000, len(paths))


def build() -> AsyncLintServer:
    server = AsyncLintServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: AsyncLintServer, params: lsp.InitializeParams):
        options, unsafe, ls.keep_after = options_from(params.initialization_options)
        ls.session = Session(options, unsafe_fixes=unsafe)

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: AsyncLintServer, params: lsp.InitializedParams):
        # files changed outside the editor (a git checkout, another tool's fix)
        caps = ls.client_capabilities.workspace
        if caps and caps.did_change_watched_files and caps.did_change_watched_files.dynamic_registration:
            ls.client_register_capability(lsp.RegistrationParams(registrations=[lsp.Registration(
                id="asynclint-watch", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=[
                    lsp.FileSystemWatcher(glob_pattern="**/*.py"),
                    lsp.FileSystemWatcher(glob_pattern="**/pyproject.toml")]))]))

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: AsyncLintServer, params=None):
        # the analysis kept on disk: the next start (or command-line run) takes it in
        session = getattr(ls, "session", None)
        ls.cancel_keep()  # (done now)
        ls.keep_after = 0
        if session is not None:
            def keep():
                session.keep()
                return []  # (nothing to publish)

            ls.guarded("keeping the analysis", keep)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: AsyncLintServer, params: lsp.DidOpenTextDocumentParams):
        path = uri_to_path(params.text_document.uri)
        if path is None:
            return  # an untitled buffer, a remote file: nothing on disk to link it with
        ls.guarded("open", lambda: ls.session.open(path, params.text_document.text))
        ls.keep_when_quiet(saved=False)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: AsyncLintServer, params: lsp.DidChangeTextDocumentParams):
        path = uri_to_path(params.text_document.uri)
        if path is None:
            return
        text = ls.workspace.get_text_document(params.text_document.uri).source
        ls.guarded("change", lambda: ls.session.change(path, text))
        ls.keep_when_quiet(saved=False)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=True))
    def did_save(ls: AsyncLintServer, params: lsp.DidSaveTextDocumentParams):
        path = uri_to_path(params.text_document.uri)
        if path is None:
            return
        ls.guarded("save", lambda: ls.session.save(path, params.text))
        ls.keep_when_quiet(saved=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: AsyncLintServer, params: lsp.DidCloseTextDocumentParams):
        path = uri_to_path(params.text_document.uri)
        if path is None:
            return
        ls.guarded("close", lambda: ls.session.close(path) + [path])
        ls.keep_when_quiet(saved=False)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: AsyncLintServer, params: lsp.DidChangeWatchedFilesParams):
        changes = []
        for event in params.changes:
            path = uri_to_path(event.uri)
            if path is not None:
                changes.append((path, event.type == lsp.FileChangeType.Deleted))
        ls.guarded("files changed", lambda: ls.session.files_changed(changes))
        ls.keep_when_quiet(saved=True)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: AsyncLintServer, params: lsp.HoverParams):
        doc = ls.document_or_error(params.text_document.uri)
        lines = doc.text.splitlines()
        pos = params.position
        hits = []
        for d in doc.findings:
            r = diagnostic_range(d, lines)
            if (r.start.line, r.start.character) <= (pos.line, pos.character) <= (r.end.line, r.end.character):
                hits.append(d)
        if not hits:
            return None
        text = "\n\n---\n\n".join(hover_text(d) for d in hits)
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text))

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    def code_action(ls: AsyncLintServer, params: lsp.CodeActionParams):
        doc = ls.document_or_error(params.text_document.uri)
        first, last = params.range.start.line + 1, params.range.end.line + 1
        lines = doc.text.splitlines(keepends=True)
        plain = doc.text.splitlines()
        out = []
        for action in ls.session.actions(doc.path, first, last):
            edit = lsp.WorkspaceEdit(changes={params.text_document.uri: text_edits(action.edits, lines)})
            out.append(lsp.CodeAction(title=action.title, kind=lsp.CodeActionKind.QuickFix, edit=edit,
                                      diagnostics=[to_lsp(d, plain) for d in action.diagnostics],
                                      is_preferred=action.preferred or None))
        return out

    return server


def serve(stdin=None, stdout=None) -> None:
    """Serve one client over stdio until it says exit."""
    level = os.environ.get("ASYNCLINT_LOG", "").upper()
    if level:
        logging.basicConfig(level=getattr(logging, level, logging.INFO), format="%(asctime)s %(name)s %(message)s")
    server = build()
    server.start_io(stdin, stdout)
