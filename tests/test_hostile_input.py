"""Unusual or hostile trees, configurations and file names: reported plainly, never a hang or a traceback.

FIFOs, sockets and devices are never opened; a path that does not exist is
reported and the others are still checked (exit 2); configuration of the wrong
shape names the file and key (exit 2); ``.gitignore`` lines git accepts are
accepted; file names are escaped in every output format; an internal error is
one line asking for a report (exit 3) and the other files are still checked.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from asynclint.cli import EXIT_INTERNAL, main

BLOCKING = "import time\n\n\nasync def pause(x):\n    time.sleep(x)\n"
FIFO = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    (root / "app.py").write_text(BLOCKING)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "usercache"))
    monkeypatch.chdir(root)
    return root


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def run_cli(root, *args, timeout=60):
    """A real process (a hang would be a timeout here, not a stuck test run)."""
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-m", "asynclint", *args], cwd=root, env=env, capture_output=True,
                          timeout=timeout)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")
    return proc


# ---------------------------------------------------------------- special files and paths


@FIFO
def test_a_fifo_in_the_tree_is_reported_and_never_opened(project):
    os.mkfifo(project / "x.py")
    proc = run_cli(project, ".", "--no-cache")
    out = proc.stdout.decode()
    assert proc.returncode == 1
    assert "x.py: error: not a regular file (FIFO): skipped" in out
    assert "app.py:5:5: ASL102" in out and "(1 file checked, 1 file could not be checked)" in out
    # with the caches on, twice (the second run stats from the cache)
    for _ in range(2):
        assert "not a regular file (FIFO)" in run_cli(project, ".").stdout.decode()


@FIFO
def test_special_files_named_on_the_command_line_are_usage_errors_and_the_rest_is_checked(project):
    os.mkfifo(project / "pipe.py")
    proc = run_cli(project, "pipe.py", "app.py", os.devnull, "--no-cache")
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert "asynclint: error: not a regular file or directory (FIFO): pipe.py" in err
    assert f"asynclint: error: not a regular file or directory (character device): {os.devnull}" in err
    assert "app.py:5:5: ASL102" in proc.stdout.decode()
    alone = run_cli(project, os.devnull, "--no-cache")
    assert alone.returncode == 2 and b"All clear" not in alone.stdout


def test_a_missing_path_among_several_is_reported_and_the_others_checked(project):
    result = invoke("app.py", "missing.py", "--no-cache")
    assert result.exit_code == 2
    assert "asynclint: error: path does not exist: missing.py" in result.stderr
    assert "app.py:5:5: ASL102" in result.stdout
    assert invoke("missing.py", "--no-cache").exit_code == 2


def test_gitignore_lines_git_accepts_are_accepted(project):
    (project / ".gitignore").write_text("!\nfoo\\\n\\\ngenerated/\n[\n")
    (project / "generated").mkdir()
    (project / "generated" / "client.py").write_text(BLOCKING)
    result = invoke(".", "--no-cache")
    assert result.exit_code == 1
    assert "generated" not in result.output and "(1 file checked)" in result.output


# ---------------------------------------------------------------- configuration


@pytest.mark.parametrize("toml,key", [
    ("tool = 5\n", "'tool'"),
    ('tool = "x"\n', "'tool'"),
    ("[tool]\nasynclint = 3\n", "'tool.asynclint'"),
    ("[tool.asynclint]\nmax-file-size = true\n", "'tool.asynclint.max-file-size'"),
    ("[tool.asynclint]\nmax-file-size = 1.5\n", "'tool.asynclint.max-file-size'"),
    ("[tool.asynclint]\nshow-chain = 1\n", "'tool.asynclint.show-chain'"),
    ("[tool.asynclint]\nextend-offload = { \"a.run\" = true }\n", "'tool.asynclint.extend-offload'"),
    ("[tool.asynclint]\nexclude = [\"!\"]\n", "'tool.asynclint.exclude'"),
    ("[tool.asynclint]\nextend-blocking = 5\n", "'tool.asynclint.extend-blocking'"),
    ("[tool.asynclint]\nselect = \"ASL1\"\n", "'tool.asynclint.select'"),
    ("[tool.asynclint]\nx = " + "[" * 5000 + "]" * 5000 + "\n", "invalid TOML"),
    ("[tool.asynclint]\nx = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n", "invalid TOML"),
])
def test_configuration_of_the_wrong_shape_is_a_usage_error(project, toml, key):
    (project / "pyproject.toml").write_text(toml)
    result = invoke(".", "--no-cache")
    assert result.exit_code == 2, result.output
    assert "pyproject.toml" in result.stderr and key in result.stderr
    assert "Traceback" not in result.output


def test_a_pyproject_that_is_not_utf8_or_not_a_file_is_a_usage_error(project, tmp_path):
    (project / "pyproject.toml").write_bytes(b"[tool.asynclint]\nselect = ['\xff']\n")
    result = invoke(".", "--no-cache")
    assert result.exit_code == 2 and "not valid UTF-8" in result.stderr
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo.toml")
        proc = run_cli(project, ".", "--config", str(tmp_path / "fifo.toml"), "--no-cache")
        assert proc.returncode == 2 and b"not a regular file (FIFO)" in proc.stderr


# ---------------------------------------------------------------- file names


def _hostile_names():
    names = ["new\nline.py", "tab\tand \x1b[31mred.py"]
    if sys.platform != "darwin":  # macOS file systems refuse names that are not UTF-8
        names.append(os.fsdecode(b"caf\xe9.py"))
    return names


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_file_names_are_escaped_in_every_format(project, fmt):
    for name in _hostile_names():
        try:
            with open(os.path.join(project, name), "w") as fh:
                fh.write(BLOCKING)
        except (OSError, UnicodeEncodeError):  # pragma: no cover - a file system that refuses the name
            pytest.skip(f"cannot create {name!r} here")
    (project / "app.py").unlink()
    proc = run_cli(project, ".", "--no-cache", "--format", fmt)
    assert proc.returncode == 1
    out = proc.stdout.decode("utf-8")
    n = len(_hostile_names())
    if fmt == "text":
        findings = [line for line in out.splitlines() if ": ASL102 " in line]
        assert len(findings) == n and all(line.split(":")[0].endswith(".py") for line in findings)
        assert "new\\nline.py:5:5:" in out and "\\x1b[31mred.py" in out and "\x1b" not in out
        if n == 3:
            assert "caf\\xe9.py:5:5:" in out
    elif fmt == "json":
        doc = json.loads(out)
        assert sorted(d["path"] for d in doc["diagnostics"]) == sorted(_hostile_names())
    elif fmt == "sarif":
        doc = json.loads(out)
        uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"])
        assert "new%0Aline.py" in uris and all(" " not in u and "\n" not in u for u in uris)
        if n == 3:
            assert "caf%E9.py" in uris
    else:
        lines = out.splitlines()
        assert len(lines) == n and all(line.startswith("::error file=") for line in lines)


# ---------------------------------------------------------------- internal errors


def test_an_internal_error_in_one_file_is_one_line_the_rest_is_checked(project, monkeypatch):
    (project / "bad.py").write_text("import time\n\n\nasync def boom():\n    time.sleep(1)\n")
    import asynclint.summarize.collect as collect

    original = collect.summarize_source

    def flaky(text):
        if "boom" in text:
            raise KeyError("a bug")
        return original(text)

    monkeypatch.setattr(collect, "summarize_source", flaky)
    result = invoke(".", "--no-cache")
    assert result.exit_code == EXIT_INTERNAL == 3
    assert "app.py:5:5: ASL102" in result.stdout
    assert "bad.py: error: internal error while checking this file (KeyError" in result.stdout
    assert "please report it" in result.stdout


def test_an_internal_error_of_the_run_is_one_line_with_exit_3(project, monkeypatch):
    import asynclint.engine as engine

    def broken(*args, **kwargs):
        raise AttributeError("'NoneType' object has no attribute 'x'")

    monkeypatch.setattr(engine, "check_project", broken)
    result = invoke(".", "--no-cache")
    assert result.exit_code == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("asynclint: internal error (AttributeError")
    assert "please report it" in lines[0] and "Traceback" not in result.output


def test_exit_status_is_documented_in_help():
    text = invoke("--help").output
    assert "3 internal error" in textwrap.dedent(text).replace("\n", " ").replace("  ", " ")


def test_an_internal_error_while_fixing_one_file_is_exit_3_and_the_rest_is_fixed(project, monkeypatch):
    (project / "other.py").write_text(BLOCKING.replace("pause", "rest"))
    import asynclint.fix.source as fixmod

    real = fixmod.fix_source

    def flaky(text, diagnostics, unsafe, *rest):
        if "rest" in text:
            raise IndexError("a bug")
        return real(text, diagnostics, unsafe, *rest)

    monkeypatch.setattr(fixmod, "fix_source", flaky)
    result = invoke(".", "--fix", "--no-cache")
    assert result.exit_code == 3
    assert "not fixed: other.py: internal error while fixing this file (IndexError: a bug)" in result.stderr
    assert "await asyncio.sleep(x)" in (project / "app.py").read_text()


def test_the_flake8_plugin_turns_an_internal_error_into_asl000(project, monkeypatch):
    from asynclint import flake8_plugin

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(flake8_plugin, "_check_on_disk", broken)
    ((line, col, text),) = flake8_plugin.check_file(str(project / "app.py"))
    assert (line, col) == (1, 0) and text.startswith("ASL000 ") and "internal error (ZeroDivisionError" in text
