"""CLI one-file-changed (issue 15): ``asynclint .`` after one file of a project changed, at two revisions.

    python bench/one_file_changed.py [--rev BEFORE] [--rev AFTER] [--corpus DIR] [--edit-file REL] [--rounds 3]

Each revision's ``src/`` is taken with ``git archive`` (``WORKTREE``: this
checkout's ``src/`` as it is) and run as ``python -m asynclint check
--exit-zero -q .`` with ``PYTHONPATH`` pointing at it, in its own copy of the
corpus (its own ``.asynclint_cache``). After an untimed cold run and warm run,
``first`` times the first run after an edit (a function appended: the run
that, at the later revision, analyses the project and writes the analysis kept
on disk), then each round times, in fresh processes:

- ``warm``: nothing changed (the result cache answers),
- ``touch``: the file's mtime changed, its text did not,
- ``comment``: a comment line appended (the text changes, its summary does not),
- ``function``: a function appended (the summary changes: a new name other
  modules could import),
- ``body``: a statement added inside the file's first function (the
  summary of that function changes, the module's names do not).

Defaults: before = the merge base with ``main``, after = ``WORKTREE``; corpus
``/work/corpora/lnbits``, edited file ``lnbits/helpers.py`` (a helper module
most of the app imports). ``VIRTUAL_ENV`` is removed from the commands'
environment (no installed libraries read; older revisions keep the analysis
on disk only then) unless ``--with-environment`` is
given (e.g. ``VIRTUAL_ENV=~/.cache/asynclint-bench/envs/lnbits`` made by
bench/environment.py, with ``--corpus`` a copy of its ``corpora/lnbits-env``).
Prints a Markdown table; raw numbers go to ``bench/results/one_file_changed.json``.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
KINDS = ("warm", "touch", "comment", "function", "body")
COLUMNS = ("first",) + KINDS


def git(*args) -> str:
    return subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True, check=True).stdout.strip()


def source_of(rev: str, work: str) -> tuple:
    """(directory holding the ``asynclint`` package, short commit)."""
    if rev == "WORKTREE":
        return os.path.join(REPO, "src"), git("rev-parse", "--short", "HEAD") + "+worktree"
    commit = git("rev-parse", "--short", rev)
    dst = os.path.join(work, f"src-{commit}")
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)
    data = subprocess.run(["git", "-C", REPO, "archive", commit, "src"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dst, filter="data")
    return os.path.join(dst, "src"), commit


class Edits:
    """The edits of one file, each applied on top of the previous ones."""

    def __init__(self, path: str):
        self.path = path
        with open(path, "rb") as fh:
            self.original = fh.read()
        self.n = 0

    def _append(self, text: str) -> None:
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(text)

    def apply(self, kind: str) -> None:
        self.n += 1
        if kind == "touch":
            st = os.stat(self.path)
            os.utime(self.path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
        elif kind == "comment":
            self._append(f"# asynclint bench edit {self.n}\n")
        elif kind == "function":
            self._append(f"\n\ndef _asynclint_bench_{self.n}():\n    return {self.n}\n")
        elif kind == "body":
            with open(self.path, encoding="utf-8") as fh:
                lines = fh.read().splitlines(keepends=True)
            fn = next(n for n in ast.parse("".join(lines)).body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
            first = fn.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and len(fn.body) > 1:
                first = fn.body[1]  # after the docstring
            indent = " " * first.col_offset
            lines.insert(first.lineno - 1, f"{indent}_asynclint_bench = {self.n}\n")
            with open(self.path, "w", encoding="utf-8") as fh:
                fh.write("".join(lines))

    def restore(self) -> None:
        with open(self.path, "wb") as fh:
            fh.write(self.original)


def check_command() -> list:
    return [sys.executable, "-m", "asynclint", "check", "--exit-zero", "-q", "."]


def command_env(src: str = "", with_environment: bool = False) -> dict:
    """This process's environment without ``VIRTUAL_ENV`` (unless ``with_environment``), ``PYTHONPATH`` = ``src``."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV" or with_environment}
    if src:
        env["PYTHONPATH"] = src
    return env


def setup(rev: str, corpus: str, edit_file: str, work_dir: str, with_environment: bool = False,
          label: str = "") -> dict:
    """A copy of ``corpus`` (``work_dir/corpus-<label or commit>``) for the asynclint of ``rev``, its cache cold-run
    and warm-run (untimed); returns what ``run_kind`` needs."""
    src, commit = source_of(rev, work_dir)
    root = os.path.join(work_dir, f"corpus-{label or commit}")
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(corpus, root, ignore=shutil.ignore_patterns(".asynclint_cache", "__pycache__"))
    env = command_env(src, with_environment)
    cmd = check_command()
    timed(cmd, root, env)  # cold
    timed(cmd, root, env)  # warm
    return {"rev": rev, "commit": commit, "root": root, "env": env, "cmd": cmd,
            "edits": Edits(os.path.join(root, edit_file)), "runs": {k: [] for k in COLUMNS}}


def run_kind(s: dict, kind: str) -> tuple:
    """Apply the edit ``kind`` (of ``KINDS``; ``first`` is a function appended) to the setup's file, then time
    one check; the (wall, CPU) is also kept in ``s["runs"][kind]``."""
    if kind != "warm":
        s["edits"].apply("function" if kind == "first" else kind)
    got = timed(s["cmd"], s["root"], s["env"])
    s["runs"][kind].append(got)
    return got


def timed(cmd, cwd: str, env: dict) -> tuple:
    """(wall, CPU) seconds of one run; CPU is user + sys of the process and of any worker it waited for."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd} (run it there to see why)")
    return wall, ru.ru_utime + ru.ru_stime


def main(argv=None) -> int:
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # time what users run: bytecode written and reused
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rev", action="append", help="git revision, or WORKTREE (repeatable; default: merge base, WORKTREE)")
    ap.add_argument("--corpus", default="/work/corpora/lnbits")
    ap.add_argument("--edit-file", default="lnbits/helpers.py")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work-dir", default=os.path.join(os.path.expanduser("~/.cache/asynclint-bench"), "one-file-changed"))
    ap.add_argument("--with-environment", action="store_true", help="keep VIRTUAL_ENV (libraries read from it)")
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args(argv)
    revs = args.rev or [git("merge-base", "main", "HEAD"), "WORKTREE"]
    os.makedirs(args.work_dir, exist_ok=True)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    setups = [setup(rev, args.corpus, args.edit_file, args.work_dir, args.with_environment) for rev in revs]
    try:
        for s in setups:
            run_kind(s, "first")
        for i in range(args.rounds):
            for kind in KINDS:
                for s in setups:  # interleaved: the revisions see the same machine
                    wall, cpu = run_kind(s, kind)
                    print(f"  round {i + 1} {s['commit']:18s} {kind:9s} {wall * 1000:8.0f} ms  cpu {cpu * 1000:6.0f} ms",
                          file=sys.stderr, flush=True)
    finally:
        for s in setups:
            s["edits"].restore()
    meta = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "python": f"CPython {sys.version.split()[0]}",
            "load": load, "rounds": args.rounds, "corpus": args.corpus, "edit_file": args.edit_file,
            "environment": os.environ.get("VIRTUAL_ENV") if args.with_environment else None}
    rows = [{"rev": s["rev"], "commit": s["commit"], "runs": s["runs"],
             "median": {k: statistics.median(w for w, _ in v) for k, v in s["runs"].items()},
             "median_cpu": {k: statistics.median(c for _, c in v) for k, v in s["runs"].items()}} for s in setups]
    out = [f"Run {meta['date']}; {meta['python']}; load average at start {meta['load']}; `{meta['corpus']}`, "
           f"edited file `{meta['edit_file']}`; `python -m asynclint check -q .`, medians of {meta['rounds']} "
           "interleaved rounds (`first`: one run): wall time, CPU time (user + sys) in brackets; libraries read from "
           f"{meta['environment'] or 'no environment (catalog only)'}.", "",
           "| asynclint at | " + " | ".join(COLUMNS) + " |", "|---|" + "---|" * len(COLUMNS)]
    for r in rows:
        out.append(f"| {r['commit']} | " + " | ".join(
            f"{r['median'][k] * 1000:.0f} ms ({r['median_cpu'][k] * 1000:.0f} ms)" for k in COLUMNS) + " |")
    print("\n".join(out))
    if not args.no_save:
        with open(os.path.join(HERE, "results", "one_file_changed.json"), "w") as fh:
            json.dump({"meta": meta, "rows": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
