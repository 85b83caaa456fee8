"""``--format github``: GitHub Actions workflow commands."""

import os
import shutil
import subprocess
import sys

from conftest import FIXTURES

from asynclint.engine import Result
from asynclint.report.github import escape_data, escape_property, format_github
from asynclint.model import ChainHop, Diagnostic, FileError


def diag(**kw):
    base = dict(path="app/main.py", line=10, column=12, end_line=10, end_column=25, code="ASL201", category="http",
                message="calls helpers.fetch(), which blocks on requests.get() (HTTP call)", function="app.main.f")
    base.update(kw)
    return Diagnostic(**base)


def test_one_annotation_per_finding():
    d = diag(route="GET /rates", suggestion="offload it",
             hops=[ChainHop("app.main.f", "app/main.py", 10, "fetch()"),
                   ChainHop("app.helpers.fetch", "app/helpers.py", 5, "requests.get()"),
                   ChainHop("requests.get", None, None, "requests.get()")])
    text = format_github(Result([d], [FileError("bad.py", "cannot parse: line 1")], 2))
    lines = text.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("::error file=app/main.py,line=10,col=12,endLine=10,endColumn=25,title=ASL201::")
    assert lines[0].split("::", 2)[2] == (
        "calls helpers.fetch(), which blocks on requests.get() (HTTP call) [GET /rates]%0Ahelp: offload it"
        "%0A  via app.helpers.fetch (app/helpers.py:5): requests.get()%0A  via requests.get (library): requests.get()")
    assert lines[1] == "::error file=bad.py::asynclint could not check this file: cannot parse: line 1"


def test_escaping():
    assert escape_data("100% a\r\nb") == "100%25 a%0D%0Ab"
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    d = diag(path="we,ird:dir/m%.py", message="50% of x\nsecond")
    line = format_github(Result([d], [], 1))
    assert line.startswith("::error file=we%2Cird%3Adir/m%25.py,line=10,")
    assert line.endswith("::50% of x%0Asecond".replace("%", "%25").replace("%250A", "%0A"))


def test_nothing_found_prints_nothing():
    assert format_github(Result([], [], 3)) == ""


def test_cli_github_format(tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(os.path.join(FIXTURES, "projects", "fastapi_app"), root)
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n')
    proc = subprocess.run([sys.executable, "-m", "asynclint", "--format", "github", "--no-cache", "."], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and all(line.startswith("::error file=") for line in lines)
    assert any("file=app/main.py,line=63,col=5," in line and "title=ASL204::" in line for line in lines)
