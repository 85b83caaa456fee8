"""Rule documentation: every rule is documented, and its cases are true.

(a) every code of the category table has a rule file with all its sections,
    and it renders; a rule file with an unknown key is an error;
(b) every case produces exactly the findings marked on its lines: the
    invalid ones the rule's code, the valid ones not;
(c) an invalid case of a rule with a fix becomes its ``fixed`` text under
    ``--fix`` (and one without ``fixed`` is left alone).
"""

from __future__ import annotations

import ast
import collections
import os
import re

import pytest

from asynclint import categories
from asynclint.engine import lint_snippet
from asynclint.fix import fix_source
from asynclint.rules import RULES, RuleFileError, get_rule, load_rules, render_markdown, render_text, rule_for_category

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION_TITLES = ("What it does", "Why is this bad?", "Example", "Use instead")
FLAKE8_CODE = re.compile(r"^[A-Z]{1,3}[0-9]{0,3}$")
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


# --------------------------------------------------------------------------- (a)


def _documented_codes() -> set:
    with open(os.path.join(ROOT, "docs", "catalog-format.md"), encoding="utf-8") as fh:
        return set(re.findall(r"\bASL\d{3}\b", fh.read()))


def test_every_code_has_a_rule():
    assert list(RULES) == sorted(categories.ALL_CODES)
    assert _documented_codes() <= set(RULES)


def test_names_unique_and_kebab_case():
    names = [r.name for r in RULES.values()]
    assert len(names) == len(set(names))
    assert all(KEBAB.match(name) for name in names), names


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_sections(code):
    rule = get_rule(code)
    assert FLAKE8_CODE.match(code)
    for attr in ("summary", "what", "why", "example", "use_instead"):
        assert getattr(rule, attr).strip(), f"{code}: empty {attr}"
    assert "\n" not in rule.summary
    assert bool(rule.fix_note) == (rule.fix is not None), f"{code}: a fix note goes with a fix"
    assert len(rule.valid) >= 2 and len(rule.invalid) >= 2
    assert rule.example == rule.invalid[0].code and rule.use_instead == rule.valid[0].code
    assert "# ASL" not in rule.example and "# ASL" not in rule.use_instead


def test_fix_kinds():
    fixes = {code: r.fix for code, r in RULES.items()}
    assert fixes["ASL102"] == "safe" and fixes["ASL301"] == "safe"
    assert fixes["ASL110"] is None and fixes["ASL111"] is None
    unsafe = {"ASL101", "ASL103", "ASL104", "ASL105", "ASL106", "ASL107", "ASL108", "ASL109", "ASL112"}
    unsafe |= {f"ASL2{n:02d}" for n in range(1, 13)}
    assert {code for code, fix in fixes.items() if fix == "unsafe"} == unsafe


def test_get_rule_and_rule_for_category():
    assert get_rule("ASL101").name == "blocking-http-call"
    assert get_rule("asl102").code == "ASL102"
    assert get_rule("ASL999") is None
    for cat in categories.CATEGORIES:
        assert rule_for_category(cat.name, False).code == cat.code(False)
        assert rule_for_category(cat.name, True).code == cat.code(True)
    assert rule_for_category("no-such-category", True).code == "ASL211"


@pytest.mark.parametrize("code", sorted(RULES))
def test_render(code):
    rule = RULES[code]
    md = render_markdown(rule)
    assert md.startswith(f"# {code} ({rule.name})\n\nFix: {rule.fix or 'none'}\n")
    for title in SECTION_TITLES:
        assert f"## {title}\n" in md
    assert md.count("```python") == 2
    assert rule.example.splitlines()[0] in md
    text = render_text(rule)
    assert text.startswith(f"{code} ({rule.name})")
    assert all(title in text for title in SECTION_TITLES)
    assert "```" not in text and "## " not in text
    assert f"    {rule.example.splitlines()[0]}" in text
    if not rule.default_enabled:
        assert f'extend-select = ["{code}"]' in md
        assert f"--extend-select {code}" in md and f"--select {code}" in md


def _write(path, text):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def test_rule_file_with_unknown_key_is_an_error(tmp_path):
    case = "source = '''\nx = 1\n'''\n"
    good = f'summary = "s"\nwhat = "w"\nwhy = "y"\n[[invalid]]\n{case}[[valid]]\n{case}'
    _write(tmp_path / "ASL102-blocking-sleep.toml", good)
    assert list(load_rules(str(tmp_path))) == ["ASL102"]
    _write(tmp_path / "ASL102-blocking-sleep.toml", good.replace('why = "y"', 'why = "y"\nexmaple = "e"'))
    with pytest.raises(RuleFileError, match=r"ASL102-blocking-sleep.toml: unknown key 'exmaple'"):
        load_rules(str(tmp_path))
    _write(tmp_path / "ASL102-blocking-sleep.toml", good.replace("[[valid]]\n" + case, f"[[valid]]\n{case}fixed = 'x'\n"))
    with pytest.raises(RuleFileError, match=r"unknown key 'valid\[0\].fixed'"):
        load_rules(str(tmp_path))
    _write(tmp_path / "ASL102-blocking-sleep.toml", good.replace('what = "w"\n', ""))
    with pytest.raises(RuleFileError, match=r"missing key 'what'"):
        load_rules(str(tmp_path))
    os.remove(tmp_path / "ASL102-blocking-sleep.toml")
    _write(tmp_path / "ASL999-nothing.toml", good)
    with pytest.raises(RuleFileError, match=r"ASL999-nothing.toml: the file name"):
        load_rules(str(tmp_path))


# --------------------------------------------------------------------------- (b), (c)


def _cases():
    for rule in RULES.values():
        for kind in ("invalid", "valid"):
            for i in range(len(getattr(rule, kind))):
                yield pytest.param(rule.code, kind, i, id=f"{rule.code}-{kind}-{i}")


def _numbered(source: str) -> str:
    return "\n".join(f"{n:3} {line}" for n, line in enumerate(source.splitlines(), 1))


@pytest.mark.parametrize("code,kind,index", list(_cases()))
def test_rule_case(code, kind, index):
    rule = RULES[code]
    case = getattr(rule, kind)[index]
    ast.parse(case.code)
    diagnostics = lint_snippet(case.code, config=rule.config, select_all=True)
    got = {(d.line, d.code) for d in diagnostics}
    assert got == case.expected, f"marked {sorted(case.expected)}, found {sorted(got)} in:\n{_numbered(case.code)}"
    marked = {c for _, c in case.expected}
    assert (code in marked) == (kind == "invalid")
    if kind == "valid":
        return
    if rule.fix is None:
        assert case.fixed is None, f"{code} has no fix"
        return
    mine = [d for d in diagnostics if d.code == code]
    outcome = fix_source(case.code, mine, unsafe=rule.fix == "unsafe")
    if case.fixed is None:
        assert not outcome.fixed, f"the fix applies: give its text as `fixed`:\n{outcome.text}"
        return
    assert outcome.fixed and outcome.text == case.fixed, f"fixed:\n{outcome.text}"
    compile(outcome.text, code, "exec", dont_inherit=True)
    again = lint_snippet(outcome.text, config=rule.config, select_all=True)

    def key(d):
        return (d.code, d.api, d.function)

    left = collections.Counter(key(d) for d in again if d.code == code)
    assert left == collections.Counter(key(d) for d in mine) - collections.Counter(key(d) for d in outcome.fixed)
