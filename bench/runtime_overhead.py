"""How much the runtime plugin (``pytest --asynclint-runtime``, report mode) slows a test suite.

Runs the suite alternately without and with the plugin, in fresh processes,
and prints the median wall time of each and their ratio (goal: at most 1.3).

    python bench/runtime_overhead.py                       # examples/shop's suite
    python bench/runtime_overhead.py --rounds 7
    python bench/runtime_overhead.py --suite /path/to/app --python /path/to/venv/bin/python \\
        -- -o addopts="" tests/unit tests/api              # another project's suite, its own venv

The "with" runs include everything the plugin does: the static analysis at
session start (its cache is warm after the first round), patching, recording,
reconciling and the summary. Arguments after ``--`` go to both runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOP = os.path.join(ROOT, "examples", "shop")
# the shop's retry test sleeps 1 s in the route: the same second in both runs would only dilute the ratio
SHOP_ARGS = ["-k", "not retries"]


def run_once(python: str, suite: str, args: list, plugin: bool) -> float:
    cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    if plugin:
        cmd.insert(3, "--asynclint-runtime")
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=suite, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default=SHOP, help="directory to run pytest in (default: examples/shop)")
    parser.add_argument("--python", default=sys.executable, help="interpreter whose environment has the suite's deps")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest in both runs")
    ns = parser.parse_args(argv)
    args = ns.pytest_args or (SHOP_ARGS if os.path.samefile(ns.suite, SHOP) else [])
    run_once(ns.python, ns.suite, args, True)  # warm the static analysis cache and the OS file cache
    off, on = [], []
    for _ in range(ns.rounds):
        off.append(run_once(ns.python, ns.suite, args, False))
        on.append(run_once(ns.python, ns.suite, args, True))
    m_off, m_on = statistics.median(off), statistics.median(on)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"suite: {ns.suite} {' '.join(args)}")
    print(f"rounds: {ns.rounds}; load average at the end: {load:.2f}")
    print(f"without the plugin: median {m_off:.2f} s  ({', '.join(f'{t:.2f}' for t in off)})")
    print(f"with --asynclint-runtime: median {m_on:.2f} s  ({', '.join(f'{t:.2f}' for t in on)})")
    print(f"ratio: {m_on / m_off:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
