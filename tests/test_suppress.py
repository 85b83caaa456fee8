"""Suppression is the last stage: every rule, ASL301 included, goes through one noqa/selection path."""

import os

from click.testing import CliRunner

from asynclint.cli import main
from asynclint.engine import Options, run

APP = '''\
import time
from fastapi import FastAPI

app = FastAPI()


@app.get("/slow")
async def slow():  # noqa: ASL301
    time.sleep(1)  # noqa: ASL102
    return {}


@app.get("/slower")
async def slower():
    time.sleep(2)
    return {}
'''


def test_noqa_on_asl301_is_counted_as_suppressed(tmp_path):
    (tmp_path / "app.py").write_text(APP)
    result = run([str(tmp_path)], Options(use_cache=False))
    found = sorted((d.line, d.code) for d in result.diagnostics)
    # /slow: both findings silenced on their lines; /slower: the call and the route both reported
    assert found == [(14, "ASL301"), (15, "ASL102")]
    assert result.suppressed == 2


def test_selection_applies_to_framework_findings(tmp_path):
    (tmp_path / "app.py").write_text(APP)
    result = run([str(tmp_path)], Options(use_cache=False, ignore=["ASL3"]))
    assert [d.code for d in result.diagnostics] == ["ASL102"]
    result = run([str(tmp_path)], Options(use_cache=False, select=["ASL301"]))
    assert [(d.line, d.code) for d in result.diagnostics] == [(14, "ASL301")]


LIGHT_ONLY = '''\
import os
from fastapi import FastAPI

app = FastAPI()


@app.get("/reports/{rid}")
async def report(rid: str):
    return {"ready": os.path.exists(f"/srv/reports/{rid}")}
'''


def test_asl301_counts_only_the_blocking_calls_that_are_selected(tmp_path):
    (tmp_path / "app.py").write_text(LIGHT_ONLY)
    result = run([str(tmp_path)], Options(use_cache=False))
    assert sorted(d.code for d in result.diagnostics) == ["ASL105", "ASL301"]
    # a team that accepts cheap file-system calls gets no ASL301 for them either
    result = run([str(tmp_path)], Options(use_cache=False, ignore=["ASL105", "ASL205"]))
    assert result.diagnostics == []


def test_test_modules_are_linked_but_not_reported_unless_asked(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "helpers.py").write_text("import time\n\n\ndef pause():\n    time.sleep(1)\n")
    (tmp_path / "app" / "routes.py").write_text("from .helpers import pause\n\n\nasync def handler():\n    pause()\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_routes.py").write_text(
        "import time\n\n\nasync def test_handler():\n    time.sleep(0.1)\n")
    # a pytest plugin shipped inside the package (app/pytest/fixtures.py) is test code too
    (tmp_path / "app" / "pytest").mkdir()
    (tmp_path / "app" / "pytest" / "__init__.py").write_text("")
    (tmp_path / "app" / "pytest" / "fixtures.py").write_text(
        "import subprocess\n\nimport pytest\n\n\n@pytest.fixture\nasync def repo(tmp_path):\n"
        "    subprocess.run(['git', 'init', str(tmp_path)])\n    return tmp_path\n")
    found = [(d.path.replace("\\\\", "/").rsplit("/", 2)[-2:], d.code) for d in run([str(tmp_path)], Options(use_cache=False)).diagnostics]
    assert found == [(["app", "routes.py"], "ASL202")]
    (tmp_path / "pyproject.toml").write_text("[tool.asynclint]\ncheck-tests = true\n")
    codes = sorted(d.code for d in run([str(tmp_path)], Options(use_cache=False)).diagnostics)
    assert codes == ["ASL102", "ASL103", "ASL202"]


def test_vendored_copies_are_followed_but_their_own_servers_not_reported(tmp_path):
    vendored = tmp_path / "app" / "thirdparty" / "docparse"
    vendored.mkdir(parents=True)
    for d in (tmp_path / "app", tmp_path / "app" / "thirdparty", vendored):
        (d / "__init__.py").write_text("")
    # the vendored program's own server, which this project never runs
    (vendored / "server.py").write_text(
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.post('/file_parse')\n"
        "async def parse(path: str):\n    with open(path, 'rb') as fh:\n        return len(fh.read())\n")
    (vendored / "utils.py").write_text("import time\n\n\ndef settle():\n    time.sleep(1)\n")
    (tmp_path / "app" / "main.py").write_text(
        "from fastapi import FastAPI\n\nfrom .thirdparty.docparse.utils import settle\n\napp = FastAPI()\n\n\n"
        "@app.post('/ocr')\nasync def ocr():\n    settle()\n")
    result = run([str(tmp_path)], Options(use_cache=False))
    assert [(d.path.replace("\\", "/").rsplit("/", 1)[-1], d.code) for d in result.diagnostics] == \
        [("main.py", "ASL301"), ("main.py", "ASL202")]
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        out = CliRunner().invoke(main, ["routes", ".", "--no-cache"]).output
    finally:
        os.chdir(old)
    assert "/ocr" in out and "/file_parse" not in out
