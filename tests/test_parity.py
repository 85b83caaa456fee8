"""The command line, the flake8 plugin and the pre-commit hook give the same findings.

The pre-commit part runs the real hook (``.pre-commit-hooks.yaml``) of this
checkout, as ``pre-commit try-repo`` would: a commit of the working tree as it
is (HEAD plus uncommitted changes, untracked files included, ignored ones
not), installed by pre-commit into an isolated environment with its
dependencies from the package index. The environment is built once per test
session and shared by the tests, in a pre-commit home of the session's own.
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


def cli_text(root, *paths):
    """What the text report shows: one line per cause (the hook prints the text report)."""
    proc = subprocess.run([sys.executable, "-m", "asynclint", *(paths or ["."])], cwd=root,
                          capture_output=True, text=True, env=_clean_env())
    assert proc.returncode in (0, 1), proc.stderr
    return parse(proc.stdout)


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


def _git(*args, cwd, env=None):
    return subprocess.run(["git", *args], cwd=cwd, env=env or _clean_env(), check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(scope="session")
def hook(tmp_path_factory):
    """(pre-commit config, environment): this checkout's hook, installed once for the session."""
    if not os.path.exists(os.path.join(ROOT, ".git")):
        pytest.skip(f"{ROOT} is not a git checkout: the hook is installed from a commit")
    base = tmp_path_factory.mktemp("hook")
    shadow = str(base / "repo")
    _git("clone", "-q", ROOT, shadow, cwd=str(base))
    _git("checkout", "-q", _git("rev-parse", "HEAD", cwd=ROOT), "-b", "_working_tree", cwd=shadow)
    env = dict(_clean_env(), GIT_INDEX_FILE=os.path.join(shadow, ".git", "index"),
               GIT_OBJECT_DIRECTORY=os.path.join(shadow, ".git", "objects"))
    _git("add", "-A", cwd=ROOT, env=env)  # the working tree, into the clone's index
    _git("commit", "-q", "--allow-empty", "--no-verify", "-m", "working tree", cwd=shadow)
    config = base / "pre-commit-config.yaml"
    config.write_text(f"repos:\n- repo: {shadow}\n  rev: {_git('rev-parse', 'HEAD', cwd=shadow)}\n"
                      "  hooks:\n  - id: asynclint\n")
    return str(config), dict(_clean_env(), PRE_COMMIT_HOME=str(base / "home"))


def pre_commit(hook, root, *args):
    config, env = hook
    proc = subprocess.run([*_pre_commit_exe(), "run", "-c", config, *args], cwd=root,
                          capture_output=True, text=True, env=env, timeout=900)
    # the hook fails (exit 1) when it finds something
    assert "An unexpected error" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert "InvalidManifestError" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return parse(proc.stdout), proc


@needs_pre_commit
@pytest.mark.parametrize("name", ["fastapi_app"])
def test_cli_flake8_and_pre_commit_agree(tmp_path, name, hook):
    root = git_project(tmp_path, name)
    from_cli = cli(root)
    assert from_cli and any(code.startswith("ASL2") for *_, code in from_cli)
    assert flake8(root) == from_cli
    hooked, proc = pre_commit(hook, root, "--all-files")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert hooked == cli_text(root) and hooked <= from_cli, proc.stdout


@needs_pre_commit
def test_pre_commit_changed_files_follow_chains(tmp_path, hook):
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
    hooked, proc = pre_commit(hook, str(root), "--files", "app/main.py")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # the route's blocking call (through helpers.py, which pre-commit did not pass) is shown under the
    # route's own finding: one cause, one fix (a plain def)
    assert ("app/main.py", 9, "ASL301") in hooked, proc.stdout
    assert "makes 1 blocking call" in proc.stdout and "on line 10 (ASL201 fetch_rates())" in proc.stdout
    assert {p for p, _, _ in hooked} == {"app/main.py"}
    assert hooked == cli_text(str(root), "app/main.py")
    assert cli(str(root), "app/main.py") == flake8(str(root), "app/main.py")


def bare_project(tmp_path, name="fastapi_app", keep=()):
    """A copy of a multi-package fixture app with no pyproject.toml, no .git and no __init__.py but
    in the folders ``keep`` (the others are namespace folders), as a tree of downloaded sources often is."""
    root = tmp_path / "bare" / name
    shutil.copytree(os.path.join(FIXTURES, "projects", name), root)
    (root / "pyproject.toml").unlink(missing_ok=True)
    for init in root.rglob("__init__.py"):
        if str(init.parent.relative_to(root)) not in keep:
            init.unlink()
    assert not any((p / marker).exists() for p in [root, *root.parents] for marker in (".git", "pyproject.toml"))
    return str(root)


def explain(root, path, line):
    from click.testing import CliRunner

    from asynclint.cli import main

    old = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(main, ["explain", f"{path}:{line}", "--no-cache"], catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.mark.parametrize("keep", [(), ("app",)], ids=["no-init-files", "namespace-folders-in-a-package"])
def test_one_root_and_one_naming_without_markers_or_init_files(tmp_path, keep):
    """CLI = flake8 = explain = routes on a marker-less multi-package app whose folders lack
    __init__.py (all of them, or all but the top package's as in open-webui), whichever part of it
    each mode is given."""
    from asynclint.discover import project_root

    root = bare_project(tmp_path, keep=keep)
    app = os.path.join(root, "app")
    files = [os.path.join(d, f) for d, _, fs in os.walk(app) for f in fs if f.endswith(".py")]
    assert {project_root([f]) for f in files} == {project_root([app])} == {project_root([root])} == {root}

    from_cli = cli(root)
    assert len(from_cli) > 10 and any(code.startswith("ASL2") for *_, code in from_cli)
    assert any(p.startswith(os.path.join("app", "routers")) for p, _, _ in from_cli)  # two folders down
    assert cli(root, "app") == from_cli
    assert flake8(root) == from_cli
    # an editor: flake8 on one file at a time
    for rel in (os.path.join("app", "routers", "items.py"), os.path.join("app", "main.py")):
        assert flake8(root, rel) == {f for f in from_cli if f[0] == rel}
    # explain finds every finding, with the route and the same chain
    doc = json.loads(subprocess.run([sys.executable, "-m", "asynclint", "--format", "json", "."], cwd=root,
                                    capture_output=True, text=True, env=_clean_env()).stdout)
    for d in doc["diagnostics"]:
        got = explain(root, d["path"], d["line"])
        assert got.exit_code == 0, (d, got.output)
        assert f"{d['path']}:{d['line']}:{d['column']}: {d['code']} {d['message']}" in got.output
        if d["route"]:
            assert f"route: {d['route']}" in got.output


@pytest.mark.parametrize("marker", ["pyproject.toml", None])
def test_a_script_folder_is_named_the_same_in_every_mode(tmp_path, marker):
    """``app/`` started from inside (``uvicorn main:app``): its files import each other by bare name."""
    root = tmp_path / "proj"
    (root / "app" / "routers").mkdir(parents=True)
    if marker:
        (root / marker).write_text('[project]\nname = "proj"\nversion = "0"\n')
    (root / "app" / "services.py").write_text(
        "import requests\n\n\ndef fetch_rates():\n    return requests.get('https://example.com/rates').json()\n")
    (root / "app" / "routers" / "rates.py").write_text(
        "from fastapi import APIRouter\n\nfrom services import fetch_rates\n\nrouter = APIRouter(prefix='/rates')\n\n\n"
        "@router.get('/')\nasync def rates():\n    return {'rates': fetch_rates()}\n")
    (root / "app" / "main.py").write_text(
        "from fastapi import FastAPI\n\nfrom routers import rates\n\napp = FastAPI()\napp.include_router(rates.router)\n")
    expected = {(os.path.join("app", "routers", "rates.py"), 9, "ASL301"),
                (os.path.join("app", "routers", "rates.py"), 10, "ASL201")}
    assert cli(str(root)) == cli(str(root), "app") == flake8(str(root)) == expected
    rel = os.path.join("app", "routers", "rates.py")
    assert flake8(str(root), rel) == expected
    got = explain(str(root), rel, 10)
    assert got.exit_code == 0 and "route: GET /rates/" in got.output and "requests.get" in got.output


def test_a_folder_inside_the_project_is_linked_against_the_rest_of_it(tmp_path):
    """``asynclint proj/api``: the routes there call a helper in ``proj/core``. Named alone, the folder
    is linked against the project around it, as a file named alone is and as ``flake8 api`` (which
    analyses the project around the paths it is given) does: the same findings as a run over the
    project gives the folder's files, with the route prefix the app outside the folder mounts."""
    root = tmp_path / "proj"
    for rel, text in {
        "pyproject.toml": '[project]\nname = "proj"\nversion = "0"\n',
        "api/__init__.py": "",
        "api/routes.py": ("from fastapi import APIRouter\n\nfrom core.users import find_user\n\n"
                          "router = APIRouter()\n\n\n@router.get('/users/{uid}')\nasync def get_user(uid: int):\n"
                          "    user = find_user(uid)\n    return {'name': user['name']}\n"),
        "core/__init__.py": "",
        "core/users.py": ("import requests\n\n\ndef find_user(uid):\n"
                          "    return requests.get(f'https://example.com/users/{uid}').json()\n"),
        "main.py": ("from fastapi import FastAPI\n\nfrom api.routes import router\n\n"
                    "app = FastAPI()\napp.include_router(router, prefix='/v1')\n"),
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    whole = {f for f in cli(str(root)) if f[0].startswith("api")}
    assert whole and any(code == "ASL301" for *_, code in whole)
    assert cli(str(root), "api") == whole == flake8(str(root), "api")
    assert "GET /v1/users/{uid}" in subprocess.run(
        [sys.executable, "-m", "asynclint", "api"], cwd=root, capture_output=True, text=True, env=_clean_env()).stdout
