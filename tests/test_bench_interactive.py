"""bench/interactive.py without measuring anything: its options, and the table it renders from raw numbers."""

import os
import sys

import pytest

from conftest import ROOT

_BENCH = os.path.join(ROOT, "bench")
sys.path.insert(0, _BENCH)
try:
    import interactive
    import run as run_bench
finally:  # bench/ holds a profile.py: off the path before anything imports the standard library's
    while _BENCH in sys.path:
        sys.path.remove(_BENCH)


def _data(value_edit_s=0.4):
    """Raw numbers as a two-round run on lnbits saves them (seconds; runs are (wall, CPU))."""
    session = {"file": "lnbits/core/services/extensions.py", "open": 1.5, "findings": 15,
               "body": [0.06, 0.08, 0.12], "value": [value_edit_s, value_edit_s], "code_action": [0.02, 0.03]}
    return {
        "meta": {"date": "2026-12-01 04:00", "commit": "abc1234", "load_at_end": "2.00 1.50 1.00",
                 "machine": {"nproc": 2, "cpu": "AMD EPYC", "ram": "23.5 GiB", "python": "3.11.7",
                             "loadavg_at_start": "1.00 1.00 1.00"},
                 "tools": {"ruff": "ruff 0.17.6"}, "rounds": 2, "edits": 3, "value_edits": 2, "environment": None},
        "load": [1.0, 3.5],
        "server": {"lnbits": {"file": session["file"], "sessions": [session, dict(session, open=2.5)]}},
        "cli": {"lnbits": {"edit_file": "lnbits/helpers.py", "files": 170, "lines": 54690, "parse_s": 0.015,
                           "runs": {"python": [(0.02, 0.02)] * 2, "warm": [(0.12, 0.11), (0.14, 0.12)],
                                    "ruff-cached": [(0.02, 0.02), (0.02, 0.02)],
                                    "function": [(0.6, 0.5), (0.7, 0.5)], "body": [(0.14, 0.1), (0.15, 0.1)]}}},
        "flake8": {},
        "fix": {"corpus": "open-webui 0.12.4", "cold": [(8.0, 9.0), (12.0, 13.0)],
                "warm": [(6.0, 7.0), (7.0, 8.0)]},
    }


def _row(table: str, start: str) -> str:
    found = [line for line in table.splitlines() if line.startswith(start)]
    assert len(found) == 1, table
    return found[0]


def test_quick_is_lnbits_one_round_and_flake8_skips_the_large_corpus():
    quick = interactive.parse_args(["--quick"])
    assert (quick.corpus, quick.rounds, quick.edits, quick.flake8_corpus) == (["lnbits"], 1, 5, ["lnbits"])
    assert quick.columns == list(interactive.COLUMNS)
    full = interactive.parse_args(["--corpus", "lnbits,large", "--columns", "server,flake8"])
    assert (full.corpus, full.flake8_corpus, full.columns) == (["lnbits", "large"], ["lnbits"], ["server", "flake8"])


@pytest.mark.parametrize("argv", [["--columns", "server,speed"], ["--corpus", "open-webui"], ["--rounds", "0"]])
def test_bad_options_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        interactive.parse_args(argv)
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


def test_table_has_medians_worst_targets_and_verdicts():
    table = interactive.render(_data())
    assert "asynclint at abc1234" in table and "1.00–3.50" in table
    body = _row(table, "| server: diagnostics after a change (statement added")
    assert "80 ms (120 ms), 6 edits" in body and "≤ 100 ms" in body and body.endswith("**met** |")
    value = _row(table, "| server: diagnostics after a change (function appended")
    assert "400 ms (400 ms), 4 edits" in value and value.endswith("**not met** |")
    warm = _row(table, "| CLI warm")
    assert "130 ms (140 ms) vs 20 ms (20 ms): 6.50×" in warm and warm.endswith("**not met** |")
    # the one-file-changed limit is the warm median plus twice the edited file's parse: 130 + 30 ms
    assert _row(table, "| CLI one file changed (a statement").endswith("≤ warm + 2× its parse = 160 ms | **met** |")
    assert _row(table, "| CLI one file changed (a function").endswith("**not met** |")
    assert _row(table, "| `--fix --unsafe-fixes`, cold").endswith("10.00 s (12.00 s), CPU 11.00 s | ≤ 10 s | **met** |")
    assert "flake8" not in table.split("Tools:")[1].split("\n", 1)[1]  # not measured: no rows


def test_write_replaces_only_its_section(tmp_path, monkeypatch):
    results = tmp_path / "RESULTS.md"
    results.write_text(f"# prose before\n\n{interactive.BEGIN}\nold table\n{interactive.END}\n\nprose after\n")
    monkeypatch.setattr(run_bench, "RESULTS_MD", str(results))
    interactive.write(_data(value_edit_s=0.05))
    text = results.read_text()
    assert text.startswith("# prose before\n\n" + interactive.BEGIN) and text.endswith(interactive.END + "\n\nprose after\n")
    assert "old table" not in text
    assert _row(text, "| server: diagnostics after a change (function appended").endswith("**met** |")


def test_the_interpreter_and_what_its_site_start_up_costs_are_stated():
    data = _data()
    assert "Interpreter:" not in interactive.render(data)  # (results saved before it was measured)
    data["meta"]["startup"] = {"interpreter": "/opt/py/bin/python", "pass_ms": 51.2, "site_ms": 38.6,
                               "hooks": ["ca_inject.pth"]}
    line = _row(interactive.render(data), "Interpreter:")
    assert "`/opt/py/bin/python`, `python -c pass` 51 ms, of which `site` 39 ms" in line
    assert "run code at start-up: ca_inject.pth" in line


def test_site_start_up_is_measured_against_the_bare_interpreter():
    got = interactive.site_startup()
    assert got["interpreter"] == sys.executable
    assert got["pass_ms"] > 0 and got["site_ms"] <= got["pass_ms"]
    assert all(name.endswith(".pth") for name in got["hooks"])
