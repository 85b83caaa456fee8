"""The ``asynclint`` command's entry point (``python -m asynclint`` too).

It answers what it can before importing the command line (click) and the
engine, whose imports alone cost several times the interpreter's start-up:
``--version``, and a ``check`` with nothing changed since the same command
last ran (``cache.warm``). Anything else is ``cli.main``.
"""

import sys


def entry():
    args = sys.argv[1:]
    if args == ["--version"] or args == ["-V"]:
        from . import __version__

        sys.stdout.write(f"asynclint, version {__version__}\n")  # (click's version_option says the same)
        sys.exit(0)
    from .cache.warm import answer

    answer(args)  # (ends the process when it answers)
    from .cli import run_process

    run_process(args)
