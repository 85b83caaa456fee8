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

FORMATS = ["text", "json", "sarif", "github"]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


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


def _internal_error(exc: BaseException):
    where = ""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" at {os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}"
    message = str(exc).splitlines()[0][:200] if str(exc) else ""
    _echo(f"asynclint: internal error ({type(exc).__name__}{': ' + message if message else ''}{where}); "
               f"this is a bug in asynclint {__version__}: please report it with the command you ran", err=True)
    sys.exit(EXIT_INTERNAL)


def _echo(text: str, err: bool = False, nl: bool = True) -> None:
    """Print report text; a character the stream cannot encode (a lone surrogate from a file name
    or a string in the checked code) is written as an escape, never a crash."""
    stream = sys.stderr if err else sys.stdout
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        text = text.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:
        pass
    click.echo(text, err=err, nl=nl)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


def _split_codes(values):
    out = []
    for v in values or ():
        out.extend(c.strip().upper() for c in v.split(",") if c.strip())
    return out


def _fail(message: str):
    _echo(f"asynclint: error: {message}", err=True)
    sys.exit(2)


def _run(paths, select, ignore, extend_select, config, no_cache, jobs, force_exclude, progress=False, result_cache=False,
         python=None, say_problems=True):
    from .config import ConfigError
    from .discover import DiscoveryError
    from .engine import Options, run

    opts = Options(
        select=_split_codes(select) or None,
        ignore=_split_codes(ignore) or None,
        extend_select=_split_codes(extend_select) or None,
        config_path=config,
        use_cache=not no_cache,
        jobs=jobs,
        force_exclude=force_exclude,
        progress=progress,
        result_cache=result_cache,
        python=python,
    )
    try:
        result = run(list(paths), opts)
    except ConfigError as exc:
        _fail(str(exc))
    except DiscoveryError as exc:
        _fail(str(exc))
    for problem in result.problems if say_problems else ():
        _echo(f"asynclint: error: {problem}", err=True)
    if result.problems and not result.files_checked and not result.errors:
        sys.exit(EXIT_USAGE)  # nothing at all to check: no report
    return result


def _exit_status(result, findings: bool, fixed=None) -> int:
    from .model import INTERNAL_ERROR

    if any(e.internal for e in result.errors) or (
            fixed is not None and any(e.startswith(INTERNAL_ERROR) for _, e in fixed.errors)):
        return EXIT_INTERNAL
    if result.problems:
        return EXIT_USAGE
    return EXIT_FINDINGS if findings else EXIT_CLEAN


def common_options(f):
    options = [
        click.option("--select", multiple=True, metavar="CODES", help="Only report these codes or prefixes (comma-separated), e.g. ASL1,ASL301."),
        click.option("--ignore", multiple=True, metavar="CODES", help="Do not report these codes or prefixes."),
        click.option("--extend-select", multiple=True, metavar="CODES", help="Report these in addition to the selection (e.g. ASL112)."),
        click.option("--config", type=click.Path(dir_okay=False), help="Use this pyproject.toml instead of the nearest one."),
        click.option("--no-cache", is_flag=True, help="Do not read or write .asynclint_cache/."),
        click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes for parsing (default: CPU count)."),
        click.option("--force-exclude", is_flag=True, help="Apply exclude patterns to files named on the command line too."),
        click.option("--python", "python", metavar="PATH",
                     help="The project's environment (a virtualenv or its interpreter) whose installed libraries are "
                          "read to infer what blocks; 'none' to read none. Default: $VIRTUAL_ENV, else .venv or venv "
                          "in the project root."),
    ]
    for opt in reversed(options):
        f = opt(f)
    return f


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report to this file.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are reported.")
@click.option("--quiet", "-q", is_flag=True, help="Only findings: no help lines, no summary.")
@click.option("--show-chain", is_flag=True, help="Show every hop of a chain through project code, with path:line.")
@click.option("--statistics", is_flag=True, help="Count findings by the blocking call at the end of their chain.")
@click.option("--show-all", is_flag=True, help="List every call site of a shared cause (text output groups them).")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: only on a terminal).")
@click.option("--fix", is_flag=True, help="Apply safe fixes.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff: also apply unsafe fixes.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@common_options
def check(paths, fmt, output, exit_zero, quiet, show_chain, statistics, show_all, color, fix, unsafe_fixes, diff,
          select, ignore, extend_select, config, no_cache, jobs, force_exclude, python):
    """Check PATHS (files or directories; default: the current directory)."""
    interactive = sys.stderr.isatty() and not os.environ.get("CI")
    fixed = None
    result = _run(paths or (".",), select, ignore, extend_select, config, no_cache, jobs, force_exclude,
                  progress=interactive and fmt == "text" and not quiet, result_cache=not (fix or diff), python=python)
    if fix or diff:
        from .fix import apply_fixes

        fixed = apply_fixes(result, unsafe=unsafe_fixes, diff_only=diff)
        if diff:
            _echo(fixed.diff_text, nl=False)
            _echo(fixed.summary(), err=True)
            sys.exit(_exit_status(result, bool(fixed.changed_files or fixed.errors), fixed))
        result = _run(paths or (".",), select, ignore, extend_select, config, no_cache, jobs, force_exclude,
                      python=python, say_problems=False)
        _echo(fixed.summary(remaining=len(result.diagnostics)), err=True)
    show_chain = show_chain or (result.config.show_chain if result.config else False)
    if fmt == "json":
        from .report import format_json

        text = format_json(result)
    elif fmt == "sarif":
        from .report.sarif import format_sarif

        text = format_sarif(result)
    elif fmt == "github":
        from .report.github import format_github

        text = format_github(result)
    else:
        from .report import format_text

        use_color = color if color is not None else (output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
        text = format_text(result, color=use_color, show_chain=show_chain, quiet=quiet, statistics=statistics,
                           show_all=show_all)
    if output:
        try:
            with open(output, "w", encoding="utf-8", errors="backslashreplace") as fh:
                fh.write(text + "\n")
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror}")
    elif text:
        _echo(text)
    status = _exit_status(result, bool(result.diagnostics or result.errors), fixed)
    sys.exit(EXIT_CLEAN if exit_zero and status == EXIT_FINDINGS else status)


@main.command()
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
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
def explain(location, select, ignore, extend_select, config, no_cache, jobs, force_exclude, python):
    """Print the full reasoning for the finding(s) at PATH:LINE."""
    path, sep, line = location.rpartition(":")
    if not sep or not line.isdigit():
        _fail("expected PATH:LINE, e.g. app/routers/users.py:42")
    if not os.path.exists(path):
        _fail(f"path does not exist: {path}")
    from .discover import find_project_root

    root = find_project_root(path)
    # the same run as `asynclint <project root>`, so that the chain shown is the one `check` shows
    result = _run((root,), select, ignore, extend_select, config, no_cache, jobs, force_exclude, python=python)
    target = os.path.abspath(path)
    found = [d for d in result.diagnostics if os.path.abspath(d.path) == target and d.line == int(line)]
    if not found:  # a file the project run does not cover (excluded, ignored): check it by name
        result = _run((path,), select, ignore, extend_select, config, no_cache, jobs, force_exclude, python=python)
        found = [d for d in result.diagnostics if os.path.abspath(d.path) == target and d.line == int(line)]
    if not found:
        _echo(f"no finding at {location}")
        sys.exit(1 if result.errors else 0)
    from .report.explain import explain_text

    for d in found:
        _echo(explain_text(d, result))
    sys.exit(1)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--library", "-l", help="Only entries of this library (substring match).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
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

    result = _run(paths or (".",), ("ASL",), None, None, config, no_cache, None, False, python=python)
    apis = inferred_apis(result.project, result.analysis) if result.analysis is not None else []
    if library:
        apis = [a for a in apis if library.lower() in a.library.lower() or a.function.startswith(library)]
    env = result.project.libraries.env if result.project is not None and result.project.libraries else None
    click.echo(render_inferred(apis, env, fmt))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@common_options
def routes(paths, fmt, select, ignore, extend_select, config, no_cache, jobs, force_exclude, python):
    """List every FastAPI/Starlette endpoint: method, path, function, def/async def, and whether it blocks."""
    result = _run(paths or (".",), select, ignore, extend_select, config, no_cache, jobs, force_exclude, python=python)
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
