"""The command line a ruff user expects, and no silent mistakes: selectors, formats, fixes, watch."""

import json
import os
import textwrap

import pytest
from click.testing import CliRunner

from asynclint.cli import main
from support import ROUTE, write




@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app/users.py", ROUTE)
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def codes(result):
    return sorted(d["code"] for d in json.loads(result.stdout)["diagnostics"])


@pytest.mark.parametrize("option", ["--select", "--ignore", "--extend-select", "--extend-ignore"])
def test_an_unknown_selector_on_the_command_line_is_a_usage_error(project, option):
    result = invoke("app", option, "ASL1,XYZ9", "--no-cache")
    assert result.exit_code == 2 and result.stdout == ""
    assert f"unknown rule selector 'XYZ9' in {option} (did you mean ASL109?)" in result.stderr
    typo = invoke("app", option, "ASL1O1", "--no-cache")
    assert typo.exit_code == 2 and "did you mean ASL101?" in typo.stderr


@pytest.mark.parametrize("key", ["select", "ignore", "extend-select", "extend-ignore"])
def test_an_unknown_selector_in_pyproject_is_a_configuration_error(project, key):
    (project / "pyproject.toml").write_text(f'[tool.asynclint]\n{key} = ["ASL999"]\n')
    result = invoke("app", "--no-cache")
    assert result.exit_code == 2 and "All clear" not in result.stdout
    assert "pyproject.toml" in result.stderr and f"'tool.asynclint.{key}'" in result.stderr
    assert "'ASL999'" in result.stderr and "did you mean ASL" in result.stderr


def test_selectors_are_case_insensitive_and_all_means_every_rule(project):
    assert codes(invoke("app", "--select", "asl102", "--format", "json", "--no-cache")) == ["ASL102"]
    assert codes(invoke("app", "--select", "ALL", "--format", "json", "--no-cache")) == ["ASL101", "ASL102"]


def test_extend_ignore_and_per_file_ignores(project):
    write(project, "scripts/job.py", "import time\n\n\nasync def job():\n    time.sleep(1)\n")
    assert codes(invoke(".", "--extend-ignore", "ASL101", "--format", "json", "--no-cache")) == ["ASL102", "ASL102"]
    (project / "pyproject.toml").write_text(textwrap.dedent(
        """\
        [tool.asynclint]
        extend-ignore = ["ASL101"]

        [tool.asynclint.per-file-ignores]
        "scripts/*" = ["ASL1"]
        """
    ))
    doc = json.loads(invoke(".", "--format", "json", "--no-cache").stdout)
    assert [(d["path"].replace(os.sep, "/"), d["code"]) for d in doc["diagnostics"]] == [("app/users.py", "ASL102")]
    (project / "pyproject.toml").write_text('[tool.asynclint.per-file-ignores]\n"scripts/*" = ["ASL1OO"]\n')
    bad = invoke(".", "--no-cache")
    assert bad.exit_code == 2 and "per-file-ignores" in bad.stderr and "'ASL1OO'" in bad.stderr


def test_output_format_and_its_alias(project):
    one = invoke("app", "--output-format", "json", "--no-cache")
    other = invoke("app", "--format", "json", "--no-cache")
    assert one.exit_code == other.exit_code == 1 and json.loads(one.stdout) == json.loads(other.stdout)


def test_full_output_shows_the_code_with_the_span_underlined(project):
    out = invoke("app", "--output-format", "full", "--no-cache").stdout.replace(os.sep, "/").splitlines()
    at = next(i for i, line in enumerate(out) if line.startswith("app/users.py:12:5: ASL102"))
    assert out[at + 1].strip() == "|"
    assert out[at + 2].strip() == "11 | async def get_user(user_id: int):"
    assert out[at + 3].strip() == "12 |     time.sleep(0.1)"
    caret = out[at + 4]
    assert caret.strip() == "|     ^^^^^^^^^^^^^^^ ASL102"
    assert caret.index("^") == out[at + 3].index("time")
    assert out[at + 5].strip().startswith("13 |")


def test_top_level_help_shows_the_check_options():
    out = invoke("--help").stdout
    for option in ("--output-format", "--select", "--extend-ignore", "--fix", "--fix-only", "--show-fixes",
                   "--watch", "--statistics", "--exit-zero"):
        assert option in out


def test_no_python_files_is_a_warning_not_all_clear(project):
    os.makedirs(project / "empty")
    result = invoke("empty", "--no-cache")
    assert result.exit_code == 0
    assert "no Python files found under empty" in result.stderr
    assert "All clear" not in result.stdout and "Nothing checked" in result.stdout


def test_nul_bytes_and_utf16_are_reported_cleanly(project):
    (project / "app" / "nul.py").write_bytes(b"import time\nx = 1\x00\n")
    (project / "app" / "wide.py").write_bytes("x = 1\n".encode("utf-16"))
    out = invoke("app", "--no-cache").stdout.replace(os.sep, "/")
    assert "app/nul.py: error: cannot parse: a NUL byte at line 2, column 6" in out
    assert "app/wide.py: error: cannot decode: the file starts with a UTF-16 byte-order mark" in out
    assert "None" not in out


def test_fix_only_show_fixes_and_the_summary_counts(project):
    write(project, "app/more.py", "import time\n\n\nasync def nap():\n    time.sleep(1)\n    open('x').read()\n")
    preview = invoke("app", "--show-fixes", "--no-cache")
    assert "Would fix 2 findings:" in preview.stderr and "1 × ASL102" in preview.stderr
    assert "import time" in (project / "app" / "more.py").read_text()  # nothing written
    result = invoke("app", "--fix-only", "--no-cache", "--show-fixes")
    assert result.exit_code == 0 and result.stdout == ""  # the findings that remain are not reported
    assert "Fixed 2 findings in 2 files; 3 remain (3 fixable with --unsafe-fixes)." in result.stderr
    assert "- app/more.py:".replace("/", os.sep) in result.stderr
    assert "await asyncio.sleep(1)" in (project / "app" / "more.py").read_text()


def test_watch_checks_again_after_a_change(project):
    from asynclint.watch import watch_paths

    runs, said, polls = [], [], []

    def sleep(_):
        polls.append(1)
        if len(polls) == 2:  # a quiet poll, then the user saves a file
            write(project, "app/users.py", ROUTE.replace("time.sleep(0.1)", "pass"))

    watch_paths(["app"], lambda: runs.append(1), echo=said.append, sleep=sleep, max_runs=2)
    assert len(runs) == 2
    assert any("users.py changed" in line for line in said)


def test_watch_refuses_to_fix(project):
    result = invoke("app", "--watch", "--fix")
    assert result.exit_code == 2 and "--watch" in result.stderr


def test_diff_with_fix_writes_nothing(project):
    before = (project / "app" / "users.py").read_text()
    result = invoke("app", "--fix", "--diff", "--no-cache")
    assert "+    await asyncio.sleep(0.1)" in result.stdout and "Would fix 1 finding" in result.stderr
    assert (project / "app" / "users.py").read_text() == before
