"""pytest entry point (``pytest11``): declares the options and, only when asked, starts the plugin.

Importing this module imports nothing else from asynclint and patches nothing;
``pytest --asynclint-runtime`` (or ``asynclint_runtime = true`` in the ini
file) registers :class:`asynclint.runtime.session.RuntimeSession`.
"""

from __future__ import annotations

import pytest

PLUGIN_NAME = "asynclint-runtime-session"


def pytest_addoption(parser) -> None:
    group = parser.getgroup("asynclint-runtime", "asynclint: blocking calls seen at run time")
    group.addoption(
        "--asynclint-runtime",
        action="store_true",
        default=False,
        help="record blocking calls on a running event loop and reconcile them with asynclint's static findings",
    )
    group.addoption(
        "--asynclint-runtime-mode",
        choices=("report", "fail"),
        default=None,
        help="report (default): record only; fail: fail a test during which the event loop blocked",
    )
    group.addoption(
        "--asynclint-runtime-threshold",
        type=float,
        default=None,
        metavar="MS",
        help="report a loop step that runs longer than MS milliseconds (default 100)",
    )
    group.addoption(
        "--asynclint-runtime-report", default=None, metavar="PATH", help="write the JSON report to PATH"
    )
    parser.addini("asynclint_runtime", type="bool", default=False, help="turn the asynclint runtime plugin on")
    parser.addini("asynclint_runtime_mode", default="", help="report | fail")
    parser.addini("asynclint_runtime_threshold_ms", default="", help="slow-step threshold in milliseconds")
    parser.addini("asynclint_runtime_report", default="", help="path of the JSON report")
    parser.addini(
        "asynclint_runtime_ignore",
        type="linelist",
        default=[],
        help="qualified-name prefixes (APIs or functions on the stack) whose blocking is not reported",
    )
    parser.addini(
        "asynclint_runtime_paths",
        type="paths",
        default=[],
        help="the project's source paths (static analysis, project frames); default: the rootdir",
    )


def pytest_configure(config) -> None:
    opt = config.option
    wanted = (
        getattr(opt, "asynclint_runtime", False)
        or getattr(opt, "asynclint_runtime_mode", None)
        or getattr(opt, "asynclint_runtime_report", None)
        or getattr(opt, "asynclint_runtime_threshold", None) is not None
        or config.getini("asynclint_runtime")
    )
    if not wanted:
        return
    from .options import OptionsError, read_options
    from .session import RuntimeSession

    try:
        options = read_options(config)
    except OptionsError as exc:
        raise pytest.UsageError(str(exc)) from None
    if getattr(opt, "numprocesses", None) or getattr(config, "workerinput", None) is not None:
        raise pytest.UsageError("asynclint runtime: pytest-xdist is not supported; run the tests in one process (-n 0)")
    config.pluginmanager.register(RuntimeSession(options), PLUGIN_NAME)
