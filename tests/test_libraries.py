"""Installed libraries read from source: a FastAPI project next to a small environment of fake
distributions (tests/fixtures/envs/shop: its env/ is a virtualenv layout whose site-packages
hold vectorstore, cloudkit, vendorlib and a fake httpx). Expected findings are the trailing
comments of the project's files, as everywhere else."""

import json
import marshal
import os
import shutil
import sys

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, expected_codes

from asynclint.cli import main
from asynclint.engine import Options, run
from asynclint.environment import EnvironmentNotFound, environment_at, find_environment
from asynclint.libraries.codec import from_data, to_data
from asynclint.report import format_json, format_text
from asynclint.report.explain import explain_text
from asynclint.report.sarif import sarif_log
from asynclint.summarize import summarize_source

SHOP = os.path.join(FIXTURES, "envs", "shop")
ENV = os.path.join(SHOP, "env")
SITE = os.path.join(ENV, "lib", "python3.11", "site-packages")


def _run(project=SHOP, python=ENV, **kw):
    return run([os.path.join(project, "app")], Options(select=["ASL"], use_cache=kw.pop("use_cache", False),
                                                        python=python, **kw))


def _py_files(root):
    out = []
    for dirpath, _, names in os.walk(os.path.join(root, "app")):
        out += [os.path.join(dirpath, n) for n in names if n.endswith(".py")]
    return sorted(out)


@pytest.fixture(scope="module")
def shop():
    return _run()


def test_findings_through_library_code_match_the_fixture(shop):
    assert not shop.errors
    problems = []
    for path in _py_files(SHOP):
        got = {(d.line, d.code) for d in shop.diagnostics if os.path.abspath(d.path) == path and d.code != "ASL301"}
        expected = expected_codes(path)
        if got != expected:
            problems.append(f"{os.path.relpath(path, SHOP)}: missing {sorted(expected - got)}, "
                            f"unexpected {sorted(got - expected)}")
    assert not problems, "\n".join(problems)


def test_inferred_findings_say_so_and_name_the_distribution(shop):
    by_line = {(os.path.basename(d.path), d.line): d for d in shop.diagnostics if d.code != "ASL301"}
    ctor = by_line[("search.py", 15)]
    assert ctor.code == "ASL204"
    assert ctor.message.startswith("constructs VectorDB(), which blocks on open()")
    assert "(inferred from library source: vectorstore 1.2.0)" in ctor.message
    assert ctor.chain == ["app.routers.search.query", "vectorstore.db.VectorDB.__post_init__",
                          "vectorstore.db.load_storage", "builtins.open"]
    lib_hops = [(h.path, h.line, h.library) for h in ctor.hops if h.library]
    assert lib_hops == [("site-packages/vectorstore/db.py", 20, "vectorstore 1.2.0"),
                        ("site-packages/vectorstore/db.py", 9, "vectorstore 1.2.0")]
    # a catalogued call stays a catalog finding, with no inference
    direct = by_line[("search.py", 57)]
    assert direct.code == "ASL101" and direct.inferred is None and "inferred" not in direct.message
    # RECORD-only metadata still names the distribution
    assert "cloudkit 0.9.1" in by_line[("cloud.py", 13)].message


def test_json_carries_the_inferred_object_only_on_inferred_findings(shop):
    doc = json.loads(format_json(shop))
    inferred = [d for d in doc["diagnostics"] if "inferred" in d]
    plain = [d for d in doc["diagnostics"] if "inferred" not in d]
    assert plain and all(d["code"] == "ASL101" or d["code"] == "ASL301" for d in plain)
    helper = next(d for d in inferred if d["path"].endswith("search.py") and d["line"] == 21)
    info = helper["inferred"]
    assert info["source"] == "library" and info["libraries"] == ["vectorstore 1.2.0"]
    assert info["function"] == "vectorstore.db.VectorDB.__post_init__"
    assert [h["library"] for h in info["hops"]] == [None, None, "vectorstore 1.2.0", "vectorstore 1.2.0", None]
    assert info["hops"][2]["path"] == "site-packages/vectorstore/db.py"
    # the contract's fields are all still there
    assert set(helper) >= {"path", "line", "column", "end_line", "end_column", "code", "category", "message",
                           "function", "route", "chain", "suggestion", "fix"}


def test_show_chain_explain_and_sarif_show_library_hops(shop):
    text = format_text(shop, show_chain=True)
    assert "vectorstore.db.load_storage  (site-packages/vectorstore/db.py:9:10: open())" in text
    d = next(d for d in shop.diagnostics if d.path.endswith("search.py") and d.line == 15)
    explained = explain_text(d, shop)
    assert "site-packages/vectorstore/db.py:20:18  vectorstore.db.VectorDB.__post_init__ (library vectorstore 1.2.0, " \
           "read from its source) calls load_storage()" in explained
    log = sarif_log(shop, srcroot=SHOP)
    run_ = log["runs"][0]
    assert run_["originalUriBaseIds"]["SITE_PACKAGES"]["uri"].endswith("/site-packages/")
    res = next(r for r in run_["results"] if r["locations"][0]["physicalLocation"]["region"]["startLine"] == 15
               and r["ruleId"] == "ASL204")
    libs = [rel["physicalLocation"]["artifactLocation"] for rel in res["relatedLocations"]
            if rel["physicalLocation"]["artifactLocation"].get("uriBaseId") == "SITE_PACKAGES"]
    assert {"uri": "vectorstore/db.py", "uriBaseId": "SITE_PACKAGES"} in libs
    assert res["properties"]["inferred"]["libraries"] == ["vectorstore 1.2.0"]
    from test_sarif import validate

    validate(log)


def test_without_an_environment_nothing_is_inferred():
    result = _run(python="none")
    found = {(os.path.basename(d.path), d.line, d.code) for d in result.diagnostics if d.code != "ASL301"}
    assert found == {("search.py", 57, "ASL101")}
    assert all(d.inferred is None for d in result.diagnostics)


@pytest.mark.parametrize("project", ["fastapi_app", "qa_chains", "guarded_helpers"])
def test_an_environment_without_the_libraries_changes_nothing(tmp_path, project):
    """The machinery alone (an environment whose site-packages hold nothing the project uses) gives
    byte-identical reports to a run without any environment."""
    empty = tmp_path / "venv"
    (empty / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    path = os.path.join(FIXTURES, "projects", project)
    outputs = []
    for python in ("none", str(empty)):
        result = run([path], Options(select=["ASL"], use_cache=False, python=python))
        outputs.append((format_json(result), format_text(result, show_chain=True)))
    assert outputs[0] == outputs[1]


def test_excluded_modules_and_the_depth_limit(shop):
    lines = {(os.path.basename(d.path), d.line) for d in shop.diagnostics}
    assert ("cloud.py", 35) not in lines  # vendorlib.heavy is excluded in pyproject.toml
    assert ("cloud.py", 36) not in lines  # light.deep() blocks 9 library calls down: past the limit
    loader = shop.project.libraries
    assert loader.stats.skipped.get("vendorlib.heavy") == "excluded by library-exclude"
    assert not any(m.startswith("vendorlib.heavy") for m in shop.project.modules)


def test_only_modules_reached_are_read(shop):
    read = {m for m, info in shop.project.modules.items() if info.library}
    assert "vectorstore.db" in read and "cloudkit.models" in read
    # the fake httpx's package is read for its names, but its catalogued classes are never entered
    assert "httpx._client.AsyncClient.get" not in shop.project.functions
    assert "httpx._client.BaseClient.build_request" not in shop.project.functions


def test_summaries_are_cached_per_distribution_version(tmp_path, monkeypatch):
    project = tmp_path / "shop"
    shutil.copytree(SHOP, project)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    env = str(project / "env")
    first = _run(str(project), env, use_cache=True)
    assert first.project.libraries.stats.summarized > 0
    stored = sorted(os.listdir(tmp_path / "cache" / "asynclint" / "libraries"))
    assert any(n.startswith("vectorstore-1.2.0-") and n.endswith(".cache") for n in stored)
    shutil.rmtree(project / ".asynclint_cache")  # the project's own cache: a cold run of the project
    second = _run(str(project), env, use_cache=True)
    stats = second.project.libraries.stats
    assert stats.summarized == 0 and stats.from_cache == first.project.libraries.stats.summarized
    assert [d.to_json() for d in second.diagnostics] == [d.to_json() for d in first.diagnostics]
    # a library file changed in place (same version): read again
    db = project / "env" / "lib" / "python3.11" / "site-packages" / "vectorstore" / "db.py"
    db.write_text(db.read_text().replace("time_unused", "x") + "\n# edited\n")
    shutil.rmtree(project / ".asynclint_cache")
    third = _run(str(project), env, use_cache=True)
    assert third.project.libraries.stats.summarized == 1


def test_a_warm_run_with_the_same_environment_reuses_the_results(tmp_path, monkeypatch):
    project = tmp_path / "shop"
    shutil.copytree(SHOP, project)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    opts = dict(select=["ASL"], use_cache=True, result_cache=True, python=str(project / "env"))
    first = run([str(project / "app")], Options(**opts))
    again = run([str(project / "app")], Options(**opts))
    assert again.project is None  # served by the result cache
    assert [d.to_json() for d in again.diagnostics] == [d.to_json() for d in first.diagnostics]
    # a new distribution in the environment invalidates it
    (project / "env" / "lib" / "python3.11" / "site-packages" / "extra-1.0.dist-info").mkdir()
    assert run([str(project / "app")], Options(**opts)).project is not None


def test_codec_round_trips_real_summaries():
    for path in _py_files(SHOP) + [os.path.join(SITE, "vectorstore", "db.py")]:
        with open(path, encoding="utf-8") as fh:
            summary = summarize_source(fh.read())
        back = from_data(marshal.loads(marshal.dumps(to_data(summary))))
        assert back == summary
        for name, fn in summary.functions.items():
            assert list(back.functions[name].calls) == fn.calls


# ------------------------------------------------------------------ environment discovery


def test_environment_from_a_directory_an_interpreter_or_site_packages():
    for given in (ENV, os.path.join(ENV, "bin", "python"), SITE):
        env = environment_at(given, "--python")
        assert env is not None and env.site_packages[0] == os.path.realpath(SITE), given


def test_windows_layout_and_pth_directories(tmp_path):
    site = tmp_path / "venv" / "Lib" / "site-packages"
    site.mkdir(parents=True)
    sibling = tmp_path / "sibling" / "src"
    sibling.mkdir(parents=True)
    (site / "__editable__.sibling-0.1.pth").write_text(f"{sibling}\nimport os; os.abort()\n")
    env = environment_at(str(tmp_path / "venv"), "--python")
    assert env.site_packages == (str(site.resolve()), str(sibling.resolve()))


def test_discovery_order(tmp_path, monkeypatch):
    monkeypatch.delenv("ASYNCLINT_PYTHON", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("PRE_COMMIT", raising=False)
    root = tmp_path / "proj"
    shutil.copytree(ENV, root / ".venv")
    other = tmp_path / "active"
    shutil.copytree(ENV, other)
    assert find_environment(None, None, None, str(root)).source == ".venv"
    monkeypatch.setenv("VIRTUAL_ENV", str(other))
    assert find_environment(None, None, None, str(root)).prefix == str(other)
    monkeypatch.setenv("PRE_COMMIT", "1")  # a hook's own environment is not the project's
    assert find_environment(None, None, None, str(root)).source == ".venv"
    assert find_environment(None, ".venv", str(root / "pyproject.toml"), str(root)).source == "pyproject.toml"
    monkeypatch.setenv("ASYNCLINT_PYTHON", "none")
    assert find_environment(None, ".venv", None, str(root)) is None
    assert find_environment(str(other), None, None, str(root)).source == "--python"
    with pytest.raises(EnvironmentNotFound, match="no Python environment at"):
        find_environment(str(tmp_path / "missing"), None, None, str(root))


def test_a_missing_environment_is_a_usage_error(tmp_path):
    res = CliRunner().invoke(main, ["check", os.path.join(SHOP, "app"), "--python", str(tmp_path / "nope")])
    assert res.exit_code == 2
    assert "--python: no Python environment at" in res.output
    assert "Traceback" not in res.output


def test_the_configured_environment_is_found_by_every_front_end(monkeypatch):
    """``python = "env"`` in the fixture's pyproject.toml: the CLI and the flake8 plugin read it."""
    monkeypatch.delenv("ASYNCLINT_PYTHON", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.chdir(SHOP)
    res = CliRunner().invoke(main, ["check", "app", "--no-cache", "--format", "json", "--select", "ASL2"])
    doc = json.loads(res.output)
    cli = {(d["path"], d["line"], d["code"]) for d in doc["diagnostics"]}
    assert ("app/routers/search.py", 15, "ASL204") in cli
    from asynclint import flake8_plugin

    flake8_plugin._MEMO.clear()
    flake8_plugin._SEEN.clear()
    path = os.path.join(SHOP, "app", "routers", "search.py")
    plugin = {(line, text.split()[0]) for line, _, text in flake8_plugin.check_file(path) if text.startswith("ASL2")}
    assert plugin == {(line, code) for p, line, code in cli if p.endswith("search.py")}


def test_catalog_inferred_lists_what_was_inferred_and_why():
    res = CliRunner().invoke(main, ["catalog", "--inferred", os.path.join(SHOP, "app"), "--python", ENV, "--no-cache"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "vectorstore 1.2.0" in out and "cloudkit 0.9.1" in out
    assert "file        vectorstore.db.VectorDB  -> blocks on builtins.open (file I/O)" in out
    assert "site-packages/vectorstore/db.py:9  vectorstore.db.load_storage calls open" in out
    assert "cloudkit.models.Container.image" in out
    assert '"vectorstore.db.VectorDB" = { category = "file" }' in out
    doc = json.loads(CliRunner().invoke(main, ["catalog", "--inferred", os.path.join(SHOP, "app"), "--python", ENV,
                                               "--no-cache", "--format", "json"]).output)
    names = {a["function"] for a in doc["inferred"]}
    assert {"vectorstore.db.VectorDB.__post_init__", "cloudkit.models.Pager.__iter__"} <= names
    none = CliRunner().invoke(main, ["catalog", "--inferred", os.path.join(SHOP, "app"), "--python", "none"])
    assert "No Python environment found" in none.output


def test_a_catalog_entry_made_from_an_inference_replaces_it(tmp_path):
    project = tmp_path / "shop"
    shutil.copytree(SHOP, project)
    with open(project / "pyproject.toml", "a") as fh:
        fh.write('\n[tool.asynclint.extend-blocking]\n"vectorstore.db.VectorDB" = { category = "file" }\n')
    result = _run(str(project), str(project / "env"))
    d = next(d for d in result.diagnostics if d.path.endswith("search.py") and d.line == 15)
    assert d.code == "ASL104" and d.inferred is None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX layout")
def test_a_library_that_does_not_parse_costs_only_itself(tmp_path):
    project = tmp_path / "shop"
    shutil.copytree(SHOP, project)
    models = project / "env" / "lib" / "python3.11" / "site-packages" / "cloudkit" / "models.py"
    models.write_text("def broken(:\n")
    result = _run(str(project), str(project / "env"))
    assert not result.errors
    cloud = {d.line for d in result.diagnostics if d.path.endswith("cloud.py") and d.code.startswith("ASL2")}
    assert cloud == {37}  # vendorlib still read; nothing from the broken cloudkit module
    assert result.project.libraries.stats.skipped["cloudkit.models"].startswith("cannot parse")
    assert any(d.path.endswith("search.py") and d.line == 15 for d in result.diagnostics)


def test_a_damaged_cache_file_is_a_miss(tmp_path):
    from asynclint.libraries.store import LibraryStore

    store = LibraryStore(str(tmp_path))
    key = ("vectorstore", "1.2.0", "x")
    store.put(key, {"vectorstore.db": ((1, 2), None, "cannot parse: SyntaxError")})
    assert store.get(key) == {"vectorstore.db": ((1, 2), None, "cannot parse: SyntaxError")}
    (path,) = [os.path.join(tmp_path, n) for n in os.listdir(tmp_path)]
    blob = open(path, "rb").read()
    for damaged in (blob[:-3], blob[:40], blob[:-1] + b"\x00", b"garbage"):
        with open(path, "wb") as fh:
            fh.write(damaged)
        assert store.get(key) is None
    assert store.get(("other", "1", "x")) is None


def test_system_site_packages_of_the_base_installation(tmp_path):
    base = tmp_path / "base"
    (base / "bin").mkdir(parents=True)
    (base / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    venv = tmp_path / "venv"
    (venv / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(f"home = {base / 'bin'}\ninclude-system-site-packages = true\n")
    env = environment_at(str(venv), "--python")
    assert env.site_packages == (str((venv / "lib" / "python3.11" / "site-packages").resolve()),
                                 str((base / "lib" / "python3.11" / "site-packages").resolve()))
    (venv / "pyvenv.cfg").write_text(f"home = {base / 'bin'}\ninclude-system-site-packages = false\n")
    assert len(environment_at(str(venv), "--python").site_packages) == 1


def test_a_sibling_package_installed_editable_is_read_from_its_working_copy(tmp_path):
    """``pip install -e ../marketplace`` (setuptools' finder mapping): its source is read where it is."""
    project = tmp_path / "shop"
    shutil.copytree(SHOP, project)
    sibling = tmp_path / "marketplace" / "src" / "marketplace"
    sibling.mkdir(parents=True)
    (sibling / "__init__.py").write_text(
        "import json\n\n\nclass Marketplace:\n    def load(self, path):\n"
        "        with open(path) as fh:\n            return json.load(fh)\n")
    site = project / "env" / "lib" / "python3.11" / "site-packages"
    (site / "__editable___marketplace_0_1_finder.py").write_text(
        f"import sys\nMAPPING = {{'marketplace': {str(sibling)!r}}}\nsys.exit('never run')\n")
    meta = site / "marketplace-0.1.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: marketplace\nVersion: 0.1\n")
    (meta / "RECORD").write_text("__editable___marketplace_0_1_finder.py,,\nmarketplace-0.1.dist-info/RECORD,,\n")
    (meta / "direct_url.json").write_text('{"url": "file:///src/marketplace", "dir_info": {"editable": true}}')
    (project / "app" / "market.py").write_text(
        "from marketplace import Marketplace\n\n\nasync def listing():\n"
        "    return Marketplace().load('extensions.json')\n")
    result = _run(str(project), str(project / "env"))
    d = next(d for d in result.diagnostics if d.path.endswith("market.py"))
    assert d.code == "ASL204" and d.line == 5
    assert d.inferred["hops"][1]["path"].endswith("marketplace/src/marketplace/__init__.py")
    assert d.inferred["libraries"] == ["marketplace 0.1"]


def test_results_follow_an_editable_install_edited_in_place(tmp_path, monkeypatch):
    """The results of a run are kept while nothing they rest on changed; an editable install's files
    change without a new version (the environment's fingerprint), so they are watched themselves."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    project = tmp_path / "shop"
    shutil.copytree(SHOP, project)
    sibling = tmp_path / "sibling"
    (sibling / "warehouse").mkdir(parents=True)
    lib = sibling / "warehouse" / "__init__.py"
    lib.write_text("import time\n\n\ndef restock(n):\n    time.sleep(n)\n")
    site = project / "env" / "lib" / "python3.11" / "site-packages"
    (site / "warehouse.pth").write_text(f"{sibling}\n")
    (project / "app" / "stock.py").write_text(
        "from warehouse import restock\n\n\nasync def refill():\n    restock(1)\n")

    def lines():
        found = _run(str(project), str(project / "env"), use_cache=True, result_cache=True)
        return [(os.path.basename(d.path), d.line) for d in found.diagnostics
                if d.path.endswith("stock.py")]

    assert lines() == [("stock.py", 5)]
    assert lines() == [("stock.py", 5)]  # (from the results kept)
    lib.write_text("import asyncio\n\n\ndef restock(n):\n    return asyncio.sleep(n)\n")
    assert lines() == []


def test_a_planted_library_cache_is_never_decoded(tmp_path, monkeypatch):
    """Library summaries live in the same authenticated store as every cache: a file made elsewhere
    (no tag from this installation's secret) is a miss, and the library is read again."""
    project = tmp_path / "shop"
    shutil.copytree(SHOP, project)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    env = str(project / "env")
    first = _run(str(project), env, use_cache=True)
    directory = tmp_path / "cache" / "asynclint" / "libraries"
    (tmp_path / "cache" / "asynclint" / "cache-key").unlink()  # as if copied from another machine
    from asynclint.cache import store

    monkeypatch.setattr(store, "_KEYS", {})  # a new process reads the (new) key
    shutil.rmtree(project / ".asynclint_cache")
    again = _run(str(project), env, use_cache=True)
    assert again.project.libraries.stats.from_cache == 0
    assert again.project.libraries.stats.summarized == first.project.libraries.stats.summarized
    assert sorted(os.listdir(directory))
