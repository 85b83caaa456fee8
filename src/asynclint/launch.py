"""The ``asynclint`` command's entry point (``python -m asynclint`` too).

It answers what it can before importing the command line (click) and the
engine, whose imports alone cost several times the interpreter's start-up:
``--version``, and a ``check`` with nothing changed since the same command
last ran (``cache.warm``); a plain check that it cannot answer runs without
click (``checking.plain_check``). Anything else is ``cli.main``, without even
looking for a kept answer when the arguments say it cannot be one
(``--help``, another command, ``--fix``...).
"""

from __future__ import annotations

import sys

# ``check``'s options that take a value (skipped when looking for the paths named)
_VALUED = frozenset({"--select", "--ignore", "--extend-select", "--extend-ignore", "--config", "--jobs", "-j",
                     "--python", "--output-format", "--format", "--output", "-o"})
# arguments after which no answer is recorded: looking one up would only cost time
_NEVER = frozenset({"-h", "--help", "-V", "--version", "--no-cache", "--fix", "--fix-only", "--diff",
                    "--show-fixes", "--unsafe-fixes", "--watch", "-w", "--output", "-o", "rule", "rules",
                    "explain", "catalog", "routes", "server"})


def entry():
    args = sys.argv[1:]
    if args == ["--version"] or args == ["-V"]:
        from . import __version__

        sys.stdout.write(f"asynclint, version {__version__}\n")  # (click's version_option says the same)
        sys.exit(0)
    if named_paths(args) is not None:
        from .cache.warm import answer

        answer(args)  # (ends the process when it answers)
        from .checking import plain_check, run_plain_check

        got = plain_check(args)
        if got is not None:
            run_plain_check(got, args)  # (click is not imported: ends the process)
    from .cli import run_process

    run_process(args)


def named_paths(args) -> list | None:
    """The paths ``asynclint [check] ARGS`` checks (None: not a command this cache answers)."""
    args = list(args)
    if args and args[0] == "check":
        args = args[1:]
    paths = []
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
        elif arg == "--":
            paths += args[i + 1:]
            break
        elif arg in _NEVER or arg.split("=", 1)[0] in _NEVER:
            return None
        elif arg in _VALUED:
            skip = True
        elif not arg.startswith("-") or arg == "-":
            paths.append(arg)
    return paths or ["."]
