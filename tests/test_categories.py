"""The category table (categories.py) is what the docs, the configuration and the messages say."""

import os
import re

from conftest import ROOT

from asynclint import categories
from asynclint.config import config_from_dict
from asynclint.engine import lint_snippet


def test_docs_table_is_the_category_table():
    with open(os.path.join(ROOT, "docs", "catalog-format.md"), encoding="utf-8") as fh:
        rows = re.findall(r"^\| `([a-z-]+)` +\| (ASL\d{3}) \| (ASL\d{3}) \|", fh.read(), re.MULTILINE)
    assert rows == [(c.name, c.code(False), c.code(True)) for c in categories.CATEGORIES]


def test_readme_off_by_default_matches_the_table():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    off = [c for c in categories.CATEGORIES if not c.default_on]
    assert off, "the table has categories off by default"
    for c in off:
        assert f"all but {c.code(False)}/{c.code(True)}" in readme


def test_configuration_defaults_follow_the_table():
    cfg = config_from_dict({})
    assert cfg.enabled_categories() == categories.default_categories()
    assert not cfg.is_selected("ASL112") and not cfg.is_selected("ASL212") and cfg.is_selected("ASL301")
    assert config_from_dict({"extend-select": ["ASL112"]}).enabled_categories() == {c.name for c in categories.CATEGORIES}


def test_codes_and_labels_in_messages():
    source = ("import os\nimport time\n\nimport requests\n\n\ndef fetch():\n    return requests.get('https://x.test')\n\n\n"
              "async def handler(p):\n    time.sleep(1)\n    os.path.exists(p)\n    return fetch()\n")
    found = {d.code: d for d in lint_snippet(source)}
    assert set(found) == {"ASL102", "ASL105", "ASL201"}
    assert "blocking sleep time.sleep()" in found["ASL102"].message
    assert "blocking cheap file-system call os.path.exists()" in found["ASL105"].message
    assert "(HTTP call)" in found["ASL201"].message
    assert [found[c].fix for c in ("ASL102", "ASL105", "ASL201")] == ["safe", "unsafe", "unsafe"]


def test_a_helper_that_blocks_several_ways_is_explained_by_its_lowest_tier():
    source = ("import os\nimport time\n\nimport redis\n\nr = redis.Redis()\n\n\ndef helper(p):\n    os.path.exists(p)\n"
              "    time.sleep(1)\n    return r.get(p)\n\n\nasync def handler(p):\n    return helper(p)\n")
    (d,) = lint_snippet(source)
    tiers = {name: categories.BY_NAME[name].tier for name in ("network", "sleep", "light")}
    assert tiers["network"] < tiers["sleep"] < tiers["light"]
    assert (d.code, d.category) == ("ASL207", "network")
    assert "redis.Redis.get()" in d.message
