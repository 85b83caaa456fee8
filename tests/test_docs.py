"""What README.md and docs/ say is what asynclint does: options, configuration, hooks, codes, numbers."""

import os
import re
import subprocess
import sys

import click
import pytest

from conftest import ROOT

from asynclint import categories
from asynclint.cli import main
from asynclint.config import config_from_dict

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

DOCS = ["README.md", "docs/integrations.md", "docs/libraries.md", "docs/catalog-format.md"]


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as fh:
        return fh.read()


def blocks(text, lang):
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def cli_options():
    ctx = click.Context(main)
    names = set()
    for command in main.commands.values():
        for param in command.get_params(ctx):
            names.update(o for o in param.opts + param.secondary_opts if o.startswith("--"))
    return names


@pytest.mark.parametrize("rel", DOCS)
def test_every_option_shown_with_asynclint_exists(rel):
    known = cli_options()
    shown = set()
    for line in read(rel).splitlines():
        for command in re.findall(r"(?<!run )\basynclint(?: [^`|#\n]*)", line):
            shown.update(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", command))
    assert shown, f"{rel} shows no asynclint command line"
    assert shown <= known, f"{rel} shows options asynclint does not have: {sorted(shown - known)}"


def test_the_readme_configuration_is_valid_configuration():
    (config,) = [b for b in blocks(read("README.md"), "toml") if "[tool.asynclint]" in b]
    table = tomllib.loads(config)["tool"]["asynclint"]
    cfg = config_from_dict(table, "README.md")
    assert cfg.per_file_ignores and cfg.extend_offload and cfg.extend_blocking
    assert "ASL108" in cfg.ignore  # extend-ignore adds to ignore


def test_the_readme_code_table_is_the_code_table():
    rows = set(re.findall(r"^\| `(ASL\d{3})` \|", read("README.md"), re.M))
    direct = {c.code(False) for c in categories.CATEGORIES}
    assert direct <= rows and {"ASL301", "ASL401", "ASL000"} <= rows
    assert rows <= set(categories.ALL_CODES) | {"ASL000"}


def test_what_integrations_says_is_off_by_default_is_off():
    text = read("docs/integrations.md")
    said = re.search(r"off by\s+default \(the CPU-bound checks, `(ASL\d+)`/`(ASL\d+)`,\s+and\s+blocking at "
                     r"start-up, `(ASL\d+)`\)", text)
    off = [code for code in categories.ALL_CODES if not categories.default_on(code)]
    assert said and sorted(said.groups()) == sorted(off)
    assert "OWNER" not in text


def test_the_pre_commit_snippets_are_valid_and_name_real_hooks():
    yaml = pytest.importorskip("yaml")
    hooks = {h["id"]: h for h in yaml.safe_load(read(".pre-commit-hooks.yaml"))}
    snippets = [yaml.safe_load(b) for b in blocks(read("docs/integrations.md"), "yaml") if "repos:" in b]
    assert len(snippets) == 2
    remote, local = snippets
    assert remote["repos"][0]["repo"].startswith("https://") and remote["repos"][0]["rev"]
    assert {h["id"] for h in remote["repos"][0]["hooks"]} <= set(hooks)
    hook = local["repos"][0]["hooks"][0]
    assert local["repos"][0]["repo"] == "local" and hook["entry"] == hooks[hook["id"]]["entry"]
    assert hook["require_serial"] is hooks[hook["id"]]["require_serial"] is True


def test_the_quick_start_reports_what_the_readme_says():
    said = re.search(r"it reports (\d+) blocking calls and exits (\d)", read("README.md"))
    proc = subprocess.run([sys.executable, "-m", "asynclint", os.path.join(ROOT, "examples", "shop"), "--no-cache",
                           "--statistics"], capture_output=True, text=True, env=dict(os.environ, ASYNCLINT_PYTHON="none"))
    assert proc.returncode == int(said.group(2))
    assert f"Found {said.group(1)} blocking calls" in proc.stdout


def test_the_json_schema_the_docs_link_to_exists():
    for rel in ("README.md", "docs/integrations.md"):
        assert "asynclint-output.schema.json" in read(rel)
    assert os.path.isfile(os.path.join(ROOT, "docs", "asynclint-output.schema.json"))
