"""Command line: ``asynclint [check] PATH...`` plus ``rule``, ``rules``, ``routes``, ``explain``, ``catalog``.

Exit codes: 0 nothing found, 1 findings (or files that could not be
checked), 2 usage or configuration error (a path named that does not exist
or is not a file or directory: the others are still checked), 3 an internal
error of asynclint (a bug: one line asking for a report).
"""

from __future__ import annotations

import os
import sys

import click

from . import __version__
from .checking import EXIT_INTERNAL  # noqa: F401 (the exit status of an internal error, named from here too)
from .checking import (_PROCESS, _WARM, EXIT_CLEAN, EXIT_FINDINGS, FORMATS, _check_once, _echo, _exit, _fail,
                       _internal_error, _run, begin_process)


class DefaultGroup(click.Group):
    """``asynclint PATH`` means ``asynclint check PATH``."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version", "-V"):
            args = ["check"] + list(args)
        elif not args:
            args = ["check"]
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # a bug of ours: one line, never a stack trace
            _internal_error(exc)




def entry():
    """The ``asynclint`` command (``launch.entry``, which answers what it can without this module)."""
    from .launch import entry as launch

    launch()


def run_process(args) -> None:
    """``main`` in a process of its own: the ``asynclint`` command, ``args`` its arguments."""
    begin_process(args)
    main()


class CheckHelpGroup(DefaultGroup):
    """``asynclint --help`` also lists the options of ``check``, the command ``asynclint PATH`` runs."""

    def format_options(self, ctx, formatter):
        super().format_options(ctx, formatter)
        command = self.commands.get("check")
        if command is None:
            return
        with click.Context(command, info_name="check", parent=ctx) as sub:
            rows = [r for r in (p.get_help_record(sub) for p in command.get_params(sub)) if r]
        rows = [r for r in rows if not r[0].startswith("-h, --help")]
        with formatter.section("Check options (asynclint [check] [OPTIONS] [PATHS]...)"):
            formatter.write_dl(rows)


@click.group(cls=CheckHelpGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="asynclint")
def main():
    """Find code that blocks the asyncio event loop, and what to use instead.

    \b
    asynclint src/                 check a project (same as `asynclint check src/`)
    asynclint rule ASL101          explain a rule
    asynclint routes app/          list FastAPI endpoints and whether they block
    asynclint explain app/x.py:12  the full reasoning for one finding
    asynclint catalog -l redis     what asynclint knows about a library

    Exit status: 0 clean, 1 findings (or files that could not be checked),
    2 usage or configuration error, 3 internal error (a bug: please report it).
    """


_COMMON = ("select", "ignore", "extend_select", "extend_ignore", "config", "no_cache", "jobs", "force_exclude",
           "python")


def common_options(f):
    """The options every command that checks code takes; the command receives them as one dict, ``sel``."""
    options = [
        click.option("--select", multiple=True, metavar="CODES",
                     help="Only report these codes or prefixes (comma-separated), e.g. ASL1,ASL301; ALL: every rule."),
        click.option("--ignore", multiple=True, metavar="CODES", help="Do not report these codes or prefixes."),
        click.option("--extend-select", multiple=True, metavar="CODES",
                     help="Report these in addition to the selection (e.g. ASL112)."),
        click.option("--extend-ignore", multiple=True, metavar="CODES",
                     help="Do not report these either (added to the configuration's ignore)."),
        click.option("--config", type=click.Path(dir_okay=False), help="Use this pyproject.toml instead of the nearest one."),
        click.option("--no-cache", is_flag=True, help="Do not read or write .asynclint_cache/."),
        click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes for parsing and fixing (default: CPU count)."),
        click.option("--force-exclude", is_flag=True, help="Apply exclude patterns to files named on the command line too."),
        click.option("--python", "python", metavar="PATH",
                     help="The project's environment (a virtualenv or its interpreter) whose installed libraries are "
                          "read to infer what blocks; 'none' to read none. Default: $VIRTUAL_ENV, else .venv or venv "
                          "in the project root."),
    ]
    for opt in reversed(options):
        f = opt(f)

    def wrapper(**kwargs):
        sel = {name: kwargs.pop(name) for name in _COMMON}
        return f(sel=sel, **kwargs)

    wrapper.__name__, wrapper.__doc__ = f.__name__, f.__doc__
    wrapper.__click_params__ = getattr(f, "__click_params__", [])
    return wrapper


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--output-format", "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text: one line per finding with a help line; full: text with a frame of the code; json (schema: "
                   "docs/asynclint-output.schema.json), sarif, github (workflow annotations). --format is an alias.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report to this file.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are reported.")
@click.option("--quiet", "-q", is_flag=True, help="Only findings: no help lines, no summary.")
@click.option("--show-chain", is_flag=True, help="Show every hop of a chain through project code, with path:line.")
@click.option("--statistics", is_flag=True,
              help="Print only counts: findings by code and by root cause (the blocking call they end at).")
@click.option("--show-all", is_flag=True, help="List every call site of a shared cause (text output groups them).")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: only on a terminal).")
@click.option("--fix", is_flag=True, help="Apply safe fixes.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix, --fix-only or --diff: also apply unsafe fixes.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--fix-only", is_flag=True,
              help="Apply fixes, but do not report (or exit 1 for) the findings that remain.")
@click.option("--show-fixes", is_flag=True,
              help="List the findings fixed (with --fix/--fix-only), or that --fix would fix, and why others are not.")
@click.option("--watch", "-w", is_flag=True, help="Check again whenever a file changes (Ctrl-C to stop).")
@common_options
def check(paths, fmt, output, exit_zero, quiet, show_chain, statistics, show_all, color, fix, unsafe_fixes, diff,
          fix_only, show_fixes, watch, sel):
    """Check PATHS (files or directories; default: the current directory)."""
    paths = paths or (".",)
    recorder = _WARM[0] if not (watch or fix or fix_only or diff or show_fixes or output or sel["no_cache"]) else None
    _WARM[0] = recorder
    if watch:
        if fix or fix_only or diff or output:
            _fail("--watch reports only: it cannot be combined with --fix, --fix-only, --diff or --output")
        from .watch import watch_paths

        def once():
            try:
                _check_once(paths, sel, fmt, None, True, quiet, show_chain, statistics, show_all, color, False,
                            False, False, False, False)
            except SystemExit:  # a usage or configuration error, already reported: wait for the next change
                pass

        sys.exit(watch_paths(paths, once, echo=lambda text: _echo(text, err=True)))
    if _PROCESS[0]:
        from .engine import linger_until_exit

        linger_until_exit()  # (the process ends with this check: ``_exit``)
    _exit(_check_once(paths, sel, fmt, output, exit_zero, quiet, show_chain, statistics, show_all, color, fix,
                      unsafe_fixes, diff, fix_only, show_fixes, recorder))


@main.command()
@click.argument("code")
@click.option("--output-format", "--format", "fmt", type=click.Choice(["text", "markdown"]), default="text",
              show_default=True)
def rule(code, fmt):
    """Explain one rule: what it does, why, an example, what to use instead."""
    from .rules import get_rule, render_markdown, render_text

    r = get_rule(code.upper())
    if r is None:
        _fail(f"unknown rule code {code!r}; `asynclint rules` lists them")
    click.echo(render_markdown(r) if fmt == "markdown" else render_text(r))


@main.command()
def rules():
    """List every rule with its code, name and fix."""
    from .rules import RULES

    for r in RULES.values():
        fix = r.fix or "-"
        default = "" if r.default_enabled else "  (off by default)"
        click.echo(f"{r.code}  {r.name:<34} fix: {fix:<7} {r.summary}{default}")


@main.command()
@click.argument("location")
@common_options
def explain(location, sel):
    """Print the full reasoning for the finding(s) at PATH:LINE (or PATH:LINE:COL, as the report prints it).

    Exit status: 0 when a finding was explained, 1 when there is none at that line, 2 on a usage error."""
    path, line, col = _location(location)
    from .discover import project_root

    # the same run as `asynclint <project root>`, so that the chain shown is the one `check` shows
    result = _run((project_root([path]),), sel)
    target = os.path.abspath(path)

    def at(d):
        return os.path.abspath(d.path) == target and d.line == line and (col is None or d.column == col)

    found = [d for d in result.diagnostics if at(d)]
    if not found:  # a file the project run does not cover (excluded, ignored): check it by name
        result = _run((path,), sel)
        found = [d for d in result.diagnostics if at(d)]
    if not found:
        errors = [e for e in result.errors if os.path.abspath(e.path) == target]
        why = f": the file could not be checked ({errors[0].message})" if errors else ""
        _echo(f"no finding at {location.rstrip(':')}{why}")
        sys.exit(EXIT_FINDINGS)
    from .report.explain import explain_text

    for d in found:
        _echo(explain_text(d, result))
    sys.exit(EXIT_CLEAN)


def _location(location: str):
    """PATH:LINE or PATH:LINE:COL (a trailing colon, as the report prints it, is fine) -> (path, line, col)."""
    parts = location.rstrip(":").split(":")
    numbers = []
    while len(parts) > 1 and parts[-1].isdigit() and len(numbers) < 2:
        numbers.insert(0, int(parts.pop()))
    path = ":".join(parts)
    if not numbers:
        _fail("expected PATH:LINE, e.g. app/routers/users.py:42")
    if not os.path.isfile(path):
        _fail(f"path does not exist: {path}" if not os.path.exists(path) else f"not a file: {path}")
    return path, numbers[0], numbers[1] if len(numbers) > 1 else None


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--library", "-l", help="Only entries of this library (substring match).")
@click.option("--output-format", "--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--inferred", is_flag=True,
              help="Instead of the catalog: the library APIs PATHS (default: .) call that were inferred blocking "
                   "from the installed libraries' source, and why.")
@click.option("--python", "python", metavar="PATH", help="With --inferred: the project's environment (see check --help).")
@click.option("--config", type=click.Path(dir_okay=False), help="With --inferred: use this pyproject.toml.")
@click.option("--no-cache", is_flag=True, help="With --inferred: read and write no cache.")
def catalog(paths, library, fmt, inferred, python, config, no_cache):
    """List the blocking APIs asynclint knows, with category and replacement."""
    if not inferred:
        if paths:
            _fail("PATHS are only meaningful with --inferred")
        from .catalog.view import render_catalog

        click.echo(render_catalog(library, fmt))
        return
    from .libraries import inferred_apis, render_inferred

    sel = dict.fromkeys(_COMMON, None) | {"select": ("ASL",), "config": config, "no_cache": no_cache,
                                           "python": python, "force_exclude": False}
    result = _run(paths or (".",), sel)
    apis = inferred_apis(result.project, result.analysis) if result.analysis is not None else []
    if library:
        apis = [a for a in apis if library.lower() in a.library.lower() or a.function.startswith(library)]
    env = result.project.libraries.env if result.project is not None and result.project.libraries else None
    click.echo(render_inferred(apis, env, fmt))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--output-format", "--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: every endpoint with its findings (--format is an alias).")
@common_options
def routes(paths, fmt, sel):
    """List every FastAPI/Starlette endpoint: method, path, function, def/async def, and whether it blocks."""
    result = _run(paths or (".",), sel)
    from .frameworks.fastapi import render_routes

    _echo(render_routes(result, fmt))


@main.command()
@click.option("--stdio", is_flag=True, help="Talk LSP over standard input and output (the default, and the only transport).")
def server(stdio):
    """Run the language server (LSP over stdio) for editors: findings as you type, fixes as code actions."""
    try:
        from .server.server import serve
    except ImportError as exc:
        _fail(f"the language server needs pygls ({exc}); install it with: pip install 'asynclint[server]'")
    serve()


if __name__ == "__main__":  # pragma: no cover
    main()
