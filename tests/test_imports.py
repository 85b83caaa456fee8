"""Start-up: a run the result cache answers imports only what it needs.

``asynclint --version`` and a warm ``check`` (nothing changed since the last
run) must not import the pipeline (summarize, link, analyze, fix, LibCST):
they would cost more than the work itself. Through ``cli.main``, the result
cache answers; through the command itself (``python -m asynclint``, what the
``asynclint`` script runs), the answer kept for the same command
(``cache.warm``) comes before even the command line (click), the
configuration parser and the engine are imported. Checked in fresh
interpreters, on a small multi-module app, after a first run has filled the
caches.
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


def _command(cwd: str, tmp_path, *args):
    """``python -m asynclint ARGS`` (what the ``asynclint`` script runs), with ``-X importtime``:
    (exit status, stdout, the modules it imported)."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "usercache")
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "asynclint", *args], cwd=cwd,
                         capture_output=True, text=True, env=env, timeout=120)
    return out.returncode, out.stdout, _imported(out.stderr) - _interpreter_start_up(env)


def _imported(stderr: str) -> set:
    return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


_START_UP: list = []


def _interpreter_start_up(env) -> set:
    """What the interpreter imports before any command (``site`` and the ``.pth`` files of the environment,
    which may import ``re`` or more): not asynclint's doing."""
    if not _START_UP:
        out = subprocess.run([sys.executable, "-X", "importtime", "-c", "pass"], capture_output=True, text=True,
                             env=env, timeout=60)
        _START_UP.append(_imported(out.stderr))
    return _START_UP[0]


# what a warm check (and --version) must not import: the command line, the engine, the configuration
# parser, discovery, the model, the result cache, and the standard modules only those need
NOT_FOR_A_WARM_CHECK = {"click", "asynclint.cli", "asynclint.engine", "asynclint.config", "asynclint.discover",
                        "asynclint.model", "asynclint.cache.results", "tomllib", "dataclasses", "re", "json",
                        "hashlib", "hmac"}


def test_the_command_answers_a_warm_check_before_importing_the_command_line(tmp_path):
    root = _app(tmp_path)
    first = _command(root, tmp_path, "check", "--python", "none", ".")
    # (a plain check: through the engine, without the command line, ``checking.plain_check``)
    assert first[0] == 1 and "ASL201" in first[1] and "asynclint.engine" in first[2]
    assert not {"click", "asynclint.cli"} & first[2]
    _command(root, tmp_path, "check", "--python", "none", ".")  # (the first run made the cache directory)
    code, out, modules = _command(root, tmp_path, "check", "--python", "none", ".")
    assert (code, out) == first[:2]
    assert not modules & NOT_FOR_A_WARM_CHECK, sorted(modules & NOT_FOR_A_WARM_CHECK)
    # a file changed: checked again, by the whole command
    with open(os.path.join(root, "app", "routes.py"), "a") as fh:
        fh.write("\n\n@router.get('/slow')\nasync def slow():\n    import time\n    time.sleep(1)\n")
    code, out, modules = _command(root, tmp_path, "check", "--python", "none", ".")
    assert code == 1 and "ASL102" in out and "asynclint.engine" in modules and "click" not in modules


def test_the_command_says_its_version_without_the_command_line(tmp_path):
    code, out, modules = _command(str(tmp_path), tmp_path, "--version")
    assert (code, out) == (0, "asynclint, version " + __import__("asynclint").__version__ + "\n")
    assert not modules & NOT_FOR_A_WARM_CHECK
    # what click's version option says
    click_says = subprocess.run([sys.executable, "-c", "from asynclint.cli import main; main()", "--version"],
                                capture_output=True, text=True, timeout=120)
    assert (click_says.returncode, click_says.stdout) == (code, out)
    # --help and the other commands go to the command line without looking for a kept answer
    code, out, modules = _command(str(tmp_path), tmp_path, "--help")
    assert code == 0 and "Check options" in out and "click" in modules and "asynclint.cache.warm" not in modules


def test_a_plain_check_runs_without_the_command_line_and_reports_as_it_does(tmp_path):
    """``asynclint`` runs a check of paths with options of the report and the selection only without
    click (``checking.plain_check``): the same report, messages and exit status as the command line's
    ``check`` (``cli.main``) for the same arguments; anything else goes to the command line."""
    from click.testing import CliRunner

    from asynclint.checking import plain_check
    from asynclint.cli import main

    root = _app(tmp_path)
    for args in (["check", "--python", "none", "."], ["--python=none", "--format", "json", "app"],
                 ["--python", "none", "--select", "ASL2", "--statistics", "-j", "1", "."],
                 ["--python", "none", "--show-all", "-q", "--exit-zero", "--", "app/routes.py"],
                 ["--python", "none", "--select", "ASL9", "."], ["--python", "none", "missing_dir"]):
        assert plain_check(args) is not None, args
        code, out, modules = _command(root, tmp_path, *args)
        assert "click" not in modules, args
        cwd = os.getcwd()
        os.chdir(root)
        try:
            by_click = CliRunner().invoke(main, args, env={"XDG_CACHE_HOME": str(tmp_path / "usercache")})
        finally:
            os.chdir(cwd)
        assert (code, out) == (by_click.exit_code, by_click.stdout), args
    for args in (["--fix", "."], ["rule", "ASL101"], ["--output", "x.txt", "."], ["--config", "p.toml", "."],
                 ["-j", "0", "."], ["--jobs=two", "."], ["--format", "xml", "."], ["-qj2", "."], ["--bogus"],
                 ["--select"], ["--no-cache", "."], ["--watch"]):
        assert plain_check(args) is None, args
    code, out, modules = _command(root, tmp_path, "--python", "none", "--format", "xml", ".")
    assert code == 2 and "click" in modules  # (the command line says what is wrong)
