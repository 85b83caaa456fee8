"""The command line as a user meets it: output, exit codes, configuration, bad input, cache."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from asynclint import __version__
from asynclint.cli import main
from conftest import ROOT
from support import ROUTE, write


CLEAN = textwrap.dedent(
    """\
    import asyncio

    import httpx


    async def fetch(url: str) -> bytes:
        await asyncio.sleep(0.1)
        async with httpx.AsyncClient() as client:
            return (await client.get(url)).content
    """
)



@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_findings_are_reported_with_location_code_and_help(project):
    write(project, "app/users.py", ROUTE)
    result = invoke("app", "--no-cache")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(os.path.join("app", "users.py") + ":12:5: ASL102 ")
    assert "time.sleep()" in lines[0] and "[GET /users/{user_id}]" in lines[0]
    assert "asyncio.sleep" in lines[1] and lines[1].strip().startswith("help:")
    assert any(":14:12: ASL101 " in line for line in lines)
    assert lines[-1].startswith("Found 2 blocking calls in 1 file (1 file checked")


def test_clean_code_exits_zero_with_a_summary(project):
    write(project, "app/fetch.py", CLEAN)
    result = invoke("app", "--no-cache")
    assert result.exit_code == 0
    assert result.output.strip() == "All clear: no blocking calls found (1 file checked)"


def test_default_path_is_the_current_directory(project):
    write(project, "app/users.py", ROUTE)
    result = invoke("--no-cache")
    assert result.exit_code == 1 and "ASL102" in result.output


def test_exit_zero_quiet_select_ignore(project):
    write(project, "app/users.py", ROUTE)
    assert invoke("app", "--exit-zero", "--no-cache").exit_code == 0
    quiet = invoke("app", "--quiet", "--no-cache")
    assert quiet.exit_code == 1
    assert all(": ASL" in line for line in quiet.output.splitlines())
    only_sleep = invoke("app", "--select", "ASL102", "--no-cache")
    assert "ASL102" in only_sleep.output and "ASL101" not in only_sleep.output
    no_http = invoke("app", "--ignore", "ASL101,ASL3", "--no-cache")
    assert "ASL102" in no_http.output and "ASL101" not in no_http.output
    nothing = invoke("app", "--select", "ASL104", "--no-cache")
    assert nothing.exit_code == 0


def test_selecting_only_the_start_up_rule_analyses_and_reports_it(monkeypatch):
    # examples/shop's lifespan connects to the database: ASL402, off by default. Selecting it alone
    # (or its family) must find those calls, not print "All clear" for want of a category to look for
    monkeypatch.chdir(os.path.join(ROOT, "examples", "shop"))
    assert "ASL402" not in invoke(".", "--no-cache").output
    for args in (("--select", "ASL402"), ("--select", "ASL4"), ("--select", "asl40")):
        result = invoke(".", "--no-cache", *args)
        found = [line.split(": ")[0:2] for line in result.output.splitlines() if ": ASL" in line]
        assert result.exit_code == 1, args
        assert found == [["shop/main.py:17:10", "ASL402 while the app starts or stops"],
                         ["shop/main.py:18:9", "ASL402 while the app starts or stops"]], args
    extended = invoke(".", "--no-cache", "--extend-select", "ASL402").output
    assert extended.count("ASL402") == 2 and "ASL102" in extended
    # its own category ignored, a start-up call is still ASL402's
    result = invoke(".", "--no-cache", "--select", "ASL402", "--ignore", "ASL106")
    assert result.output.count(": ASL402 ") == 2


def test_json_follows_the_contract(project):
    write(project, "app/users.py", ROUTE)
    result = invoke("app", "--format", "json", "--no-cache")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["version"] == __version__ and doc["files_checked"] == 1 and doc["errors"] == []
    assert doc["schema_version"] == 3
    keys = {"path", "line", "column", "end_line", "end_column", "code", "category", "message", "function",
            "route", "chain", "suggestion", "fix", "root", "callers"}  # schema version 1
    keys |= {"routes", "hops", "api"}  # added in version 2
    first = doc["diagnostics"][0]
    assert set(first) == keys
    assert first["path"] == os.path.join("app", "users.py")
    assert (first["line"], first["column"], first["code"], first["category"]) == (12, 5, "ASL102", "sleep")
    assert first["function"] == "app.users.get_user" and first["route"] == "GET /users/{user_id}"
    assert first["chain"] == ["app.users.get_user", "time.sleep"]
    assert first["end_line"] == 12 and first["end_column"] == 20
    assert first["root"] == "app/users.py:12:time.sleep".replace("/", os.sep) and first["callers"] == []
    assert first["routes"] == [{"methods": ["GET"], "path": "/users/{user_id}", "function": "app.users.get_user"}]
    assert first["hops"][0] == {"function": "app.users.get_user", "path": first["path"], "line": 12, "column": 5,
                                "symbol": "time.sleep", "text": "time.sleep()", "calls": "time.sleep", "library": None}


def test_output_file(project):
    write(project, "app/users.py", ROUTE)
    result = invoke("app", "--format", "json", "--output", "report.json", "--no-cache")
    assert result.exit_code == 1 and result.output == ""
    assert len(json.loads((project / "report.json").read_text())["diagnostics"]) == 2


def test_missing_path_is_a_usage_error(project):
    result = invoke("nowhere/", "--no-cache")
    assert result.exit_code == 2
    assert "path does not exist: nowhere/" in result.output
    assert "Traceback" not in result.output


def test_unknown_config_key_names_file_and_key(project):
    (project / "pyproject.toml").write_text('[tool.asynclint]\nselct = ["ASL1"]\n')
    write(project, "app/users.py", ROUTE)
    result = invoke("app", "--no-cache")
    assert result.exit_code == 2
    assert "pyproject.toml" in result.output and "tool.asynclint.selct" in result.output


def test_wrong_config_type_names_key(project):
    (project / "pyproject.toml").write_text('[tool.asynclint]\nignore = "ASL101"\n')
    write(project, "app/users.py", ROUTE)
    result = invoke("app", "--no-cache")
    assert result.exit_code == 2 and "tool.asynclint.ignore" in result.output and "list of strings" in result.output


def test_config_select_ignore_and_cli_wins(project):
    (project / "pyproject.toml").write_text('[tool.asynclint]\nignore = ["ASL102"]\n')
    write(project, "app/users.py", ROUTE)
    result = invoke("app", "--no-cache")
    assert "ASL101" in result.output and "ASL102" not in result.output
    result = invoke("app", "--no-cache", "--select", "ASL102")
    assert "ASL102" not in result.output  # the config's ignore still applies to the CLI select
    (project / "pyproject.toml").write_text('[tool.asynclint]\nselect = ["ASL102"]\n')
    result = invoke("app", "--no-cache", "--select", "ASL101")
    assert "ASL101" in result.output and "ASL102" not in result.output


def test_extend_blocking_from_config(project):
    (project / "pyproject.toml").write_text(textwrap.dedent(
        """\
        [tool.asynclint.extend-blocking]
        "billing.sdk.charge" = { replacement = "use billing.aio.charge", category = "network" }
        "legacy.report" = { message = "legacy.report is slow and sync" }
        """
    ))
    write(project, "app/pay.py", textwrap.dedent(
        """\
        from billing.sdk import charge
        import legacy


        async def pay(order):
            charge(order.total)
            legacy.report(order)
        """
    ))
    result = invoke("app", "--no-cache")
    assert "app/pay.py:6:5: ASL107" in result.output.replace(os.sep, "/")
    assert "use billing.aio.charge" in result.output
    assert "app/pay.py:7:5: ASL111 legacy.report is slow and sync" in result.output.replace(os.sep, "/")


def test_extend_blocking_method_of_a_class_the_catalog_does_not_know(project):
    # the form the runtime plugin suggests for a library method it saw blocking
    (project / "pyproject.toml").write_text(textwrap.dedent(
        """\
        [tool.asynclint.extend-blocking]
        "mycorp.billing.Client.charge" = { category = "network", replacement = "use mycorp.billing.AsyncClient" }
        """
    ))
    write(project, "app/pay.py", textwrap.dedent(
        """\
        from mycorp.billing import Client

        client = Client()


        async def pay(order, other: Client):
            client.charge(order.total)
            other.charge(order.total)
            client.refund(order.total)
        """
    ))
    out = invoke("app", "--no-cache").output.replace(os.sep, "/")
    assert "app/pay.py:7:5: ASL107" in out and "app/pay.py:8:5: ASL107" in out
    assert ":9:" not in out  # only the declared method


def test_bad_files_are_reported_and_skipped_others_still_checked(project):
    write(project, "app/users.py", ROUTE)
    write(project, "app/broken.py", "def oops(:\n    pass\n")
    write(project, "app/latin.py", b"x = '\xe9t\xe9'\n", mode="wb")
    write(project, "app/empty.py", "")
    write(project, "app/__init__.py", "")
    result = invoke("app", "--no-cache")
    assert result.exit_code == 1
    out = result.output.replace(os.sep, "/")
    assert "app/broken.py: error: cannot parse: syntax error at line 1" in out
    assert "app/latin.py: error: cannot decode: not valid UTF-8" in out
    assert "empty.py" not in out
    assert "ASL102" in out and "ASL101" in out
    assert "2 files could not be checked" in out
    assert "Traceback" not in out


def test_huge_file_is_skipped(project):
    (project / "pyproject.toml").write_text("[tool.asynclint]\nmax-file-size = 1000\n")
    write(project, "app/users.py", ROUTE)
    write(project, "app/big.py", "x = 1\n" * 400)
    result = invoke("app", "--no-cache")
    assert "app/big.py: error: file too large (2,400 bytes; limit 1,000): skipped" in result.output.replace(os.sep, "/")
    assert "ASL102" in result.output


def test_coding_cookie_and_bom_are_honoured(project):
    write(project, "app/latin.py", "# -*- coding: latin-1 -*-\nimport time\nasync def f():\n    s = 'été'\n    time.sleep(1)\n".encode("latin-1"), mode="wb")
    write(project, "app/bom.py", b"\xef\xbb\xbfimport time\nasync def g():\n    time.sleep(1)\n", mode="wb")
    result = invoke("app", "--no-cache", "--format", "json")
    doc = json.loads(result.output)
    assert doc["errors"] == []
    got = {(os.path.basename(d["path"]), d["line"], d["code"]) for d in doc["diagnostics"]}
    assert got == {("latin.py", 5, "ASL102"), ("bom.py", 3, "ASL102")}


def test_partial_noqa_does_not_hide_other_codes(project):
    write(project, "app/n.py", textwrap.dedent(
        """\
        import time
        import requests


        async def f(u):
            requests.get(u)  # noqa: ASL104
            requests.get(u)  # noqa: ASL101
            time.sleep(1)  # noqa
            time.sleep(2)  # noqa:ASL1
        """
    ))
    doc = json.loads(invoke("app", "--no-cache", "--format", "json").output)
    assert [(d["line"], d["code"]) for d in doc["diagnostics"]] == [(6, "ASL101")]


def test_gitignore_and_junk_folders_are_skipped_but_explicit_files_are_checked(project):
    write(project, ".gitignore", "generated/\n")
    write(project, "generated/users.py", ROUTE)
    write(project, ".venv/lib/users.py", ROUTE)
    write(project, "node_modules/x/users.py", ROUTE)
    write(project, "app/fetch.py", CLEAN)
    assert invoke(".", "--no-cache").exit_code == 0
    explicit = invoke("generated/users.py", "--no-cache")
    assert explicit.exit_code == 1 and "ASL102" in explicit.output


def test_exclude_patterns(project):
    (project / "pyproject.toml").write_text('[tool.asynclint]\nextend-exclude = ["legacy/"]\n')
    write(project, "legacy/users.py", ROUTE)
    write(project, "app/fetch.py", CLEAN)
    assert invoke(".", "--no-cache").exit_code == 0
    assert invoke("legacy/users.py", "--no-cache").exit_code == 1
    assert invoke("legacy/users.py", "--no-cache", "--force-exclude").exit_code == 0


def test_warm_cache_parses_nothing_and_corrupt_cache_is_rebuilt(project, monkeypatch):
    write(project, "app/users.py", ROUTE)
    write(project, "app/fetch.py", CLEAN)
    first = invoke("app")
    assert (project / ".asynclint_cache").is_dir()
    import asynclint.summarize.collect as collect

    calls = []
    original = collect.summarize_bytes
    monkeypatch.setattr(collect, "summarize_bytes", lambda data: calls.append(1) or original(data))
    second = invoke("app")
    assert second.output == first.output and calls == []
    write(project, "app/fetch.py", CLEAN + "\n# edited\n")
    invoke("app")
    assert len(calls) == 1
    for name in os.listdir(project / ".asynclint_cache"):
        if name.endswith(".cache"):
            (project / ".asynclint_cache" / name).write_bytes(b"not a cache file")
    calls.clear()
    third = invoke("app")
    assert third.output == first.output and len(calls) == 2


def test_python_dash_m_and_version(project):
    write(project, "app/users.py", ROUTE)
    proc = subprocess.run([sys.executable, "-m", "asynclint", "app", "--no-cache"], capture_output=True, text=True)
    assert proc.returncode == 1 and "ASL102" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "asynclint", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and __version__ in proc.stdout
    # the process ends without taking the analysis apart (``cli._exit``): the whole report is out first,
    # through a pipe, and the exit status is the check's
    proc = subprocess.run([sys.executable, "-m", "asynclint", "app", "--output-format", "json"], capture_output=True,
                          text=True)
    assert proc.returncode == 1 and json.loads(proc.stdout)["diagnostics"][0]["code"] == "ASL102"
    proc = subprocess.run([sys.executable, "-m", "asynclint", "app", "--exit-zero", "-q"], capture_output=True,
                          text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("app/users.py:")


def test_help_lists_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    for word in ("check", "rule", "rules", "routes", "explain", "catalog"):
        assert word in result.output
    check = invoke("check", "--help")
    for opt in ("--format", "--select", "--ignore", "--exit-zero", "--show-chain", "--fix", "--no-cache"):
        assert opt in check.output


def test_rule_command(project):
    result = invoke("rule", "ASL101")
    assert result.exit_code == 0
    for section in ("What it does", "Why is this bad", "Example", "Use instead"):
        assert section in result.output
    bad = invoke("rule", "ASL999")
    assert bad.exit_code == 2 and "unknown rule code" in bad.output


def test_explain_and_show_chain(project):
    write(project, "app/__init__.py", "")
    write(project, "app/clients.py", "import requests\n\n\ndef post(u, body):\n    return requests.post(u, json=body)\n")
    write(project, "app/services.py", "from . import clients\n\n\ndef charge(order):\n    return clients.post('https://pay', order)\n")
    write(project, "app/routes.py", "from .services import charge\n\n\nasync def pay(order):\n    return charge(order)\n")
    shown = invoke("app", "--show-chain", "--no-cache").output.replace(os.sep, "/")
    assert "app/routes.py:5:12: ASL201 calls charge(), which blocks on requests.post() (HTTP call) 2 calls down" in shown
    assert "app.services.charge  (app/services.py:5:12: clients.post())" in shown
    assert "app.clients.post  (app/clients.py:5:12: requests.post())" in shown
    explained = invoke("explain", "app/routes.py:5", "--no-cache")
    assert explained.exit_code == 0
    text = explained.output.replace(os.sep, "/")
    assert "app/services.py:5" in text and "app/clients.py:5" in text and "requests.post" in text
    nothing = invoke("explain", "app/routes.py:1", "--no-cache")
    assert nothing.output.startswith("no finding at app/routes.py:1") and nothing.exit_code == 1
    # the location as the report prints it, column included
    assert invoke("explain", "app/routes.py:5:12:", "--no-cache").exit_code == 0
    assert invoke("explain", "app/routes.py:5:3", "--no-cache").exit_code == 1
    assert invoke("explain", "app/routes.py", "--no-cache").exit_code == 2


def test_explain_one_time_initialization_names_the_coroutines_that_reach_it(project):
    # the initializer is a plain def: it runs on the loop because coroutines call it
    write(project, "app/__init__.py", "")
    write(project, "app/assets.py", "_hash = None\n\n\ndef css_hash():\n    global _hash\n    if _hash is None:\n"
          "        with open('static/app.css') as fh:\n            _hash = str(len(fh.read()))\n    return _hash\n")
    write(project, "app/pages.py", "from .assets import css_hash\n\n\nasync def render(name):\n"
          "    return {'name': name, 'css': css_hash()}\n\n\nasync def error_page(status):\n"
          "    return {'status': status, 'css': css_hash()}\n")
    explained = invoke("explain", "app/assets.py:7", "--no-cache")
    assert explained.exit_code == 0
    text = explained.output.replace(os.sep, "/")
    assert "ASL401" in text and "is an `def`" not in text
    assert ("runs on the event loop: app.assets.css_hash is a plain `def` (app/assets.py:4), called from the "
            "coroutine app.pages.render at app/pages.py:5:34 (+1 more)") in text


def test_statistics_count_by_code_and_by_root_cause(project):
    write(project, "app/helpers.py", "import time\n\n\ndef pause():\n    time.sleep(1)\n")
    write(project, "app/users.py", ROUTE + "\n\nfrom .helpers import pause\n\n\nasync def other():\n    pause()\n"
          "\n\nasync def again():\n    pause()\n")
    result = invoke("app", "--statistics", "--no-cache")
    lines = [line.strip() for line in result.output.replace(os.sep, "/").splitlines()]
    assert lines[0] == "by code:" and not any(": ASL" in line for line in lines)  # the counts only
    assert result.exit_code == 1
    stats = lines[lines.index("by code:"):]
    assert "2  ASL202  sleep" in stats and "1  ASL102  sleep" in stats and "1  ASL101  http" in stats
    assert "by root cause (3):" in stats
    # the two calls into pause() share one cause: the sleep in the helper
    assert "2  time.sleep at app/helpers.py:5  (ASL202)" in stats


def test_catalog_command():
    result = invoke("catalog", "--library", "requests")
    assert result.exit_code == 0 and "requests.get" in result.output
    doc = json.loads(invoke("catalog", "--format", "json").output)
    libraries = {row["library"] for row in doc if row["kind"] in ("function", "type")}
    assert len(libraries) >= 20


def test_parallel_parsing_gives_the_same_findings(project):
    for i in range(60):
        body = ROUTE if i % 3 == 0 else CLEAN
        write(project, f"app/m{i:02d}.py", body.replace("/users", f"/u{i}"))
    serial = json.loads(invoke("app", "--no-cache", "--jobs", "1", "--format", "json").output)
    parallel = json.loads(invoke("app", "--no-cache", "--jobs", "2", "--format", "json").output)
    assert serial == parallel
    assert serial["files_checked"] == 60 and len(serial["diagnostics"]) == 40


def test_a_callback_the_loop_runs_is_reported_and_explained_without_a_fix(project):
    # a plain def handed to the loop runs between two steps of the coroutines: its sleep stalls them all
    write(project, "app/__init__.py", "")
    write(project, "app/ticker.py", "import asyncio\nimport time\n\n\ndef tick(loop):\n    time.sleep(0.2)\n"
          "    loop.call_later(1, tick, loop)\n\n\nasync def main():\n    loop = asyncio.get_running_loop()\n"
          "    loop.call_soon(tick, loop)\n    await asyncio.sleep(60)\n")
    shown = invoke("app", "--no-cache", "--format", "json")
    found = json.loads(shown.output)["diagnostics"]
    assert [(d["line"], d["code"], d["fix"]) for d in found] == [(6, "ASL102", None)]
    assert found[0]["message"] == ("blocking sleep time.sleep() in tick(), a callback the event loop runs "
                                   "(loop.call_soon())")
    explained = invoke("explain", "app/ticker.py:6", "--no-cache").output.replace(os.sep, "/")
    assert ("runs on the event loop: app.ticker.tick is a plain `def` (app/ticker.py:5) that the loop runs as a "
            "callback (loop.call_soon(...))") in explained
    fixed = invoke("app", "--no-cache", "--fix", "--unsafe-fixes")
    assert "time.sleep(0.2)" in (project / "app" / "ticker.py").read_text() and fixed.exit_code == 1
