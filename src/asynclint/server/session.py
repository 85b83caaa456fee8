"""What the language server knows, independent of the protocol: open documents, one ``Workspace``
per project, the findings published for each document, and the fixes and hovers on them.

Every open document belongs to the project around it (``discover.find_project_root``); the
project is indexed when its first document opens, and kept up to date by ``live.Workspace``. After
any change, the findings of every open document of that project are computed again (whole-project
analysis restricted to what the open documents reach) and ``changed`` tells which documents'
published diagnostics differ, so that a document whose helper in another file changed is
re-published too.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from typing import Optional

from ..engine import Options


class UnknownDocument(Exception):
    """A request about a document the client never opened."""


@dataclass
class Document:
    path: str
    text: str
    root: Optional[str]  # the project it belongs to (None: checked on its own)
    findings: list = field(default_factory=list)  # asynclint Diagnostics, for the text above
    errors: list = field(default_factory=list)  # messages: the file cannot be checked
    published: Optional[tuple] = None  # what was last sent, to send only changes


@dataclass
class Action:
    """A code action: a title and the whole-line edits (``fix.source.Edit``) that make it."""

    title: str
    edits: list
    diagnostics: list  # the findings it fixes
    preferred: bool = False


class Session:
    def __init__(self, options: Optional[Options] = None, unsafe_fixes: bool = True):
        self.options = options or Options()
        self.unsafe_fixes = unsafe_fixes  # offer unsafe fixes as code actions (labelled so)
        self.documents: dict = {}  # absolute path -> Document
        self.workspaces: dict = {}  # project root -> Workspace
        self.broken: dict = {}  # project root -> why it cannot be checked (a configuration error)

    # --------------------------------------------------------------- projects
    def _workspace(self, root: str):
        from ..config import ConfigError
        from ..discover import DiscoveryError
        from ..live import Workspace

        ws = self.workspaces.get(root)
        if ws is None and root not in self.broken:
            try:
                ws = Workspace(root, self.options)
                ws.texts.update({p: d.text for p, d in self.documents.items() if d.root == root})
                ws.load()
            except (ConfigError, DiscoveryError) as exc:
                self.broken[root] = str(exc)
                return None
            self.workspaces[root] = ws
            import asynclint.fix.source  # noqa: F401 - LibCST, now rather than in the first code action
            import gc

            # the project's analysis lives as long as the server: a full collection would walk its
            # millions of objects (seconds on a large project) in the middle of an edit
            gc.collect(1)  # (the young garbage of loading; an older generation would walk it all)
            gc.freeze()
        return ws

    def keep(self) -> bool:
        """Write every project's analysis to disk where it is of the files as saved (``Workspace.keep``)."""
        kept = False
        for ws in self.workspaces.values():
            kept = ws.keep() or kept
        return kept

    def _root_of(self, path: str) -> str:
        from ..discover import find_project_root

        return find_project_root(path)

    # -------------------------------------------------------------- documents
    def open(self, path: str, text: str) -> list:
        """A document was opened; returns the paths whose diagnostics should be (re)published."""
        path = os.path.abspath(path)
        root = self._root_of(path)
        doc = Document(path, text, root)
        self.documents[path] = doc
        ws = self._workspace(root)
        if ws is not None:
            if ws.knows(path) or path.endswith(".py"):
                ws.update(path, text)
            if not ws.knows(path):
                doc.root = None  # not a file of the project (excluded, not Python): on its own
        return self._refresh(doc.root, path)

    def change(self, path: str, text: str) -> list:
        doc = self.document(path)
        doc.text = text
        ws = self.workspaces.get(doc.root) if doc.root else None
        if ws is not None:
            ws.update(doc.path, text)
        return self._refresh(doc.root, doc.path)

    def save(self, path: str, text: Optional[str] = None) -> list:
        doc = self.document(path)
        if text is not None and text != doc.text:
            return self.change(path, text)
        root = os.path.dirname(doc.path)
        if os.path.basename(doc.path) == "pyproject.toml" and (root in self.workspaces or root in self.broken):
            return self.reload(root)
        return []

    def close(self, path: str) -> list:
        """The document is closed: its diagnostics are cleared, the project reads the file from disk."""
        doc = self.document(path)
        del self.documents[doc.path]
        ws = self.workspaces.get(doc.root) if doc.root else None
        if ws is not None and ws.knows(doc.path):
            ws.update(doc.path, None)
            return self._refresh(doc.root, None)
        return []

    def files_changed(self, changes) -> list:
        """Files changed on disk (``(path, deleted)``) that are not open in the editor; a changed
        ``pyproject.toml`` at a project's root indexes that project again."""
        reindex, touched = set(), set()
        for path, deleted in changes:
            path = os.path.abspath(path)
            if os.path.basename(path) == "pyproject.toml":
                root = os.path.dirname(path)
                if root in self.workspaces or root in self.broken:
                    reindex.add(root)
                continue
            if path in self.documents or not path.endswith(".py"):
                continue
            for root, ws in self.workspaces.items():
                if path.startswith(root.rstrip(os.sep) + os.sep):
                    if deleted:
                        ws.remove(path)
                    else:
                        ws.update(path, None)
                    touched.add(root)
        out = []
        for root in reindex:
            out += self.reload(root)
        for root in touched - reindex:
            out += self._refresh(root, None)
        return out

    def reload(self, root: str) -> list:
        """The project's configuration changed: index it again."""
        self.workspaces.pop(root, None)
        self.broken.pop(root, None)
        self._workspace(root)
        return self._refresh(root, None)

    def document(self, path: str) -> Document:
        doc = self.documents.get(os.path.abspath(path))
        if doc is None:
            raise UnknownDocument(f"{path} is not an open document")
        return doc

    # --------------------------------------------------------------- findings
    def _refresh(self, root: Optional[str], changed: Optional[str]) -> list:
        """Check the open documents of ``root`` again; the paths whose findings changed (and ``changed``)."""
        if root is None:
            doc = self.documents.get(changed)
            if doc is not None:
                self._check_alone(doc)
            return [changed] if changed else []
        docs = [d for d in self.documents.values() if d.root == root]
        ws = self.workspaces.get(root)
        if ws is None:
            for d in docs:
                d.findings, d.errors = [], [self.broken.get(root, "the project could not be read")]
        elif docs:
            got = ws.check([d.path for d in docs])
            for d in docs:
                d.findings = got.diagnostics.get(d.path, [])
                d.errors = [e.message for e in got.errors.get(d.path, [])]
        return [d.path for d in docs if d.path == changed or self._key(d) != d.published]

    def _check_alone(self, doc: Document) -> None:
        from ..engine import lint_snippet
        from ..summarize import ParseFailure

        name = os.path.basename(doc.path)
        if not name.endswith(".py"):
            doc.findings, doc.errors = [], []
            return
        try:
            found = lint_snippet(doc.text, filename=name)
        except (ParseFailure, SyntaxError, RecursionError, ValueError) as exc:
            doc.findings, doc.errors = [], [f"cannot parse: {exc}"]
            return
        for d in found:
            d.path = doc.path
        doc.findings, doc.errors = found, []

    @staticmethod
    def _key(doc: Document) -> tuple:
        return (tuple((d.line, d.column, d.end_line, d.end_column, d.code, d.message, d.route, d.fix,
                       tuple((h.path, h.line) for h in d.hops)) for d in doc.findings), tuple(doc.errors))

    def mark_published(self, path: str) -> None:
        doc = self.documents.get(path)
        if doc is not None:
            doc.published = self._key(doc)

    def at(self, path: str, line: int, column: Optional[int] = None) -> list:
        """Findings of an open document on ``line`` (1-based), containing ``column`` (1-based) if given."""
        doc = self.document(path)
        out = []
        for d in doc.findings:
            last = d.end_line or d.line
            if not d.line <= line <= last:
                continue
            if column is not None and (line == d.line and column < d.column or
                                       line == last and column > (d.end_column or d.column)):
                continue
            out.append(d)
        return out

    # ------------------------------------------------------------------ fixes
    def actions(self, path: str, first_line: int, last_line: int) -> list:
        """Code actions for the findings on lines ``first_line``..``last_line`` (1-based): one per
        finding with a fix (unsafe ones only when offered, and labelled), and one for every safe fix
        of the document."""
        from ..fix.source import FixError, fix_source

        doc = self.document(path)
        wanted = [d for d in doc.findings if d.fix and d.line <= last_line and (d.end_line or d.line) >= first_line]
        out = []
        gc.freeze()  # the project stays as it is: keep the collector from walking it while LibCST runs
        try:
            for d in wanted:
                if d.fix == "unsafe" and not self.unsafe_fixes:
                    continue
                try:
                    outcome = fix_source(doc.text, [d], unsafe=d.fix == "unsafe")
                except FixError:
                    continue
                if outcome.edits:
                    label = " (unsafe: review it)" if d.fix == "unsafe" else ""
                    out.append(Action(f"asynclint: fix {d.code} {_short(d)}{label}", outcome.edits, [d],
                                      preferred=d.fix == "safe"))
            safe = [d for d in doc.findings if d.fix == "safe"]
            if len(safe) > 1 and wanted:
                try:
                    outcome = fix_source(doc.text, safe, unsafe=False)
                except FixError:
                    outcome = None
                if outcome is not None and outcome.edits:
                    out.append(Action(f"asynclint: apply every safe fix in this file ({len(outcome.fixed)})",
                                      outcome.edits, list(outcome.fixed)))
        finally:
            gc.unfreeze()
        return out


def _short(d) -> str:
    api = d.api or ""
    return f"({api.rsplit('.', 2)[-2] + '.' + api.rsplit('.', 1)[-1] if api.count('.') >= 1 else api})" if api else ""
