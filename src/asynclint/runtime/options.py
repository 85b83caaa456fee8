"""The plugin's settings, from the command line and the ini file (the command line wins)."""

from __future__ import annotations

import os
from dataclasses import dataclass

MODES = ("report", "fail")
DEFAULT_THRESHOLD_MS = 100.0  # asyncio's own slow_callback_duration


class OptionsError(ValueError):
    pass


@dataclass(frozen=True)
class RuntimeOptions:
    enabled: bool = False
    mode: str = "report"
    threshold: float = DEFAULT_THRESHOLD_MS / 1000  # seconds
    report_path: str | None = None
    paths: tuple = ()  # absolute project paths: the static run and "project frames"
    ignore: tuple = ()  # qualified-name prefixes whose events are dropped


def _truthy(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def read_options(config) -> RuntimeOptions:
    """Settings from a pytest ``Config``; raises OptionsError with a message naming the option."""
    opt = config.option
    mode = opt.asynclint_runtime_mode or config.getini("asynclint_runtime_mode") or "report"
    report = opt.asynclint_runtime_report or config.getini("asynclint_runtime_report") or None
    # any of the plugin's command-line options asks for it
    enabled = bool(opt.asynclint_runtime or opt.asynclint_runtime_mode or opt.asynclint_runtime_report
                   or opt.asynclint_runtime_threshold is not None)
    enabled = enabled or _truthy(config.getini("asynclint_runtime") or False)
    if mode not in MODES:
        raise OptionsError(f"asynclint runtime: mode must be one of {', '.join(MODES)}, not {mode!r}")
    raw = opt.asynclint_runtime_threshold
    if raw is None:
        raw = config.getini("asynclint_runtime_threshold_ms") or DEFAULT_THRESHOLD_MS
    try:
        threshold_ms = float(raw)
    except (TypeError, ValueError):
        raise OptionsError(f"asynclint runtime: threshold must be a number of milliseconds, not {raw!r}") from None
    if threshold_ms <= 0:
        raise OptionsError(f"asynclint runtime: threshold must be positive, not {raw!r}")
    # the rootdir, when an ini file fixed it; else where pytest was started (a path-valued option
    # given as "--opt PATH" can move pytest's rootdir guess outside the project)
    root = str(config.rootpath if config.inipath else config.invocation_params.dir)
    paths = [os.path.abspath(os.path.join(root, p)) for p in (config.getini("asynclint_runtime_paths") or [])]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise OptionsError(f"asynclint runtime: asynclint_runtime_paths: no such path: {missing[0]}")
    if report and not os.path.isabs(report):
        report = os.path.join(str(config.invocation_params.dir), report)
    return RuntimeOptions(
        enabled=enabled,
        mode=mode,
        threshold=threshold_ms / 1000,
        report_path=report,
        paths=tuple(paths or [root]),
        ignore=tuple(x.strip() for x in config.getini("asynclint_runtime_ignore") if x.strip()),
    )
