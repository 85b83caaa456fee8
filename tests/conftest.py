import os
import re
import sys

import pytest

pytest_plugins = ["pytester"]  # the runtime plugin's tests run inner pytest sessions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
SRC = os.path.join(ROOT, "src")
if SRC not in sys.path:
    sys.path.insert(0, SRC)
# the fixtures are checked against the catalog alone, whatever virtualenv runs the tests (the
# repository's own .venv, an activated one): tests of installed-library inference name theirs
os.environ["ASYNCLINT_PYTHON"] = "none"

_KNOWN_MISS = re.compile(r"#\s*known-miss:\s*((?:ASL\d{3}[\s,]*)+)\s*(?:\(.*\))?$")


def known_misses(path: str) -> set:
    """{(line, code)} that are true findings asynclint does not make yet: ``# known-miss: ASL104 (why)``."""
    out = set()
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            m = _KNOWN_MISS.search(line.rstrip())
            if m:
                out |= {(lineno, code) for code in re.findall(r"ASL\d{3}", m.group(1))}
    return out


def expected_codes(path: str) -> set:
    """{(line, code)} from trailing ``# ASL101`` comments (not ``# noqa: ASL101``)."""
    from asynclint.rules.rule import markers

    with open(path, encoding="utf-8") as fh:
        return markers(fh.read())


@pytest.fixture
def fixtures_dir():
    return FIXTURES


@pytest.fixture
def project(tmp_path, monkeypatch):
    """An empty project (``proj/`` with a pyproject.toml) as the working directory, with a user cache
    of its own. Test modules that need another layout define their own ``project``."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "usercache"))
    monkeypatch.chdir(root)
    return root
