"""Seeded random edits: after every one, the incremental front ends give a fresh run's findings.

    python bench/edit_fuzz.py [--seeds 0-9] [--edits 30] [--corpus DIR] [--cli-process]
    python bench/edit_fuzz.py --replay /work/fuzz-repros/NAME/repro.json

A copy of a project (default: a small multi-module FastAPI app made here; or
``--corpus DIR``, e.g. /work/corpora/lnbits) goes through ``--edits`` random
edits from a menu of what the incremental engine must track (see ``KINDS``):
functions appended, removed, renamed (with or without their importers),
moved to another module; statements inserted (lines move); blocking calls and
awaits added and removed; ``asyncio.run(main())`` and ``__main__`` blocks;
once-guards added and undone; imports changed; route decorators; files added
and deleted; ``# noqa`` comments and plain ones; subclasses overriding a project method; a
file that stops parsing and parses again.

After each edit (written to disk), in an order the seed picks:

- ``cli``: a run over the project with the caches (``asynclint check . --output-format json
  --extend-select ASL402``; in this process unless ``--cli-process``) equals the same run with
  ``--no-cache``;
- ``file``: the engine on one file with the caches, as the flake8 plugin runs it (the edited file,
  and another one) equals the same without caches;
- ``ws``: a long-lived ``Workspace`` (the language server's engine) given the edit equals a fresh run
  (every file, and the edited file asked alone);

and nothing reports an internal error (ASL000, "internal error", an exception). On a discrepancy
it prints the seed, the edits and the difference, shrinks the edit sequence (and the checks
between edits) while the same failure remains, and saves the reproduction under
/work/fuzz-repros/ (``repro.json``, replayed with ``--replay``; ``repro.txt``, the edits as diffs).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

from asynclint.engine import Options, run  # noqa: E402
from asynclint.live import Workspace  # noqa: E402

REPROS = "/work/fuzz-repros"
CROSS = [False]  # --cross: a file checked alone also equals the project's findings for it
RESUME = [False]  # --resume: the workspace starts from the analysis a first one kept on disk
EXTRA = ["ASL402"]
IGNORED_DIRS = {".git", ".asynclint_cache", "__pycache__", ".venv", "venv", "node_modules", ".tox", ".mypy_cache"}

# ------------------------------------------------------------------ the built-in app
APP = {
    "pyproject.toml": "[project]\nname = 'shopfz'\nversion = '0'\n",
    "shopfz/__init__.py": "",
    "shopfz/config.py": '''\
import json

_settings = None


def load_settings(path="settings.json"):
    with open(path) as fh:
        return json.load(fh)


def settings():
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings
''',
    "shopfz/clients.py": '''\
import asyncio

import httpx
import requests

from .config import settings


class BaseClient:
    def fetch(self, url):
        return {}

    def get(self, url):
        return self.fetch(url)


class HttpClient(BaseClient):
    def fetch(self, url):
        return requests.get(url).json()


class Service:
    def __init__(self):
        self._client = None
        self._ready = False
        self._lock = asyncio.Lock()

    def client(self):
        if self._client is None:
            self._client = requests.Session()
        return self._client

    async def initialize(self):
        settings()

    async def lookup(self, key):
        if not self._ready:
            async with self._lock:
                if not self._ready:
                    await self.initialize()
                    self._ready = True
        return self.client().get(key)


service = Service()


async def fetch_async(url):
    async with httpx.AsyncClient() as client:
        return (await client.get(url)).json()
''',
    "shopfz/helpers.py": '''\
import subprocess
import time

from .clients import HttpClient


def slow():
    time.sleep(0.5)


def fast():
    return 1


def run_tool(args):
    return subprocess.run(args, check=True)


def fetch_user(uid):
    return HttpClient().fetch(f"http://users/{uid}")


async def notify(uid):
    return fast()
''',
    "shopfz/db.py": '''\
import sqlite3


def get_db():
    conn = sqlite3.connect("app.db")
    try:
        yield conn
    finally:
        conn.close()
''',
    "shopfz/routes/__init__.py": "",
    "shopfz/routes/users.py": '''\
from fastapi import APIRouter, Depends

from ..clients import service
from ..db import get_db
from ..helpers import fetch_user, notify, slow

router = APIRouter()


@router.get("/users/{uid}")
async def get_user(uid: int):
    user = fetch_user(uid)
    await notify(uid)
    return user


@router.get("/users/{uid}/slow")
def get_user_slow(uid: int):
    slow()
    return {}


@router.post("/users")
async def create_user(db=Depends(get_db)):
    db.execute("insert into users default values")
    return await service.lookup("k")
''',
    "shopfz/routes/items.py": '''\
from fastapi import APIRouter

from .. import helpers
from ..clients import BaseClient, fetch_async

router = APIRouter()


@router.get("/items")
async def list_items(client: BaseClient):
    return client.get("http://items")


@router.get("/items/sync")
async def sync_items():
    helpers.run_tool(["sync"])
    return await fetch_async("http://x")
''',
    "shopfz/main.py": '''\
from fastapi import FastAPI

from .routes import items, users

app = FastAPI()
app.include_router(users.router, prefix="/api")
app.include_router(items.router)


@app.on_event("startup")
async def startup():
    return None
''',
    "shopfz/cli.py": '''\
import asyncio

from .helpers import run_tool, slow


async def main():
    slow()
    run_tool(["migrate"])
    await asyncio.sleep(0)


def entry():
    asyncio.run(main())


if __name__ == "__main__":
    entry()
''',
}


# ------------------------------------------------------------------ text helpers
def parse(text: str):
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def lines_of(text: str) -> list:
    out = text.splitlines(keepends=True)
    if out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    return out


def functions_in(tree) -> list:
    """(node, class name or None) of every function defined at module level or in a top-level class; none
    in a text that does not parse (``parse`` gave None: an edit's import could not go in cleanly)."""
    out = []
    for node in tree.body if tree is not None else ():
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append((node, None))
        elif isinstance(node, ast.ClassDef):
            out += [(n, node.name) for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return out


def body_start(fn):
    """(line index where a statement may go before the body's first, indentation), or None."""
    first = fn.body[0]
    if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
            and len(fn.body) > 1):
        first = fn.body[1]
    if first.lineno <= fn.lineno or (fn.decorator_list and first.lineno <= fn.decorator_list[-1].lineno):
        return None  # ``def f(): return 1``
    if getattr(first, "decorator_list", None):
        return first.decorator_list[0].lineno - 1, first.col_offset
    return first.lineno - 1, first.col_offset


def insert_in_body(text: str, fn, stmt_lines: list):
    at = body_start(fn)
    if at is None:
        return None
    i, col = at
    lines = lines_of(text)
    lines[i:i] = [" " * col + s + "\n" for s in stmt_lines]
    return "".join(lines)


def import_index(tree) -> int:
    """Line index where a new import may go: after the docstring and ``from __future__`` imports."""
    at = 0
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and at == 0 and node is tree.body[0]:
            at = node.end_lineno
        elif isinstance(node, ast.ImportFrom) and node.module == "__future__":
            at = node.end_lineno
        else:
            break
    return at


def add_import(text: str, line: str) -> str:
    if line in text.splitlines():
        return text
    tree = parse(text)
    lines = lines_of(text)
    at = import_index(tree) if tree is not None else 0
    lines[at:at] = [line + "\n"]
    return "".join(lines)


def append(text: str, block: str) -> str:
    text = text if not text or text.endswith("\n") else text + "\n"
    return text + ("\n\n" if text.strip() else "") + block


def cut(text: str, node) -> str:
    lines = lines_of(text)
    start = (node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno) - 1
    del lines[start:node.end_lineno]
    return "".join(lines)


def node_text(text: str, node) -> str:
    lines = lines_of(text)
    start = (node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno) - 1
    return "".join(lines[start:node.end_lineno])


# ------------------------------------------------------------------ the project being edited
class Project:
    def __init__(self, root: str, files: dict):
        self.root = root
        self.files = files  # rel -> text (the Python files the engine checks)
        self.counter = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_fz{self.counter}"

    def module_of(self, rel: str) -> str:
        parts = rel[:-3].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        # the package root: the highest directory that still holds an __init__.py on the way down
        dirs = rel.split("/")[:-1]
        start = len(dirs)
        while start > 0 and "/".join(dirs[:start] + ["__init__.py"]) in self.files:
            start -= 1
        return ".".join(parts[start:]) or parts[-1]

    def trees(self) -> dict:
        out = {}
        for rel, text in self.files.items():
            tree = parse(text)
            if tree is not None:
                out[rel] = tree
        return out


def load_project(root: str) -> Project:
    from asynclint.discover import files_for_run

    found = files_for_run([root], whole_project=True)
    files = {}
    for f in found.files:
        rel = os.path.relpath(f.path, root).replace(os.sep, "/")
        try:
            with open(f.path, encoding="utf-8") as fh:
                files[rel] = fh.read()
        except (OSError, UnicodeDecodeError):
            pass
    return Project(root, files)


# ------------------------------------------------------------------ edits
# each takes (rng, project, trees) and returns [(rel, new text or None: deleted)] and a description,
# or None when it does not apply to the file it picked

BLOCKING = [
    ("import time", "time.sleep(0.1)"),
    ("import requests", "requests.get('http://fuzz')"),
    (None, "open('/tmp/fuzz').read()"),
    ("import subprocess", "subprocess.run(['true'])"),
]


def pick_function(rng, trees, want=None, top=False):
    cands = []
    for rel, tree in trees.items():
        for fn, cls in functions_in(tree):
            if top and cls is not None:
                continue
            if want == "async" and not isinstance(fn, ast.AsyncFunctionDef):
                continue
            if want == "sync" and isinstance(fn, ast.AsyncFunctionDef):
                continue
            cands.append((rel, fn, cls))
    return rng.choice(cands) if cands else None


def e_append_function(rng, p, trees):
    rel = rng.choice(list(trees))
    name = p.fresh("helper")
    target = pick_function(rng, {rel: trees[rel]}, top=True)
    if target is None or rng.random() < 0.3:
        body = "    return 1\n"
    else:
        call = target[1].name + "()"
        body = f"    return await {call}\n" if isinstance(target[1], ast.AsyncFunctionDef) else f"    return {call}\n"
    kw = "async def" if "await" in body or rng.random() < 0.4 else "def"
    return [(rel, append(p.files[rel], f"{kw} {name}():\n{body}"))], f"append {name} to {rel}"


def e_insert_statement(rng, p, trees):
    got = pick_function(rng, trees)
    if got is None:
        return None
    rel, fn, _ = got
    if rng.random() < 0.3:
        lines = lines_of(p.files[rel])
        at = import_index(trees[rel])
        lines[at:at] = ["\n"] * rng.randint(1, 3)
        return [(rel, "".join(lines))], f"blank lines at the top of {rel}"
    stmt = [f"{p.fresh('x')} = {rng.randint(0, 9)}"] * rng.randint(1, 2)
    new = insert_in_body(p.files[rel], fn, stmt)
    return (None if new is None else [(rel, new)]), f"statement(s) at the start of {fn.name} in {rel}"


def e_add_blocking(rng, p, trees):
    got = pick_function(rng, trees)
    if got is None:
        return None
    rel, fn, _ = got
    imp, call = rng.choice(BLOCKING)
    new = insert_in_body(p.files[rel], fn, [call])
    if new is None:
        return None
    if imp:
        new = add_import(new, imp)
    return [(rel, new)], f"blocking {call} in {fn.name} ({rel})"


BLOCKING_RE = re.compile(r"^\s*(time\.sleep|requests\.\w+|open|subprocess\.\w+|[\w.]*slow|[\w.]*run_tool)\(.*\)\s*$")
AWAIT_RE = re.compile(r"^\s*(\w+ = )?await [\w.]+\(.*\)\s*$")


def remove_line_matching(rng, p, trees, pattern, what):
    cands = []
    for rel in trees:
        for i, line in enumerate(lines_of(p.files[rel])):
            if pattern.match(line.split("#")[0]):
                cands.append((rel, i))
    if not cands:
        return None
    rel, i = rng.choice(cands)
    lines = lines_of(p.files[rel])
    indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
    if rng.random() < 0.5:
        lines[i] = indent + "pass\n"
    else:
        del lines[i]
    new = "".join(lines)
    if parse(new) is None:
        lines = lines_of(p.files[rel])
        lines[i] = indent + "pass\n"
        new = "".join(lines)
    return [(rel, new)], f"remove {what} at {rel}:{i + 1}"


def e_remove_blocking(rng, p, trees):
    return remove_line_matching(rng, p, trees, BLOCKING_RE, "a blocking call")


def pick_caller_and_callee(rng, trees, callee: str):
    """(file, coroutine, callee's file, callee) for an edit making a coroutine call a top-level
    function of kind ``callee`` ("async" or "sync"), or None."""
    got = pick_function(rng, trees, want="async")
    other = pick_function(rng, trees, want=callee, top=True)
    if got is None or other is None:
        return None
    return got[0], got[1], other[0], other[1]


def e_add_await(rng, p, trees):
    picked = pick_caller_and_callee(rng, trees, "async")
    if picked is None:
        return None
    rel, fn, crel, cfn = picked
    if crel == rel:
        name, new = cfn.name, p.files[rel]
    else:
        name = p.fresh(cfn.name) if rng.random() < 0.5 else cfn.name
        alias = f" as {name}" if name != cfn.name else ""
        new = add_import(p.files[rel], f"from {p.module_of(crel)} import {cfn.name}{alias}")
        tree = parse(new)
        fn = next((f for f, _ in functions_in(tree) if f.name == fn.name and f.lineno > fn.lineno - 1), None)
        if fn is None:
            return None
    args = ", ".join("None" for a in cfn.args.args if a.arg not in ("self", "cls"))
    new = insert_in_body(new, fn, [f"await {name}({args})"])
    return (None if new is None else [(rel, new)]), f"await {name}() in {fn.name} ({rel})"


def e_remove_await(rng, p, trees):
    return remove_line_matching(rng, p, trees, AWAIT_RE, "an await")


def e_add_main(rng, p, trees):
    got = pick_function(rng, trees, want="async", top=True)
    if got is None:
        return None
    crel, cfn, _ = got
    rel = crel if rng.random() < 0.5 else rng.choice(list(trees))
    args = ", ".join("None" for a in cfn.args.args)
    new = add_import(p.files[rel], "import asyncio")
    if rel != crel:
        new = add_import(new, f"from {p.module_of(crel)} import {cfn.name}")
    if rng.random() < 0.5:
        block = f'if __name__ == "__main__":\n    asyncio.run({cfn.name}({args}))\n'
    else:
        block = f"def {p.fresh('cli')}():\n    asyncio.run({cfn.name}({args}))\n"
    return [(rel, append(new, block))], f"asyncio.run({cfn.name}()) in {rel}"


def e_remove_main(rng, p, trees):
    cands = []
    for rel, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
                cands.append((rel, node, "__main__ block"))
        for i, line in enumerate(lines_of(p.files[rel])):
            if "asyncio.run(" in line and line.strip().startswith("asyncio.run("):
                cands.append((rel, i, "asyncio.run"))
    if not cands:
        return None
    rel, node, what = rng.choice(cands)
    if isinstance(node, int):
        lines = lines_of(p.files[rel])
        indent = lines[node][:len(lines[node]) - len(lines[node].lstrip())]
        lines[node] = indent + "pass\n"
        return [(rel, "".join(lines))], f"asyncio.run(...) at {rel}:{node + 1} -> pass"
    return [(rel, cut(p.files[rel], node))], f"remove the {what} of {rel}"


def e_add_once_guard(rng, p, trees):
    rel = rng.choice(list(trees))
    cls = p.fresh("Svc")
    imp, call = rng.choice(BLOCKING)
    init = call if rng.random() < 0.7 else "await asyncio.sleep(0)"
    block = (f"class {cls}:\n    def __init__(self):\n        self._client = None\n        self._ready = False\n"
             f"        self._lock = asyncio.Lock()\n\n"
             f"    def client(self):\n        if self._client is None:\n            self._client = requests.Session()\n"
             f"        return self._client\n\n"
             f"    async def initialize(self):\n        {init}\n\n"
             f"    async def get(self, key):\n        if not self._ready:\n            async with self._lock:\n"
             f"                if not self._ready:\n                    await self.initialize()\n"
             f"                    self._ready = True\n        return self.client().get(key)\n\n\n"
             f"{cls.lower()} = {cls}()\n")
    new = add_import(add_import(p.files[rel], "import requests"), "import asyncio")
    if imp:
        new = add_import(new, imp)
    steps = [(rel, append(new, block))]
    # and, sometimes, a route elsewhere awaits it
    other = pick_function(rng, {r: t for r, t in trees.items() if r != rel}, want="async")
    if other is not None and rng.random() < 0.6:
        orel, ofn, _ = other
        onew = add_import(p.files[orel], f"from {p.module_of(rel)} import {cls.lower()}")
        ofn = next((f for f, _ in functions_in(parse(onew)) if f.name == ofn.name), None)
        onew = insert_in_body(onew, ofn, [f"await {cls.lower()}.get('k')"]) if ofn is not None else None
        if onew is not None:
            steps.append((orel, onew))
    return steps, f"once-guarded class {cls} in {rel}"


GUARD_RE = re.compile(r"^(\s*)if (not self\._\w+|self\._\w+ is None|_\w+ is None|not _\w+):\s*$")


def e_toggle_once_guard(rng, p, trees):
    """Undo a once-guard (its test becomes ``True``), or put one back."""
    cands = []
    for rel in trees:
        for i, line in enumerate(lines_of(p.files[rel])):
            if GUARD_RE.match(line) or line.rstrip().endswith("if True:  # was a guard"):
                cands.append((rel, i))
    if not cands:
        return None
    rel, i = rng.choice(cands)
    lines = lines_of(p.files[rel])
    m = GUARD_RE.match(lines[i])
    if m:
        lines[i] = f"{m.group(1)}if True:  # was a guard\n"
        what = "undo"
    else:
        indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
        lines[i] = f"{indent}if not self._ready:\n" if "self" in "".join(lines[max(0, i - 30):i]) else \
            f"{indent}if _guard_fz is None:\n"
        what = "restore"
    return [(rel, "".join(lines))], f"{what} a once-guard at {rel}:{i + 1}"


def importers(p, trees, rel, name):
    mod = p.module_of(rel)
    short = mod.rsplit(".", 1)[-1]
    out = []
    for r, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and any(a.name == name for a in node.names):
                target = node.module or ""
                if target == mod or target.endswith(short) or (node.level and target.split(".")[-1] == short):
                    out.append(r)
                    break
    return out


def e_rename_function(rng, p, trees):
    got = pick_function(rng, trees, top=True)
    if got is None:
        return None
    rel, fn, _ = got
    new_name = p.fresh(fn.name)
    users = importers(p, trees, rel, fn.name)
    word = re.compile(rf"\b{re.escape(fn.name)}\b")
    steps = [(rel, word.sub(new_name, p.files[rel]))]
    everywhere = rng.random() < 0.6
    if everywhere:
        steps += [(r, word.sub(new_name, p.files[r])) for r in users if r != rel]
    return steps, f"rename {fn.name} -> {new_name} in {rel}" + (f" and {len(users)} importer(s)" if everywhere else "")


def e_remove_function(rng, p, trees):
    got = pick_function(rng, trees, top=rng.random() < 0.7)
    if got is None:
        return None
    rel, fn, cls = got
    new = cut(p.files[rel], fn)
    if parse(new) is None:
        return None
    return [(rel, new)], f"remove {cls + '.' if cls else ''}{fn.name} from {rel}"


def e_change_import(rng, p, trees):
    cands = []
    for rel, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module != "__future__" and node.lineno == node.end_lineno \
                    and not any(a.name == "*" for a in node.names):
                cands.append((rel, node))
    if not cands:
        return None
    rel, node = rng.choice(cands)
    lines = lines_of(p.files[rel])
    i = node.lineno - 1
    alias = rng.choice(node.names)
    local = alias.asname or alias.name
    how = rng.random()
    if how < 0.5:  # from x import a -> from x import a as b (and the module's uses follow)
        b = p.fresh(local)
        rest = [a for a in node.names if a is not alias]
        text = "".join(lines[:i] + lines[i + 1:])
        text = re.sub(rf"\b{re.escape(local)}\b", b, text)
        new_lines = lines_of(text)
        imp = f"from {'.' * node.level}{node.module or ''} import {alias.name} as {b}\n"
        if rest:
            imp += f"from {'.' * node.level}{node.module or ''} import " + ", ".join(
                a.name + (f" as {a.asname}" if a.asname else "") for a in rest) + "\n"
        new_lines[i:i] = [imp]
        return [(rel, "".join(new_lines))], f"import {alias.name} as {b} in {rel}"
    # the name comes from another module of the project now (which may not define it)
    other = rng.choice(list(trees))
    lines[i] = f"from {p.module_of(other)} import {alias.name}" + (f" as {alias.asname}" if alias.asname else "") + "\n"
    if len(node.names) > 1:
        lines.insert(i, f"from {'.' * node.level}{node.module or ''} import " + ", ".join(
            a.name + (f" as {a.asname}" if a.asname else "") for a in node.names if a is not alias) + "\n")
    return [(rel, "".join(lines))], f"import {alias.name} from {p.module_of(other)} in {rel}"


ROUTE_RE = re.compile(r"^\s*@\w+\.(get|post|put|delete|patch|api_route|websocket)\(.*\)\s*$")


def e_toggle_route(rng, p, trees):
    if rng.random() < 0.5:
        got = remove_line_matching(rng, p, trees, ROUTE_RE, "a route decorator")
        if got is not None:
            return got
    cands = [(rel, tree) for rel, tree in trees.items()
             if re.search(r"^(router|app) = (APIRouter|FastAPI)\(", p.files[rel], re.M)]
    if not cands:
        return None
    rel, tree = rng.choice(cands)
    obj = "router" if re.search(r"^router = ", p.files[rel], re.M) else "app"
    tops = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    lines = lines_of(p.files[rel])
    verb = rng.choice(["get", "post"])
    if tops and rng.random() < 0.5:
        fn = rng.choice(tops)
        at = (fn.decorator_list[0].lineno if fn.decorator_list else fn.lineno) - 1
        lines[at:at] = [f'@{obj}.{verb}("/{p.fresh("r")}")\n']
        return [(rel, "".join(lines))], f"route decorator on {fn.name} in {rel}"
    name = p.fresh("route")
    imp, call = rng.choice(BLOCKING)
    kw = rng.choice(["async def", "def"])
    new = append(p.files[rel], f'@{obj}.{verb}("/{name}")\n{kw} {name}():\n    {call}\n    return {{}}\n')
    if imp:
        new = add_import(new, imp)
    return [(rel, new)], f"new route {name} ({kw}) in {rel}"


def e_add_file(rng, p, trees):
    parents = sorted({os.path.dirname(r) for r in p.files if r.endswith("__init__.py")}) or [""]
    d = rng.choice(parents)
    rel = (d + "/" if d else "") + p.fresh("mod") + ".py"
    target = pick_function(rng, trees, top=True)
    imp, call = rng.choice(BLOCKING)
    body = ["import asyncio"] + ([imp] if imp else [])
    text = "\n".join(body) + "\n"
    fns = f"\n\ndef work():\n    {call}\n\n\nasync def handler():\n    work()\n"
    if target is not None:
        trel, tfn, _ = target
        text += f"\nfrom {p.module_of(trel)} import {tfn.name}\n"
        args = ", ".join("None" for a in tfn.args.args)
        aw = "await " if isinstance(tfn, ast.AsyncFunctionDef) else ""
        fns += f"    return {aw}{tfn.name}({args})\n"
    steps = [(rel, text + fns)]
    # sometimes another module starts using it
    if rng.random() < 0.5:
        other = pick_function(rng, trees, want="async")
        if other is not None:
            orel, ofn, _ = other
            alias = p.fresh("handler")
            new = add_import(p.files[orel], f"from {p.module_of(rel)} import handler as {alias}")
            m = re.search(rf"import handler as ({alias})", new)
            ofn2 = next((f for f, _ in functions_in(parse(new)) if f.name == ofn.name), None)
            if m and ofn2 is not None:
                new2 = insert_in_body(new, ofn2, [f"await {m.group(1)}()"])
                if new2 is not None:
                    steps.append((orel, new2))
    return steps, f"add file {rel}"


def e_delete_file(rng, p, trees):
    cands = [r for r in p.files if not r.endswith("__init__.py")]
    fz = [r for r in cands if "_fz" in r]
    if not cands:
        return None
    rel = rng.choice(fz) if fz and rng.random() < 0.6 else rng.choice(cands)
    return [(rel, None)], f"delete {rel}"


def e_noqa(rng, p, trees):
    cands = []
    for rel in trees:
        for i, line in enumerate(lines_of(p.files[rel])):
            code = line.split("#")[0]
            if "(" in code and not code.rstrip().endswith(("(", ",", "\\")) and code.count("(") == code.count(")") \
                    and '"""' not in line and "'''" not in line:
                cands.append((rel, i))
    if not cands:
        return None
    rel, i = rng.choice(cands)
    lines = lines_of(p.files[rel])
    if "# noqa" in lines[i]:
        lines[i] = lines[i].split("  # noqa")[0].rstrip() + "\n"
        what = "remove noqa"
    else:
        code = rng.choice(["ASL101", "ASL102", "ASL2", "ASL"])
        lines[i] = lines[i].rstrip("\n") + f"  # noqa: {code}\n"
        what = f"noqa: {code}"
    new = "".join(lines)
    return (None if parse(new) is None else [(rel, new)]), f"{what} at {rel}:{i + 1}"


def e_comment(rng, p, trees):
    """A comment added at the end of a line of code or of the file: the text changes, its summary does
    not (a run with the caches answers from the results kept: ``Collected.equivalent``)."""
    if not trees:
        return None
    rel = rng.choice(sorted(trees))
    lines = lines_of(p.files[rel])
    n = rng.randrange(1000)
    cands = [i for i, line in enumerate(lines) if "#" not in line and "(" in line and line.strip()
             and not line.rstrip().endswith(("(", ",", "\\")) and line.count("(") == line.count(")")
             and '"""' not in line and "'''" not in line]
    if cands and rng.random() < 0.6:
        i = rng.choice(cands)
        lines[i] = lines[i].rstrip("\n") + f"  # note {n}\n"
        what = f"comment at {rel}:{i + 1}"
    else:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.append(f"# note {n}\n")
        what = f"comment line at the end of {rel}"
    new = "".join(lines)
    return (None if parse(new) is None else [(rel, new)]), what


def e_subclass(rng, p, trees):
    cands = []
    for rel, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                           and n.name != "__init__"]
                if methods:
                    cands.append((rel, node, methods))
    if not cands:
        return None
    rel, cls, methods = rng.choice(cands)
    m = rng.choice(methods)
    where = rng.choice(list(trees))
    sub = p.fresh(cls.name)
    imp, call = rng.choice(BLOCKING)
    body = call if rng.random() < 0.7 else "return None"
    kw = "async def" if isinstance(m, ast.AsyncFunctionDef) else "def"
    args = ", ".join(a.arg for a in m.args.args) or "self"
    new = p.files[where]
    if where != rel:
        new = add_import(new, f"from {p.module_of(rel)} import {cls.name}")
    if imp:
        new = add_import(new, imp)
    new = append(new, f"class {sub}({cls.name}):\n    {kw} {m.name}({args}):\n        {body}\n")
    return [(where, new)], f"class {sub}({cls.name}) overriding {m.name} in {where}"


def e_move_function(rng, p, trees):
    got = pick_function(rng, trees, top=True)
    if got is None or len(trees) < 2:
        return None
    rel, fn, _ = got
    dest = rng.choice([r for r in trees if r != rel])
    block = node_text(p.files[rel], fn)
    src = cut(p.files[rel], fn)
    src = add_import(src, f"from {p.module_of(dest)} import {fn.name}")
    if parse(src) is None:
        return None
    return [(rel, src), (dest, append(p.files[dest], block))], f"move {fn.name} from {rel} to {dest}"


def e_break_file(rng, p, trees):
    rel = rng.choice(list(trees))
    lines = lines_of(p.files[rel])
    i = rng.randrange(len(lines) + 1)
    broken = "".join(lines[:i] + ["def broken_fz(:\n"] + lines[i:])
    return [(rel, broken), (rel, p.files[rel])], f"{rel} stops parsing, then parses again"


def e_toggle_async(rng, p, trees):
    """``async def`` becomes ``def`` or the other way (awaits in a plain def stay: the file still parses)."""
    got = pick_function(rng, trees)
    if got is None:
        return None
    rel, fn, _ = got
    lines = lines_of(p.files[rel])
    i = fn.lineno - 1
    if isinstance(fn, ast.AsyncFunctionDef):
        lines[i] = lines[i].replace("async def ", "def ", 1)
        what = "def"
    else:
        lines[i] = lines[i].replace("def ", "async def ", 1)
        what = "async def"
    return [(rel, "".join(lines))], f"{fn.name} becomes {what} ({rel})"


def e_offload(rng, p, trees):
    """A coroutine hands a project sync function to a thread."""
    picked = pick_caller_and_callee(rng, trees, "sync")
    if picked is None:
        return None
    rel, fn, crel, cfn = picked
    new = add_import(p.files[rel], "import asyncio")
    if crel != rel:
        new = add_import(new, f"from {p.module_of(crel)} import {cfn.name}")
    fn = next((f for f, _ in functions_in(parse(new)) if f.name == fn.name), None)
    if fn is None:
        return None
    args = "".join(", None" for a in cfn.args.args)
    call = rng.choice([f"await asyncio.to_thread({cfn.name}{args})", f"{cfn.name}({args[2:]})"])
    new = insert_in_body(new, fn, [call])
    return (None if new is None else [(rel, new)]), f"{call} in {fn.name} ({rel})"


def e_toggle_startup(rng, p, trees):
    """A coroutine becomes (or stops being) a startup handler of an app."""
    cands = []
    for rel, tree in trees.items():
        for i, line in enumerate(lines_of(p.files[rel])):
            if re.match(r"^@\w+\.on_event\(", line):
                cands.append((rel, i))
    if cands and rng.random() < 0.5:
        rel, i = rng.choice(cands)
        lines = lines_of(p.files[rel])
        del lines[i]
        return [(rel, "".join(lines))], f"remove the startup decorator at {rel}:{i + 1}"
    apps = [rel for rel in trees if re.search(r"^app = FastAPI\(", p.files[rel], re.M)]
    got = pick_function(rng, trees, want="async", top=True)
    if not apps or got is None:
        return None
    rel, fn, _ = got
    app_rel = rng.choice(apps)
    if rel != app_rel:
        new = add_import(p.files[app_rel], f"from {p.module_of(rel)} import {fn.name}")
        new = append(new, f'app.add_event_handler("startup", {fn.name})\n')
        return [(app_rel, new)], f"{fn.name} ({rel}) is a startup handler of {app_rel}"
    lines = lines_of(p.files[rel])
    at = (fn.decorator_list[0].lineno if fn.decorator_list else fn.lineno) - 1
    lines[at:at] = ['@app.on_event("startup")\n']
    return [(rel, "".join(lines))], f"{fn.name} is a startup handler ({rel})"


def e_global_memo(rng, p, trees):
    """A module-level memo (``global _x; if _x is None: _x = ...``) around a blocking call."""
    rel = rng.choice(list(trees))
    name = p.fresh("cached")
    imp, call = rng.choice(BLOCKING)
    block = (f"_{name} = None\n\n\ndef {name}():\n    global _{name}\n    if _{name} is None:\n"
             f"        _{name} = {call}\n    return _{name}\n")
    new = append(p.files[rel], block)
    if imp:
        new = add_import(new, imp)
    steps = [(rel, new)]
    other = pick_function(rng, trees, want="async")
    if other is not None:
        orel, ofn, _ = other
        onew = new if orel == rel else add_import(p.files[orel], f"from {p.module_of(rel)} import {name}")
        ofn = next((f for f, _ in functions_in(parse(onew)) if f.name == ofn.name), None)
        onew = insert_in_body(onew, ofn, [f"{name}()"]) if ofn is not None else None
        if onew is not None:
            steps = [(orel, onew)] if orel == rel else steps + [(orel, onew)]
    return steps, f"module-level memo {name}() in {rel}"


KINDS = {
    "append_function": e_append_function,
    "insert_statement": e_insert_statement,
    "add_blocking": e_add_blocking,
    "remove_blocking": e_remove_blocking,
    "add_await": e_add_await,
    "remove_await": e_remove_await,
    "add_main": e_add_main,
    "remove_main": e_remove_main,
    "add_once_guard": e_add_once_guard,
    "toggle_once_guard": e_toggle_once_guard,
    "rename_function": e_rename_function,
    "remove_function": e_remove_function,
    "change_import": e_change_import,
    "toggle_route": e_toggle_route,
    "add_file": e_add_file,
    "delete_file": e_delete_file,
    "noqa": e_noqa,
    "comment": e_comment,
    "subclass": e_subclass,
    "move_function": e_move_function,
    "break_file": e_break_file,
    "toggle_async": e_toggle_async,
    "offload": e_offload,
    "toggle_startup": e_toggle_startup,
    "global_memo": e_global_memo,
}


# how often each kind is drawn (others: 1)
WEIGHTS = {"delete_file": 0.3, "break_file": 0.5, "add_file": 0.7, "add_blocking": 2, "add_await": 1.5,
           "insert_statement": 1.5, "add_main": 1.2, "remove_main": 1.2}


def random_edit(rng, p: Project, kinds):
    trees = p.trees()
    weights = [WEIGHTS.get(k, 1) for k in kinds]
    for _ in range(30):
        kind = rng.choices(kinds, weights)[0]
        try:
            got = KINDS[kind](rng, p, trees)
        except (IndexError, ValueError):
            got = None
        if got is None or got[0] is None:
            continue
        steps, desc = got
        if kind != "break_file" and any(t is not None and parse(t) is None for _, t in steps):
            continue
        if all(t == p.files.get(r) for r, t in steps):
            continue
        return kind, desc, steps
    return None


# ------------------------------------------------------------------ the checks
def _key(d) -> str:
    return json.dumps(d, sort_keys=True)


def diag_rows(diagnostics) -> list:
    return sorted(_key(d.to_json()) for d in diagnostics)


def error_rows(errors) -> list:
    return sorted(_key({"path": e.path, "message": e.message}) for e in errors)


def options(use_cache: bool, **extra) -> Options:
    extra.setdefault("result_cache", use_cache)
    return Options(use_cache=use_cache, jobs=1, python="none", extend_select=EXTRA, **extra)


def internal(diags, errors) -> list:
    bad = [d for d in diags if '"code": "ASL000"' in d]
    bad += [e for e in errors if "internal error" in e]
    return bad


class Checker:
    """Runs the front ends on the project as it is on disk; returns failures as (front, kind, detail)."""

    def __init__(self, root: str, cli_process: bool = False, cross: bool = False):
        self.root = root
        self.cross = cross
        self.cli_process = cli_process
        self.ws = None
        self._fresh = None

    def start(self):
        options = Options(jobs=1, python="none", extend_select=EXTRA)
        if RESUME[0]:
            # a first workspace keeps its analysis on disk, as a server does on shutdown: the one
            # edited takes it in (records keep call-site indexes, summaries are decoded lazily)
            first = Workspace(self.root, options)
            first.load()
            if not first.keep():
                raise RuntimeError("--resume: the analysis was not kept")
        self.ws = Workspace(self.root, options)
        self.ws.load()
        if RESUME[0] and self.ws.state.fact_table is None:  # (set when the store's analysis is taken in)
            raise RuntimeError("--resume: the workspace did not start from the kept analysis")

    def fresh(self):
        if self._fresh is None:
            result = run([self.root], options(False))
            self._fresh = (diag_rows(result.diagnostics), error_rows(result.errors), result.files_checked)
        return self._fresh

    def edited(self, rel: str, text):
        """The edit is on disk; tell the workspace."""
        self._fresh = None
        path = os.path.join(self.root, rel)
        if text is None:
            self.ws.remove(path)
        else:
            self.ws.update(path, text)

    def check(self, front: str, rel=None) -> list:
        try:
            return getattr(self, "_" + front)(rel)
        except Exception:
            tb = traceback.format_exc()
            # a fresh run fails the same way (an inherited method that blocks only through an override,
            # called from a sync helper: analyze/findings.py _chain, see tests/test_live.py): not the
            # incremental engine's
            known = "findings.py" in tb and "in _chain" in tb and "KeyError" in tb
            return [(front, "known-chain-keyerror" if known else "crash", tb)]

    def _cli(self, rel):
        if self.cli_process:
            env = dict(os.environ)
            env.pop("VIRTUAL_ENV", None)
            cmd = [sys.executable, "-m", "asynclint", "check", ".", "--output-format", "json", "--extend-select",
                   ",".join(EXTRA), "--python", "none", "-j", "1", "--exit-zero"]
            got = []
            for extra in ([], ["--no-cache"]):
                out = subprocess.run(cmd + extra, cwd=self.root, capture_output=True, text=True, env=env)
                if out.returncode != 0:
                    return [("cli", "crash", out.stderr[-3000:])]
                data = json.loads(out.stdout)
                got.append((sorted(_key(d) for d in data["diagnostics"]), sorted(_key(e) for e in data["errors"]),
                            data["files_checked"]))
            cached, fresh = got
        else:
            result = run([self.root], options(True))
            cached = (diag_rows(result.diagnostics), error_rows(result.errors), result.files_checked)
            fresh = self.fresh()
        return compare("cli", cached, fresh)

    def _file(self, rel):
        path = os.path.join(self.root, rel)
        if not os.path.exists(path):
            return []
        got = []
        for use_cache in (True, False):
            result = run([path], options(use_cache, root=self.root))
            got.append((diag_rows(result.diagnostics), error_rows(result.errors)))
        out = compare(f"file {rel}", got[0], got[1])
        if not out and self.cross:
            # the file alone and the project: the same findings for that file (all front ends agree)
            want = [d for d in self.fresh()[0] if json.loads(d)["path"] == rel]
            out = compare(f"file-vs-project {rel}", (got[1][0], []), (want, []))
        return out

    def _buffer(self, rel_text):
        """flake8 on an editor's unsaved buffer (``--stdin-display-filename``): the one file from its
        text, the rest of the project from the disk."""
        rel, text = rel_text
        path = os.path.join(self.root, rel)
        if text is None or not os.path.exists(path):
            return []
        got = []
        for use_cache in (True, False):
            result = run([path], options(use_cache, root=self.root, overrides={path: text}, result_cache=False))
            got.append((diag_rows(result.diagnostics), error_rows(result.errors)))
        return compare(f"buffer {rel}", got[0], got[1])

    def _ws(self, rel):
        checked = self.ws.check()
        diags = diag_rows(d for found in checked.diagnostics.values() for d in found)
        errors = error_rows(e for found in checked.errors.values() for e in found)
        fresh = self.fresh()
        out = compare("ws", (diags, errors), fresh[:2])
        if rel is not None and not out:
            path = os.path.join(self.root, rel)
            alone = self.ws.check([path])
            mine = diag_rows(alone.diagnostics.get(path, []))
            display = rel
            want = [d for d in fresh[0] if json.loads(d)["path"] == display]
            out = compare(f"ws alone {rel}", (mine, []), (want, []))
        return out


def _short(d: dict) -> str:
    return f"{d.get('path')}:{d.get('line')} {d.get('code')} {d.get('function')}: {str(d.get('message'))[:120]}"


def _diff_rows(a: list, b: list) -> list:
    """The rows only one side has, as lines; a row whose finding both have (same place, code and
    function) shows the fields that differ."""
    only_a = [json.loads(r) for r in sorted(set(a) - set(b))]
    only_b = [json.loads(r) for r in sorted(set(b) - set(a))]

    def key(d):
        return (d.get("path"), d.get("line"), d.get("code"), d.get("function"))

    lines = []
    by_b = {}
    for d in only_b:
        by_b.setdefault(key(d), []).append(d)
    for d in only_a:
        twins = by_b.get(key(d))
        if twins:
            other = twins.pop(0)
            fields = [k for k in sorted(set(d) | set(other)) if d.get(k) != other.get(k)]
            lines.append(f"  both, fields differ: {_short(d)}")
            for k in fields:
                lines.append(f"      {k}: incremental {json.dumps(d.get(k))[:400]}")
                lines.append(f"      {k}: fresh       {json.dumps(other.get(k))[:400]}")
        else:
            lines.append(f"  only incremental: {_short(d)}")
    for rest in by_b.values():
        for d in rest:
            lines.append(f"  only fresh: {_short(d)}")
    return lines


def compare(front: str, got, want) -> list:
    out = []
    bad = internal(got[0], got[1]) + internal(want[0], want[1])
    if bad:
        out.append((front, "internal", "\n".join(bad)))
    if got != want:
        lines = []
        for name, a, b in zip(("diagnostics", "errors", "files_checked"), got, want):
            if a != b:
                if isinstance(a, list):
                    lines.append(f"  {name}:")
                    lines += _diff_rows(a, b)
                else:
                    lines.append(f"  {name}: incremental {a} fresh {b}")
        out.append((front, "differs", "\n".join(lines)))
    return out


# ------------------------------------------------------------------ one sequence
def make_base(corpus) -> tuple:
    """(directory holding a pristine copy of the project, Project read from it)."""
    base = tempfile.mkdtemp(prefix="fuzzbase-")
    if corpus:
        dest = os.path.join(base, os.path.basename(os.path.normpath(corpus)))
        shutil.copytree(corpus, dest, ignore=shutil.ignore_patterns(*IGNORED_DIRS), symlinks=True)
    else:
        dest = os.path.join(base, "app")
        for rel, text in APP.items():
            path = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
    return dest, load_project(dest)


def copy_of(base: str) -> str:
    work = tempfile.mkdtemp(prefix="fuzzwork-")
    dest = os.path.join(work, os.path.basename(base))
    shutil.copytree(base, dest, symlinks=True)
    return dest


def write(root: str, rel: str, text) -> None:
    path = os.path.join(root, rel)
    if text is None:
        if os.path.exists(path):
            os.remove(path)
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def apply_step(checker, root: str, step: dict) -> list:
    """Write a step's files, tell the workspace, run its checks (``buffer`` ones first: they see the
    edit as an editor's unsaved text, the disk as it was)."""
    failures = []
    texts = dict(step["writes"])
    for front, rel in step["checks"]:
        if front == "buffer":
            failures += checker.check(front, (rel, texts.get(rel)))
    for rel, text in step["writes"]:
        write(root, rel, text)
        try:
            checker.edited(rel, text)
        except Exception:  # the workspace failed to take the edit in: a failure to shrink, not the fuzzer's end
            return failures + [(f"ws update {rel}", "crash", traceback.format_exc())]
    for front, rel in step["checks"]:
        if front != "buffer":
            failures += checker.check(front, rel)
    return failures


def replay(base: str, steps: list, cli_process: bool, log=None):
    """Apply ``steps`` ([{"writes": [[rel, text]], "checks": [[front, rel]]}]) to a copy of ``base``;
    (index of the first step with a failure, failures) or (None, [])."""
    root = copy_of(base)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        checker = Checker(root, cli_process, CROSS[0])
        checker.start()
        first = checker.check("cli") + checker.check("ws")
        if first:
            return -1, first
        for n, step in enumerate(steps):
            failures = apply_step(checker, root, step)
            if log is not None:
                log(n, step, failures)
            if failures:
                return n, failures
        return None, []
    finally:
        os.chdir(cwd)
        shutil.rmtree(os.path.dirname(root), ignore_errors=True)


def signature(failures) -> set:
    return {(f[0].split()[0], f[1]) for f in failures}


def shrink(base: str, steps: list, failures, cli_process: bool, budget: float) -> tuple:
    """A shorter sequence of steps that still fails the same way (ddmin over the steps, then over the
    checks between them), within ``budget`` seconds."""
    if not steps:  # (it failed before the first edit: the project as it is; nothing to shrink)
        return steps, 0
    want = signature(failures)
    deadline = time.time() + budget
    tries = [0]

    def fails(candidate) -> bool:
        if time.time() > deadline:
            return False
        tries[0] += 1
        at, got = replay(base, candidate, cli_process)
        return at is not None and bool(signature(got) & want)

    n = 2
    while len(steps) >= 2 and time.time() < deadline:
        chunk = max(1, len(steps) // n)
        reduced = False
        for i in range(0, len(steps), chunk):
            candidate = steps[:i] + steps[i + chunk:]
            if candidate and fails(candidate):
                steps, n, reduced = candidate, max(n - 1, 2), True
                break
        if not reduced:
            if chunk == 1:
                break
            n = min(len(steps), n * 2)
    # the checks of every step but the last: drop those the failure does not need
    for i in range(len(steps) - 1):
        for j in range(len(steps[i]["checks"]) - 1, -1, -1):
            candidate = [dict(s) for s in steps]
            candidate[i] = dict(steps[i], checks=steps[i]["checks"][:j] + steps[i]["checks"][j + 1:])
            if fails(candidate):
                steps = candidate
    last = steps[-1]
    for j in range(len(last["checks"]) - 1, -1, -1):
        candidate = steps[:-1] + [dict(last, checks=last["checks"][:j] + last["checks"][j + 1:])]
        if candidate[-1]["checks"] and fails(candidate):
            steps = candidate
            last = steps[-1]
    return steps, tries[0]


def describe(base: str, steps: list) -> str:
    texts = {}
    out = []
    for n, step in enumerate(steps):
        out.append(f"== step {n}: {step.get('desc', '')}  checks: {step['checks']}")
        for rel, text in step["writes"]:
            if rel not in texts:
                try:
                    with open(os.path.join(base, rel), encoding="utf-8") as fh:
                        texts[rel] = fh.read()
                except OSError:
                    texts[rel] = None
            before = texts[rel]
            if text is None:
                out.append(f"-- delete {rel}")
            else:
                out += difflib.unified_diff(lines_of(before or ""), lines_of(text), f"a/{rel}", f"b/{rel}", n=2)
            texts[rel] = text
    return "".join(s if s.endswith("\n") else s + "\n" for s in out)


def save_repro(name: str, corpus, base: str, steps: list, failures) -> str:
    d = os.path.join(REPROS, name)
    os.makedirs(d, exist_ok=True)
    files = None
    if not corpus:
        files = {}
        for dirpath, _, names in os.walk(base):
            for f in names:
                path = os.path.join(dirpath, f)
                with open(path, encoding="utf-8") as fh:
                    files[os.path.relpath(path, base)] = fh.read()
    with open(os.path.join(d, "repro.json"), "w", encoding="utf-8") as fh:
        json.dump({"corpus": corpus, "files": files, "steps": steps,
                   "failures": [list(f) for f in failures]}, fh, indent=1)
    with open(os.path.join(d, "repro.txt"), "w", encoding="utf-8") as fh:
        fh.write(describe(base, steps))
        fh.write("\n== failures\n")
        for f in failures:
            fh.write(f"[{f[0]}] {f[1]}\n{f[2]}\n")
    return d


def fuzz_one(seed: int, corpus, n_edits: int, cli_process: bool, kinds, shrink_budget: float, verbose: bool):
    rng = random.Random(seed)
    base, project = make_base(corpus)
    root = copy_of(base)
    project.root = root
    cwd = os.getcwd()
    os.chdir(root)
    steps = []
    failures = []
    try:
        checker = Checker(root, cli_process, CROSS[0])
        checker.start()
        failures = checker.check("cli") + checker.check("ws")  # (the first run fills the caches)
        for n in range(n_edits):
            if failures:
                break
            got = random_edit(rng, project, kinds)
            if got is None:
                continue
            kind, desc, writes = got
            # a multi-file edit is written file by file, the checks after the last one
            groups = [writes] if rng.random() < 0.7 or kind == "break_file" else [[w] for w in writes]
            if kind == "break_file":
                groups = [[w] for w in writes]
            for g in groups:
                touched = [r for r, _ in g]
                for rel, text in g:
                    if text is None:
                        project.files.pop(rel, None)
                    else:
                        project.files[rel] = text
                checks = [("ws", touched[-1]), ("cli", None), ("file", touched[-1])]
                others = [r for r in project.files if r not in touched]
                if others and rng.random() < 0.5:
                    checks.append(("file", rng.choice(others)))
                rng.shuffle(checks)
                if rng.random() < 0.3:  # not every front end runs after every edit
                    checks = checks[:rng.randint(1, len(checks))]
                if g[-1][1] is not None and rng.random() < 0.4:
                    checks.insert(0, ("buffer", touched[-1]))  # (before the edit is saved)
                step = {"desc": f"{kind}: {desc}", "writes": [list(w) for w in g], "checks": [list(c) for c in checks]}
                steps.append(step)
                failures += apply_step(checker, root, step)
                if verbose:
                    shown = len(checker._fresh[0]) if checker._fresh else "-"
                    print(f"  [{seed}:{n}] {kind}: {desc} ({shown} findings)", flush=True)
                if failures:
                    break
    finally:
        os.chdir(cwd)
        shutil.rmtree(os.path.dirname(root), ignore_errors=True)
    out = {"seed": seed, "edits": len(steps), "failures": failures}
    if failures:
        print(f"\n!!! seed {seed} ({corpus or 'built-in app'}): failure after {len(steps)} steps")
        for s in steps:
            print(f"    {s['desc']}  checks={s['checks']}")
        for f in failures:
            print(f"  [{f[0]}] {f[1]}\n{f[2][:4000]}")
        small, tries = shrink(base, steps, failures, cli_process, shrink_budget)
        at, got = replay(base, small, cli_process)
        if at is None:  # (it did not fail again: flaky; keep the whole sequence)
            small, got = steps, failures
        name = f"{os.path.basename(os.path.normpath(corpus)) if corpus else 'app'}-seed{seed}-{time.strftime('%H%M%S')}"
        d = save_repro(name, corpus, base, small, got or failures)
        print(f"  shrunk {len(steps)} -> {len(small)} steps in {tries} replays; saved {d}")
        out["repro"] = d
    shutil.rmtree(os.path.dirname(base), ignore_errors=True)
    return out


def do_replay(path: str, cli_process: bool) -> int:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if data["files"] is not None:
        base = os.path.join(tempfile.mkdtemp(prefix="fuzzbase-"), "app")
        for rel, text in data["files"].items():
            write(base, rel, text)
    else:
        base, _ = make_base(data["corpus"])

    def log(n, step, failures):
        print(f"step {n}: {step.get('desc', '')} -> {'FAIL' if failures else 'ok'}")

    at, failures = replay(base, data["steps"], cli_process, log)
    for f in failures:
        print(f"[{f[0]}] {f[1]}\n{f[2]}")
    shutil.rmtree(os.path.dirname(base), ignore_errors=True)
    return 1 if failures else 0


def seeds_of(spec: str) -> list:
    out = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += list(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="0-4", help="seeds: 0-9 or 1,5,7")
    ap.add_argument("--edits", type=int, default=25, help="edits per seed")
    ap.add_argument("--corpus", help="a project to copy instead of the built-in app")
    ap.add_argument("--cli-process", action="store_true", help="run `asynclint check` as a process (slower)")
    ap.add_argument("--kinds", help="comma-separated edit kinds (default: all): " + ", ".join(KINDS))
    ap.add_argument("--shrink-budget", type=float, default=300, help="seconds spent shrinking a failure")
    ap.add_argument("--resume", action="store_true",
                    help="the edited workspace starts from the analysis another one kept on disk")
    ap.add_argument("--cross", action="store_true",
                    help="also: a file checked alone (no cache) reports what the project run reports for it")
    ap.add_argument("--replay", help="a repro.json to run again")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    CROSS[0] = args.cross
    RESUME[0] = args.resume
    if args.replay:
        return do_replay(args.replay, args.cli_process)
    kinds = args.kinds.split(",") if args.kinds else list(KINDS)
    corpus = os.path.abspath(args.corpus) if args.corpus else None
    bad = 0
    total = 0
    started = time.time()
    for seed in seeds_of(args.seeds):
        t = time.time()
        got = fuzz_one(seed, corpus, args.edits, args.cli_process, kinds, args.shrink_budget, args.verbose)
        total += got["edits"]
        bad += bool(got["failures"])
        print(f"seed {seed}: {got['edits']} edits, {'FAIL ' + got.get('repro', '') if got['failures'] else 'ok'}"
              f" ({time.time() - t:.1f} s)", flush=True)
    print(f"{len(seeds_of(args.seeds))} seeds, {total} edits, {bad} failing, {time.time() - started:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
