"""Suppression is the last stage: every rule, ASL301 included, goes through one noqa/selection path."""

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
