"""The command line, the flake8 plugin and the pre-commit hook give the same findings.

The pre-commit part runs a real ``pre-commit try-repo`` of this checkout
against a throw-away git repository; pre-commit installs asynclint from the
checkout (its HEAD plus uncommitted changes to tracked files) into an
isolated environment, with its dependencies from the package index.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT

LINE = re.compile(r"^(?:\./)?(?P<path>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+):? (?P<code>ASL\d{3}) ")


def _clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "PRE_COMMIT"}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com")
    return env


def _pre_commit_exe():
    exe = shutil.which("pre-commit")
    if exe:
        return [exe]
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "pre_commit"]


needs_pre_commit = pytest.mark.skipif(
    _pre_commit_exe() is None or shutil.which("git") is None,
    reason="pre-commit (test extra) and git are needed to run the hook for real",
)


def git_project(tmp_path, name):
    root = tmp_path / name
    shutil.copytree(os.path.join(FIXTURES, "projects", name), root)
    (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0"\n')
    env = _clean_env()
    for cmd in (["git", "init", "-q", "."], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "init"]):
        subprocess.run(cmd, cwd=root, env=env, check=True, capture_output=True)
    return str(root)


def parse(text):
    out = set()
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            out.add((m["path"], int(m["line"]), m["code"]))
    return out


def cli(root, *paths):
    proc = subprocess.run([sys.executable, "-m", "asynclint", "--format", "json", *(paths or ["."])], cwd=root,
                          capture_output=True, text=True, env=_clean_env())
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    return {(d["path"], d["line"], d["code"]) for d in doc["diagnostics"]}


def flake8(root, *paths):
    pytest.importorskip("flake8")
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "ASL", *(paths or ["."])], cwd=root,
                          capture_output=True, text=True, env=_clean_env())
    assert proc.returncode in (0, 1), proc.stderr
    return parse(proc.stdout)


def pre_commit(root, *args):
    if not os.path.isdir(os.path.join(ROOT, ".git")) and not os.path.isfile(os.path.join(ROOT, ".git")):
        pytest.skip(f"{ROOT} is not a git checkout: pre-commit try-repo needs one")
    proc = subprocess.run([*_pre_commit_exe(), "try-repo", ROOT, "asynclint", *args], cwd=root,
                          capture_output=True, text=True, env=_clean_env(), timeout=900)
    # the hook fails (exit 1) when it finds something
    assert "An unexpected error" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert "InvalidManifestError" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return parse(proc.stdout), proc


@needs_pre_commit
@pytest.mark.parametrize("name", ["fastapi_app"])
def test_cli_flake8_and_pre_commit_agree(tmp_path, name):
    root = git_project(tmp_path, name)
    from_cli = cli(root)
    assert from_cli and any(code.startswith("ASL2") for *_, code in from_cli)
    assert flake8(root) == from_cli
    hooked, proc = pre_commit(root, "--all-files")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert hooked == from_cli, proc.stdout


@needs_pre_commit
def test_pre_commit_changed_files_follow_chains(tmp_path):
    """pre-commit passes only changed files: the chain still reaches unchanged modules."""
    root = tmp_path / "svc"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "svc"\nversion = "0"\n')
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "helpers.py").write_text(
        "import requests\n\n\ndef fetch_rates():\n    return requests.get('https://example.com/rates').json()\n")
    (root / "app" / "main.py").write_text(
        "from fastapi import FastAPI\n\nfrom app.helpers import fetch_rates\n\napp = FastAPI()\n\n\n"
        "@app.get('/rates')\nasync def rates():\n    return {'rates': fetch_rates()}\n")
    env = _clean_env()
    for cmd in (["git", "init", "-q", "."], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "init"]):
        subprocess.run(cmd, cwd=root, env=env, check=True, capture_output=True)
    hooked, proc = pre_commit(str(root), "--files", "app/main.py")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert ("app/main.py", 10, "ASL201") in hooked, proc.stdout
    assert "calls fetch_rates()" in proc.stdout and "requests.get()" in proc.stdout
    assert {p for p, _, _ in hooked} == {"app/main.py"}
    assert hooked == cli(str(root), "app/main.py") == flake8(str(root), "app/main.py")
