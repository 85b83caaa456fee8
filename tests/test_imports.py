"""Start-up: a run the result cache answers imports only what it needs.

``asynclint --version`` and a warm ``check`` (nothing changed since the last
run) must not import the pipeline (summarize, link, analyze, fix, LibCST):
they would cost more than the work itself. Checked in fresh interpreters,
on a small multi-module app, after a first run has filled the caches.
"""

from __future__ import annotations

import os
import subprocess
import sys

HEAVY = ("asynclint.summarize", "asynclint.link", "asynclint.analyze", "asynclint.fix", "asynclint.frameworks",
         "asynclint.libraries", "asynclint.catalog", "libcst")

_RUN = """
import io, sys, contextlib
sys.argv = ["asynclint"] + sys.argv[1:]
from asynclint.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main()
    except SystemExit as exc:
        code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] == "libcst" or m.startswith({heavy!r}))
print(code, len(out.getvalue().splitlines()), heavy)
"""


def _run(cwd: str, *args) -> str:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    code = _RUN.replace("{heavy!r}", repr(HEAVY))
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _app(tmp_path) -> str:
    root = tmp_path / "app"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'app'\nversion = '0'\n")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "helpers.py").write_text("import requests\n\n\ndef fetch(url):\n    return requests.get(url).json()\n")
    (root / "app" / "routes.py").write_text(
        "from fastapi import APIRouter\n\nfrom .helpers import fetch\n\nrouter = APIRouter()\n\n\n"
        "@router.get('/items')\nasync def items():\n    return fetch('http://x')\n")
    return str(root)


def test_a_warm_check_imports_no_pipeline(tmp_path):
    root = _app(tmp_path)
    first = _run(root, "check", "--python", "none", ".")
    assert first.startswith("1 ") and "asynclint.analyze" in first  # the first run analysed the project
    warm = _run(root, "check", "--python", "none", ".")
    assert warm == first.split(" [")[0] + " []"  # the same report, nothing of the pipeline imported


def test_version_imports_no_pipeline(tmp_path):
    assert _run(str(tmp_path), "--version") == "0 1 []"
