"""A real editor session: Neovim's own LSP client drives ``asynclint server`` on a copy of examples/shop.

    python bench/editors/neovim.py [--keep]

Needs ``nvim`` (0.7 or later; Debian's ``neovim`` package) and ``asynclint`` on PATH. Neovim runs
headless with no user configuration and ``neovim_session.lua``, which opens a router, types a
blocking call into a coroutine and deletes it, edits a helper in another buffer (unsaved) and
waits for the router's findings to follow, hovers on a finding, and applies a code action; each
step is logged with how long it took to show, and the log is printed. Exit status 1 when a step
failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SHOP = os.path.join(os.path.dirname(os.path.dirname(HERE)), "examples", "shop")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", action="store_true", help="keep the temporary copy (its path is printed)")
    args = ap.parse_args(argv)
    if shutil.which("nvim") is None or shutil.which("asynclint") is None:
        sys.exit("needs nvim and asynclint on PATH")
    work = tempfile.mkdtemp(prefix="asynclint-nvim-")
    root = os.path.join(work, "shop")
    shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns("__pycache__", ".asynclint_cache"))
    log = os.path.join(work, "session.log")
    env = dict(os.environ, ASYNCLINT_SESSION_ROOT=root, ASYNCLINT_SESSION_LOG=log)
    try:
        proc = subprocess.run(["nvim", "--headless", "--clean", "-c", f"luafile {os.path.join(HERE, 'neovim_session.lua')}"],
                              cwd=root, env=env, timeout=300, capture_output=True, text=True)
        version = subprocess.run(["nvim", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        print(f"{version}; asynclint server in {root}")
        text = open(log, encoding="utf-8").read() if os.path.exists(log) else ""
        print(text or proc.stderr)
        return 1 if "FAIL" in text or not text or proc.returncode else 0
    finally:
        if args.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
