"""How fast fixing is (issues 15 and 18), on a real FastAPI app and on one large file.

    python bench/fix.py [--work-dir DIR] [--rounds N]

- open-webui (pinned wheel, unzipped like the other corpora): ``asynclint
  --fix --unsafe-fixes`` on a fresh copy, cold (no cache) and warm (after a
  check). Target: at most 10 s.
- the same files, in this process: ``fix_source`` for each file that has a
  fix, and a code action, i.e. ``fix_source`` for one finding of a file, as
  a language server would ask; the slowest finding is what counts. Target: at
  most 200 ms. The project stays in memory, frozen for the garbage collector, as
  in a language server.
- one large module (generated: about 600 KB of plain functions and one
  ``time.sleep`` in a coroutine at its end): ``asynclint --fix``. Issue 18
  reported 21 s for a 600 KB file with one finding.

Prints a markdown table and writes ``bench/results/fix.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))
sys.path.insert(0, HERE)

import corpora  # noqa: E402

OPEN_WEBUI = corpora.Corpus("open-webui", ["open-webui"], "open_webui/main.py", "open-webui 0.12.4 (FastAPI app)")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def wall(cmd, cwd: str, env=None) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t


def fix_command() -> list:
    return [sys.executable, "-m", "asynclint", ".", "--fix", "--unsafe-fixes", "--exit-zero", "-q"]


def fix_once(corpus_dir: str, warm: bool, env=None, timer=wall):
    """``timer(command, cwd, env)`` (default: seconds) of one ``--fix --unsafe-fixes`` on a fresh copy of
    ``corpus_dir`` (no cache); ``warm``: after an untimed check of the copy."""
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "app")
        shutil.copytree(corpus_dir, work, ignore=shutil.ignore_patterns(".asynclint_cache"))
        if warm:
            wall([sys.executable, "-m", "asynclint", ".", "--exit-zero", "-q"], work, env)
        return timer(fix_command(), work, env)


def bench_project(corpus_dir: str, rounds: int) -> dict:
    cold, warm = [], []
    for _ in range(rounds):
        cold.append(fix_once(corpus_dir, False))
        warm.append(fix_once(corpus_dir, True))
    return {"fix_cold_s": statistics.median(cold), "fix_warm_s": statistics.median(warm)}


def bench_in_process(corpus_dir: str) -> dict:
    from asynclint.engine import Options, run
    from asynclint.fix import fix_source
    from asynclint.fix.kinds import applies

    result = run([corpus_dir], Options(use_cache=False))
    by_file: dict = {}
    for d in result.diagnostics:
        by_file.setdefault(d.path, []).append(d)
    files = {p: ds for p, ds in by_file.items() if any(applies(d, True) for d in ds)}
    fix_source("import time\n\n\nasync def f():\n    time.sleep(1)\n", [])  # imports LibCST
    gc.freeze()  # what a long-lived server holding the project does (as the engine and --fix do)
    per_file, per_finding = [], []
    for path, ds in sorted(files.items()):
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        path = os.path.relpath(path, corpus_dir)
        t = time.perf_counter()
        fix_source(text, ds, unsafe=True)
        per_file.append((time.perf_counter() - t, path))
        for d in ds:
            if applies(d, True):
                t = time.perf_counter()
                fix_source(text, [d], unsafe=True)
                per_finding.append((time.perf_counter() - t, f"{path}:{d.line}"))
    slowest = max(per_finding)
    return {
        "files_fixed": len(per_file),
        "fix_source_total_s": sum(t for t, _ in per_file),
        "fix_source_max_file_s": max(per_file)[0],
        "fix_source_max_file": max(per_file)[1],
        "code_action_median_ms": statistics.median(t for t, _ in per_finding) * 1000,
        "code_action_max_ms": slowest[0] * 1000,
        "code_action_max_at": slowest[1],
        "findings_fixable": len(per_finding),
    }


def large_module(size: int = 600_000) -> str:
    parts = ['"""A large generated module."""\n\nimport time\n']
    i = 0
    while sum(map(len, parts)) < size:
        parts.append(
            f"\n\ndef helper_{i}(items, factor={i}):\n"
            f"    # scale every item by {i}\n"
            "    out = []\n"
            "    for item in items:\n"
            "        if item is None:\n"
            "            continue\n"
            "        out.append({'value': item * factor, 'label': f'item {item}'})\n"
            "    return sorted(out, key=lambda row: row['value'])\n"
        )
        i += 1
    parts.append("\n\nasync def poll():\n    time.sleep(1)\n")
    return "".join(parts)


def bench_large_file(rounds: int) -> dict:
    text = large_module()
    times = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "big.py"), "w", encoding="utf-8") as fh:
                fh.write(text)
            check = wall([sys.executable, "-m", "asynclint", "big.py", "--no-cache", "--exit-zero", "-q"], tmp)
            fix = wall([sys.executable, "-m", "asynclint", "big.py", "--no-cache", "--fix", "-q", "--exit-zero"], tmp)
            with open(os.path.join(tmp, "big.py"), encoding="utf-8") as fh:
                assert "await asyncio.sleep(1)" in fh.read()
            times.append((check, fix))
    return {"large_bytes": len(text), "large_lines": text.count("\n"),
            "large_check_s": statistics.median(c for c, _ in times),
            "large_fix_s": statistics.median(f for _, f in times)}


def render(res: dict) -> str:
    return "\n".join([
        "| what | measured | target |",
        "|---|---|---|",
        f"| `--fix --unsafe-fixes` on {res['corpus']}, cold | {res['fix_cold_s']:.2f} s | ≤ 10 s |",
        f"| the same, warm (after a check) | {res['fix_warm_s']:.2f} s | ≤ 10 s |",
        f"| `fix_source` for all {res['files_fixed']} files with a fix | {res['fix_source_total_s']:.2f} s "
        f"(slowest file {res['fix_source_max_file_s'] * 1000:.0f} ms) | |",
        f"| a code action (one finding, {res['findings_fixable']} findings) | median "
        f"{res['code_action_median_ms']:.0f} ms, slowest {res['code_action_max_ms']:.0f} ms "
        f"({res['code_action_max_at']}) | ≤ 200 ms |",
        f"| `--fix` on one {res['large_bytes'] // 1000} KB module ({res['large_lines']:,} lines), "
        f"one finding | {res['large_fix_s']:.2f} s (its check alone: {res['large_check_s']:.2f} s) | "
        "proportional to the fix |",
    ])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work-dir", default=os.path.expanduser("~/.cache/asynclint-bench"))
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    corpus = corpora.build(args.work_dir, OPEN_WEBUI, log)
    res = {"corpus": f"{corpus.description}, {corpus.files} files, {corpus.lines:,} lines"}
    log("timing --fix on open-webui ...")
    res.update(bench_project(corpus.path, args.rounds))
    log("timing fix_source per file and per finding ...")
    res.update(bench_in_process(corpus.path))
    log("timing --fix on a large module ...")
    res.update(bench_large_file(args.rounds))
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "fix.json"), "w") as fh:
        json.dump(res, fh, indent=2)
    print(render(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
