"""The flake8 plugin's overhead (issue 15, item 4): ``flake8 --select ASL`` against plain flake8.

    python bench/flake8_plugin.py [--corpus DIR[:EDITOR_FILE]]... [--rounds 3] [--jobs auto]

Each corpus is copied into ``--work-dir`` (its ``.asynclint_cache`` left
behind), then every round runs, in fresh processes and interleaved:

- ``plain``: ``flake8 --select E9 .`` (flake8 runs all its checks whatever the
  selection; a selection without ASL codes makes the plugin do nothing, so
  this is flake8's own cost over the same files),
- ``asl-cold``: ``flake8 --select ASL .`` with asynclint's cache deleted first,
- ``asl-warm``: the same again, nothing changed (the results answer; when no
  analysis is kept, a child process beside flake8's workers makes and keeps
  it, which this run waits for: after a cold run, every round),
- ``editor-plain``: ``flake8 --select E9 EDITOR_FILE`` (flake8's own cost),
- ``editor``: ``flake8 --select ASL EDITOR_FILE`` from the corpus root, as an
  editor runs it on save (warm cache, nothing changed since the project run),
- ``editor-edited``: the same after a line is appended to that file (a new
  function: its text and its summary change): the first check after the runs
  over the project (it starts from the analysis the warm one kept; after a
  cold run alone, which keeps none, it analyses the whole project),
- ``editor-again``: the same after a second such edit: the next save, as an
  editor checks it (from the analysis kept, in a project of up to
  ``engine.KEEP_FOR_FEW_FILES_UP_TO`` files).

Medians (and ratios to ``plain``) are printed as a Markdown table and the raw
numbers written to ``bench/results/flake8_plugin.json``. ``VIRTUAL_ENV`` is
removed from the commands' environment (asynclint then reads no installed
libraries, as in ``bench/run.py``) unless ``--with-environment`` is given. The flake8 used is
the one importable by this interpreter (``python -m flake8``), with this
checkout's asynclint installed (``pip install -e .``).

Every command runs with its modules' bytecode cached, as after ``pip install``
(which compiles them): ``PYTHONDONTWRITEBYTECODE`` is removed from the
commands' environment and ``PYTHONPYCACHEPREFIX`` points into ``--work-dir``,
filled before the first round. Without it, a checkout whose bytecode is never
written compiles asynclint's modules again in every process (~120 ms), which
no installed copy does.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CORPORA = ["/work/corpora/lnbits:lnbits/core/services/extensions.py",
                   "/work/corpora/open_webui:open_webui/routers/files.py"]


ENV = dict(os.environ)


def timed(cmd, cwd: str, env=None) -> tuple:
    """(wall, CPU) seconds of one run; CPU is user + sys of the process and every worker it waited for
    (on a shared machine the wall time is mostly waiting for a CPU, the CPU time is not)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=ENV if env is None else env)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd} (run it there to see why)")
    return wall, ru.ru_utime + ru.ru_stime


def bytecode_cached(env: dict, work_dir: str) -> dict:
    """``env`` for commands that read their modules' bytecode as an installed copy does (``pip install``
    compiles it): without ``PYTHONDONTWRITEBYTECODE``, written under ``work_dir`` (``PYTHONPYCACHEPREFIX``)."""
    env = dict(env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(os.path.abspath(work_dir), "pycache")
    return env


def compile_asynclint(env: dict) -> None:
    """Compile this checkout's asynclint for ``env`` (before the first timed command)."""
    import asynclint

    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.dirname(asynclint.__file__)], env=env,
                   stdout=subprocess.DEVNULL, check=False)


def copy_corpus(src: str, work: str, name: str = "") -> str:
    dst = os.path.join(work, name or os.path.basename(src.rstrip(os.sep)))
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".asynclint_cache", "__pycache__"))
    return dst


def variants(root: str, editor_file: str, jobs: str) -> dict:
    """key -> (flake8 command run in ``root``, what to do before it or None), in the order a round runs them."""
    flake8 = [sys.executable, "-m", "flake8", "--exit-zero", "-j", jobs]
    cache = os.path.join(root, ".asynclint_cache")
    edited = os.path.join(root, editor_file)
    n = [0]

    def edit():
        n[0] += 1
        with open(edited, "a", encoding="utf-8") as fh:
            fh.write(f"\n\ndef _asynclint_bench_edit_{n[0]}():\n    return {n[0]}\n")

    return {
        "plain": (flake8 + ["--select", "E9", "."], None),
        "asl-cold": (flake8 + ["--select", "ASL", "."], lambda: shutil.rmtree(cache, ignore_errors=True)),
        "asl-warm": (flake8 + ["--select", "ASL", "."], None),
        "editor-plain": (flake8 + ["--select", "E9", editor_file], None),
        "editor": (flake8 + ["--select", "ASL", editor_file], None),
        "editor-edited": (flake8 + ["--select", "ASL", editor_file], edit),
        "editor-again": (flake8 + ["--select", "ASL", editor_file], edit),
    }


def run_variant(variant: tuple, root: str, env=None) -> tuple:
    """Prepare and time one variant of ``variants``: (wall, CPU)."""
    cmd, prepare = variant
    if prepare is not None:
        prepare()
    return timed(cmd, root, env)


def count_files(root: str) -> int:
    return sum(1 for d, _, fs in os.walk(root) for f in fs if f.endswith(".py"))


def bench(corpus: str, editor_file: str, args) -> dict:
    root = copy_corpus(corpus, args.work_dir)
    todo = variants(root, editor_file, args.jobs)
    runs: dict = {k: [] for k in todo}
    print(f"[{os.path.basename(root)}] warm-up (untimed)", file=sys.stderr, flush=True)
    compile_asynclint(ENV)
    timed(todo["plain"][0], root)
    for i in range(args.rounds):
        for key, variant in todo.items():
            wall, cpu = run_variant(variant, root)
            runs[key].append((wall, cpu))
            print(f"  round {i + 1} {key:14s} {wall:8.2f} s  cpu {cpu:7.2f} s", file=sys.stderr, flush=True)
    return {"corpus": os.path.basename(root), "files": count_files(root), "editor_file": editor_file,
            "rounds": args.rounds, "runs": runs,
            "median": {k: statistics.median(w for w, _ in v) for k, v in runs.items()},
            "median_cpu": {k: statistics.median(c for _, c in v) for k, v in runs.items()}}


def render(results: list, meta: dict) -> str:
    def s(x):
        return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"

    def again(m, c):  # (not in results saved before it was measured)
        return f"{s(m['editor-again'])} ({s(c['editor-again'])})" if "editor-again" in m else ""

    out = [f"Run {meta['date']}, asynclint at {meta['commit']}; {meta['python']}; flake8 `-j {meta['jobs']}`; "
           f"load average at start {meta['load']}; medians of {meta['rounds']} interleaved rounds; "
           f"libraries read from {meta['environment'] or 'no environment (catalog only)'}; bytecode cached. Wall "
           "time, and CPU time (user + sys, workers included) in brackets.", "",
           "| corpus | plain flake8 (`--select E9`) | `--select ASL`, cold cache | `--select ASL`, warm "
           "| ratio cold / warm (wall; CPU) | editor: plain flake8 on one file | editor: `--select ASL`, warm "
           "| editor: that file edited | editor: edited again |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        m, c = r["median"], r["median_cpu"]
        out.append(f"| {r['corpus']} ({r['files']} files) | {s(m['plain'])} ({s(c['plain'])}) "
                   f"| {s(m['asl-cold'])} ({s(c['asl-cold'])}) | {s(m['asl-warm'])} ({s(c['asl-warm'])}) "
                   f"| {m['asl-cold'] / m['plain']:.2f}× / {m['asl-warm'] / m['plain']:.2f}×; "
                   f"{c['asl-cold'] / c['plain']:.2f}× / {c['asl-warm'] / c['plain']:.2f}× "
                   f"| {s(m['editor-plain'])} ({s(c['editor-plain'])}), `{r['editor_file']}` "
                   f"| {s(m['editor'])} ({s(c['editor'])}) "
                   f"| {s(m['editor-edited'])} ({s(c['editor-edited'])}) "
                   f"| {again(m, c)} |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", action="append", help="DIR[:EDITOR_FILE relative to DIR] (repeatable)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", default="auto", help="flake8's -j")
    ap.add_argument("--work-dir", default=os.path.join(os.path.expanduser("~/.cache/asynclint-bench"), "flake8-plugin"))
    ap.add_argument("--with-environment", action="store_true", help="keep VIRTUAL_ENV (libraries read from it)")
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args(argv)
    if not args.with_environment:
        ENV.pop("VIRTUAL_ENV", None)
    os.makedirs(args.work_dir, exist_ok=True)
    cached = bytecode_cached(ENV, args.work_dir)
    ENV.clear()
    ENV.update(cached)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results = []
    for spec in args.corpus or DEFAULT_CORPORA:
        path, _, editor_file = spec.partition(":")
        results.append(bench(path, editor_file, args))
    commit = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    meta = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "commit": commit or "?",
            "python": f"CPython {sys.version.split()[0]}", "jobs": args.jobs, "rounds": args.rounds, "load": load,
            "environment": os.environ.get("VIRTUAL_ENV") if args.with_environment else None}
    text = render(results, meta)
    print(text)
    if not args.no_save:
        with open(os.path.join(HERE, "results", "flake8_plugin.json"), "w") as fh:
            json.dump({"meta": meta, "results": results}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
