"""``asynclint check``: one check (and fix) of some paths, its report and its exit status.

Without click: the command line (``cli``) parses the options of ``check`` and comes here, and so
does the ``asynclint`` command itself for a plain check (paths and the options a report is made
with: ``plain_check``), which then imports neither click nor the command line: importing them
costs a seventh of a check after a comment edit of a small project (70M of 455M instructions on
lnbits).

Exit codes: 0 nothing found, 1 findings (or files that could not be checked), 2 usage or
configuration error, 3 an internal error of asynclint (a bug: one line asking for a report).
"""

from __future__ import annotations

import os
import sys

from . import __version__, codecache

FORMATS = ["text", "full", "json", "sarif", "github"]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

_PROCESS = [False]  # is this the ``asynclint`` process itself (``entry``), not a caller of ``main``?
_WARM: list = [None]  # the ``cache.warm.Recorder`` of this process's check, when it may be kept


def _exit(status: int):
    """End a check with ``status``. In a process of its own, once the report is out, without taking
    apart what the analysis built: freeing a large project's millions of objects one by one takes
    longer than some whole runs."""
    if _PROCESS[0]:
        codecache.save()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass  # (a reader that went away: nothing left to tell it)
        os._exit(status)
    sys.exit(status)


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
    if _WARM[0] is not None:
        _WARM[0].write(err, text + "\n" if nl else text)
    stream.write(text + "\n" if nl else text)
    stream.flush()


def _split_codes(values, option: str):
    """The codes and prefixes given to ``option`` (repeated and/or comma-separated), checked:
    an unknown one is a usage error naming it and the closest valid code."""
    from .selectors import SelectorError, check

    out = []
    for v in values or ():
        out.extend(c.strip() for c in v.split(",") if c.strip())
    try:
        return check(out, option)
    except SelectorError as exc:
        _fail(str(exc))


def _fail(message: str):
    _echo(f"asynclint: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _options(sel: dict, **extra):
    """The engine's options from the common options (``sel``) and the command's own."""
    from .engine import Options

    ignore = _split_codes(sel["ignore"], "--ignore") + _split_codes(sel["extend_ignore"], "--extend-ignore")
    return Options(
        select=_split_codes(sel["select"], "--select") or None,
        ignore=ignore or None,
        extend_select=_split_codes(sel["extend_select"], "--extend-select") or None,
        config_path=sel["config"],
        use_cache=not sel["no_cache"],
        jobs=sel["jobs"],
        force_exclude=sel["force_exclude"],
        python=sel["python"],
        **extra,
    )


def _run(paths, sel: dict, say_problems=True, **extra):
    """One engine run over ``paths`` with the common options ``sel``; a usage or configuration
    error ends the command with exit 2."""
    from .config import ConfigError
    from .discover import DiscoveryError
    from .engine import run

    opts = _options(sel, **extra)
    try:
        result = run(list(paths), opts)
    except (ConfigError, DiscoveryError) as exc:
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


def _check_once(paths, sel, fmt, output, exit_zero, quiet, show_chain, statistics, show_all, color, fix,
                unsafe_fixes, diff, fix_only, show_fixes, recorder=None) -> int:
    """One check (and fix) of ``paths``: prints the report; returns the exit status. ``recorder``
    (a check that only reports): what it prints is kept as the answer to the same command while
    nothing the report depends on changes (``cache.warm``)."""
    interactive = sys.stderr.isatty() and not os.environ.get("CI")
    fixing = fix or fix_only
    fixed = None
    result = _run(paths, sel, progress=interactive and fmt in ("text", "full") and not quiet,
                  result_cache=not (fixing or diff or show_fixes), witness=recorder is not None)
    if fixing or diff or show_fixes:
        from .fix import apply_fixes

        # --diff writes nothing, with or without --fix (as ruff's --diff)
        fixed = apply_fixes(result, unsafe=unsafe_fixes, diff_only=diff or not fixing, jobs=sel["jobs"],
                            use_cache=not sel["no_cache"])
        if diff:
            _echo(fixed.diff_text, nl=False)
        if show_fixes:
            _echo(fixed.enumerate(), err=True)
        if diff:
            _echo(fixed.summary(), err=True)
            return _exit_status(result, bool(fixed.changed_files or fixed.errors), fixed)
        if fixing:
            result = _run(paths, sel, say_problems=False)
            _echo(fixed.summary(remaining=result.diagnostics), err=True)
            if fix_only:
                return _exit_status(result, bool(fixed.errors), fixed)
    _no_files_warning(result, paths)
    show_chain = show_chain or (result.config.show_chain if result.config else False)
    text = _report(result, fmt, output, color, show_chain, quiet, statistics, show_all)
    if output:
        try:
            with open(output, "w", encoding="utf-8", errors="backslashreplace") as fh:
                fh.write(text + "\n")
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror}")
    elif text:
        _echo(text)
    status = _exit_status(result, bool(result.diagnostics or result.errors), fixed)
    status = EXIT_CLEAN if exit_zero and status == EXIT_FINDINGS else status
    if recorder is not None and status != EXIT_INTERNAL and not result.problems:
        recorder.save(result.witness, result.root, status, result.digests)
    return status


def _no_files_warning(result, paths) -> None:
    if not result.files_checked and not result.errors and not result.problems:
        shown = ", ".join(paths)
        _echo(f"asynclint: warning: no Python files found under {shown}: nothing was checked", err=True)


def _report(result, fmt, output, color, show_chain, quiet, statistics, show_all) -> str:
    if fmt == "json":
        from .report import format_json

        return format_json(result)
    if fmt == "sarif":
        from .report.sarif import format_sarif

        return format_sarif(result)
    if fmt == "github":
        from .report.github import format_github

        return format_github(result)
    from .report import format_text

    use_color = color if color is not None else (output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    return format_text(result, color=use_color, show_chain=show_chain, quiet=quiet, statistics=statistics,
                       show_all=show_all, frame=fmt == "full")


# ---------------------------------------------------------------------------
# ``asynclint [check] ...`` without click


_FLAGS = {"-q": "quiet", "--quiet": "quiet", "--exit-zero": "exit_zero", "--show-chain": "show_chain",
          "--statistics": "statistics", "--show-all": "show_all", "--force-exclude": "force_exclude"}
_CODES = {"--select": "select", "--ignore": "ignore", "--extend-select": "extend_select",
          "--extend-ignore": "extend_ignore"}
_VALUES = {"--output-format": "fmt", "--format": "fmt", "--jobs": "jobs", "-j": "jobs", "--python": "python"}


def plain_check(args) -> dict | None:
    """The options of ``asynclint [check] ARGS`` when it is a plain check: paths, and only options of
    the report and the selection, each well formed (``check --help`` says what they mean); None for
    anything else (``cli`` then parses it: another command, ``--fix``, ``--output``, ``--config``, a
    value out of range, an option this does not know, ``-qj2``...)."""
    from .launch import named_paths

    if named_paths(args) is None:  # (another command, --fix, --help...)
        return None
    args = list(args)
    if args and args[0] == "check":
        args = args[1:]
    got: dict = {"paths": [], "fmt": "text", "color": None, "jobs": None, "python": None,
                 **{name: False for name in _FLAGS.values()}, **{name: [] for name in _CODES.values()}}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            got["paths"] += args[i:]
            break
        if not arg.startswith("-") or arg == "-":
            got["paths"].append(arg)
            continue
        if arg in _FLAGS:
            got[_FLAGS[arg]] = True
            continue
        if arg in ("--color", "--no-color"):
            got["color"] = arg == "--color"
            continue
        name, eq, value = arg.partition("=")
        if name not in _CODES and name not in _VALUES or eq and name == "-j":
            return None
        if not eq:
            if i >= len(args):
                return None
            value = args[i]
            i += 1
        if name in _CODES:
            got[_CODES[name]].append(value)
        elif _VALUES[name] == "fmt":
            if value not in FORMATS:
                return None
            got["fmt"] = value
        elif _VALUES[name] == "jobs":
            if not value.isdigit() or int(value) < 1:
                return None
            got["jobs"] = int(value)
        else:
            got["python"] = value
    return got


def begin_process(args) -> None:
    """This process is the ``asynclint`` command run with ``args``: it ends with its check (``_exit``),
    asynclint's classes are made from the code compiled before (``codecache``), and what a check that
    only reports prints is kept as the answer to the same command (``cache.warm``)."""
    from .launch import named_paths

    _PROCESS[0] = True
    codecache.install()
    if named_paths(args) is not None:
        from .cache.warm import Recorder

        _WARM[0] = Recorder(args)


def run_plain_check(got: dict, args) -> None:
    """``asynclint`` running the plain check ``got`` (``plain_check``) of its arguments ``args``, as
    ``cli``'s ``check`` does; ends the process."""
    begin_process(args)
    from .engine import linger_until_exit

    sel = {"select": got["select"], "ignore": got["ignore"], "extend_select": got["extend_select"],
           "extend_ignore": got["extend_ignore"], "config": None, "no_cache": False, "jobs": got["jobs"],
           "force_exclude": got["force_exclude"], "python": got["python"]}
    try:
        linger_until_exit()  # (the process ends with this check: ``_exit``)
        status = _check_once(tuple(got["paths"]) or (".",), sel, got["fmt"], None, got["exit_zero"], got["quiet"],
                             got["show_chain"], got["statistics"], got["show_all"], got["color"], False, False,
                             False, False, False, _WARM[0])
    except KeyboardInterrupt:
        _echo("Aborted!", err=True)  # (as click says it)
        status = EXIT_FINDINGS
    except Exception as exc:  # a bug of ours: one line, never a stack trace
        _internal_error(exc)
    _exit(status)
