"""Every fixture's findings equal the codes written on its lines, and nothing else.

tests/fixtures/catalog/*.py and tests/fixtures/direct/*.py are checked one
file at a time; every directory under tests/fixtures/projects/ as one project.
"""

import os

import pytest

from conftest import FIXTURES, expected_codes, known_misses

from asynclint.engine import Options, run


def _single_files():
    out = []
    for sub in ("catalog", "direct"):
        d = os.path.join(FIXTURES, sub)
        if os.path.isdir(d):
            out += [os.path.join(d, n) for n in sorted(os.listdir(d)) if n.endswith(".py")]
    return out


def _projects():
    d = os.path.join(FIXTURES, "projects")
    out = [os.path.join(d, n) for n in sorted(os.listdir(d)) if os.path.isdir(os.path.join(d, n))]
    # the example app shown to newcomers is held to the same standard
    out.append(os.path.join(os.path.dirname(os.path.dirname(FIXTURES)), "examples", "shop"))
    return out


def _diff(expected: set, got: set, base: str) -> str:
    lines = []
    for line, code in sorted(expected - got):
        lines.append(f"missing  {base}:{line} {code}")
    for line, code in sorted(got - expected):
        lines.append(f"unexpected {base}:{line} {code}")
    return "\n".join(lines)


def _select_all_options(whole_project=True):
    return Options(select=["ASL"], use_cache=False, whole_project=whole_project)


@pytest.mark.parametrize("path", _single_files(), ids=lambda p: os.path.relpath(p, FIXTURES))
def test_single_file_fixture(path):
    result = run([path], _select_all_options(whole_project=False))
    assert not result.errors, result.errors
    got = {(d.line, d.code) for d in result.diagnostics if os.path.abspath(d.path) == path}
    expected = expected_codes(path)
    assert got == expected, "\n" + _diff(expected, got, os.path.relpath(path, FIXTURES))


def test_every_project_fixture_is_a_project_of_its_own():
    """Each has the ``pyproject.toml`` a real project has: without one its root would be this
    repository, and a run on its folder would be linked against every other fixture."""
    from asynclint.discover import project_root

    for project in _projects():
        assert os.path.isfile(os.path.join(project, "pyproject.toml")), project
        assert project_root([project]) == project


@pytest.mark.parametrize("project", _projects(), ids=os.path.basename)
def test_project_fixture(project):
    result = run([project], _select_all_options())
    assert not result.errors, result.errors
    problems = []
    files = []
    for dirpath, _, names in os.walk(project):
        files += [os.path.join(dirpath, n) for n in names if n.endswith(".py")]
    for path in sorted(files):
        got = {(d.line, d.code) for d in result.diagnostics if os.path.abspath(d.path) == path}
        expected = expected_codes(path)
        if got != expected:
            problems.append(_diff(expected, got, os.path.relpath(path, FIXTURES)))
    assert not problems, "\n" + "\n".join(problems)


def _known_miss_cases():
    out = []
    for project in _projects():
        for dirpath, _, names in os.walk(project):
            for n in sorted(names):
                if n.endswith(".py"):
                    path = os.path.join(dirpath, n)
                    for line, code in sorted(known_misses(path)):
                        out.append((project, path, line, code))
    return out


@pytest.mark.parametrize(
    "project,path,line,code", _known_miss_cases(),
    ids=lambda x: os.path.relpath(x, FIXTURES) if isinstance(x, str) and os.sep in x else str(x),
)
def test_known_miss_is_still_a_miss(project, path, line, code):
    """True findings that asynclint does not make yet, labelled ``# known-miss:``; when one starts being
    found, this fails: turn the label into an expected code."""
    result = run([project], _select_all_options())
    got = {(d.line, d.code) for d in result.diagnostics if os.path.abspath(d.path) == path}
    assert (line, code) not in got
