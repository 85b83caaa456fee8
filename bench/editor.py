"""The flake8 plugin as an editor runs it: one file of a large project, cache warm.

    python bench/editor.py [--modules 500] [--rounds 3]

Builds a synthetic project of ``--modules`` modules in a temporary directory
(each module's coroutine reaches ``requests.get`` through a chain of helpers
across all the modules before it), warms asynclint's cache with one run, then
measures in fresh processes the plugin's import time and the time to check
the last module (the editor case: one flake8 process per file), and in this
process the time per further file.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

_ONE_FILE = (
    "import time, sys\n"
    "t0 = time.perf_counter()\n"
    "from asynclint.flake8_plugin import check_file\n"
    "t1 = time.perf_counter()\n"
    "found = check_file(sys.argv[1])\n"
    "t2 = time.perf_counter()\n"
    "print(f'{(t1 - t0) * 1000:.0f} {(t2 - t1) * 1000:.0f} {len(found)}')\n"
)


def synthetic_project(root: str, modules: int) -> str:
    """The project's files; returns the path of the last module."""
    pkg = os.path.join(root, "big")
    os.makedirs(pkg)
    with open(os.path.join(root, "pyproject.toml"), "w") as fh:
        fh.write('[project]\nname = "big"\nversion = "0"\n')
    with open(os.path.join(pkg, "__init__.py"), "w"):
        pass
    for i in range(modules):
        prev = f"from big.m{i - 1:03d} import helper_{i - 1}\n" if i else ""
        body = f"    return helper_{i - 1}(x) + 1\n" if i else "    return requests.get(x).status_code\n"
        with open(os.path.join(pkg, f"m{i:03d}.py"), "w") as fh:
            fh.write(
                "import requests\nimport time\n" + prev + "\n\n"
                f"def helper_{i}(x):\n{body}\n\n"
                f"class Service{i}:\n    def work(self, x):\n        return helper_{i}(x)\n\n\n"
                f"async def handler_{i}(x):\n    return Service{i}().work(x)\n"
            )
    return os.path.join(pkg, f"m{modules - 1:03d}.py")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modules", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    from asynclint import flake8_plugin
    from asynclint.engine import Options, run

    with tempfile.TemporaryDirectory() as root:
        target = synthetic_project(root, args.modules)
        run([root], Options())  # warm the cache
        samples = []
        for _ in range(args.rounds):
            out = subprocess.run([sys.executable, "-c", _ONE_FILE, target], capture_output=True, text=True,
                                 check=True, env=dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(HERE), "src")))
            samples.append([int(x) for x in out.stdout.split()])
        import_ms, first_ms, found = min(samples, key=lambda s: s[1])
        files = sorted(os.path.join(d, f) for d, _, names in os.walk(root) for f in names if f.endswith(".py"))
        t = time.perf_counter()
        for f in files:
            flake8_plugin.check_file(f)
        each_ms = (time.perf_counter() - t) * 1000 / len(files)
    print(f"flake8 plugin, {len(files)}-file project, warm cache: import {import_ms} ms; first file in a process "
          f"(editor case) {first_ms} ms ({found} findings); each further file in the same process {each_ms:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
