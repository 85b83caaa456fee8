"""The plugin at work: registered with pytest only when switched on.

Session start: run the static analysis once, wrap the catalog's APIs and
asyncio's ``Handle._run``. Before each test: wrap what newly imported modules
brought. Each test phase: know which test runs; in ``fail`` mode, fail a phase
during which the loop blocked. Session end: take every patch out, reconcile,
print the summary, write the JSON report.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Optional

import pytest

from .detect import CallDetector
from .frames import ProjectFiles
from .instrument import Instrumenter, catalog_apis
from .options import RuntimeOptions
from .recorder import Recorder
from .reconcile import Reconciliation, in_startup, reconcile
from .report import RunInfo, terminal_lines, to_json, write_json
from .steps import StepMonitor


class RuntimeSession:
    def __init__(self, options: RuntimeOptions) -> None:
        self.options = options
        self.project = ProjectFiles(options.paths)
        self.recorder = Recorder(options.ignore)
        self.diagnostics: list = []
        self.startup: set = set()  # coroutines that run only while the app starts or stops (not reported)
        self.config = None  # the static run's configuration (which categories it reports)
        self.static_base = os.getcwd()
        self.static_error: Optional[str] = None
        self.static_seconds = 0.0
        self.files_checked = 0
        self.instrumenter: Optional[Instrumenter] = None
        self.monitor: Optional[StepMonitor] = None
        self.reconciliation: Optional[Reconciliation] = None
        self.events: list = []

    # ------------------------------------------------------------------ set up / tear down
    def _static(self):
        from ..config import ConfigError
        from ..engine import Options, resolve_config, run

        start = time.perf_counter()
        try:
            paths, options = list(self.options.paths), Options()
            cfg = resolve_config(paths, options)
            cfg.check_tests = True  # blocking the tests run is what this run measures, test code included
            result = run(paths, options, cfg)
        except ConfigError as exc:
            raise pytest.UsageError(f"asynclint runtime: {exc}") from None
        except Exception as exc:  # a bug of ours must not cost the user's test run
            self.static_error = f"{type(exc).__name__}: {exc}"
            return None
        finally:
            self.static_seconds = time.perf_counter() - start
        self.diagnostics = list(result.diagnostics)
        if result.project is not None:
            from ..frameworks.fastapi import startup_coroutines

            self.startup = startup_coroutines(result.project, result.routes)
        self.config = getattr(result, "config", None)
        self.files_checked = result.files_checked
        return result

    def _is_project_module(self, name: str) -> bool:
        filename = getattr(sys.modules.get(name), "__file__", None)
        return bool(filename) and filename in self.project

    def start(self) -> None:
        from ..catalog import default_catalog

        result = self._static()
        cfg = getattr(result, "config", None)
        apis, stars = catalog_apis(default_catalog(), getattr(cfg, "extend_blocking", None))
        self.monitor = StepMonitor(self.recorder, self.project, self.options.threshold)
        detector = CallDetector(self.recorder, self.project, self.monitor.explain)
        self.instrumenter = Instrumenter(apis, stars, detector, self._is_project_module)
        self.instrumenter.scan()
        self.monitor.install()

    def stop(self) -> None:
        if self.monitor is not None:
            self.monitor.remove()
        if self.instrumenter is not None:
            self.instrumenter.restore()

    # ------------------------------------------------------------------ pytest hooks
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session) -> None:
        self.start()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session) -> None:
        self.instrumenter.scan()  # what the test modules imported

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        self.instrumenter.scan()
        self.recorder.start_phase(item.nodeid, "setup")
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        self.recorder.start_phase(item.nodeid, "call")
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item):
        self.recorder.start_phase(item.nodeid, "teardown")
        yield
        # events after teardown (session fixtures finishing at the end) belong to no test
        self.recorder.start_phase(None, None)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        if self.options.mode != "fail":
            return
        report = outcome.get_result()
        seen = [e for e, _ in self.recorder.phase_events if not in_startup(e, self.startup)] \
            if self.recorder.phase == report.when else []
        if not seen:
            return
        text = fail_text(seen)
        if report.passed:
            report.outcome = "failed"
            report.longrepr = text
        else:
            report.sections.append(("asynclint runtime", text))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session) -> None:
        self.stop()
        self.events = self.recorder.all()  # in order of first occurrence
        names = set(self.instrumenter.instrumented) if self.instrumenter else set()
        unpatchable = dict(self.instrumenter.unpatchable) if self.instrumenter else {}
        enabled = self.config.enabled_categories() if self.config is not None else None
        self.reconciliation = reconcile(self.diagnostics, self.events, names, self.static_base, unpatchable, enabled,
                                        self.startup)
        if self.options.report_path:
            write_json(self.options.report_path, to_json(self.reconciliation, self.events, self.info()))

    def info(self) -> RunInfo:
        ins = self.instrumenter
        return RunInfo(
            mode=self.options.mode,
            threshold=self.options.threshold,
            findings=len(self.diagnostics),
            files_checked=self.files_checked,
            static_seconds=self.static_seconds,
            static_error=self.static_error,
            instrumented=sorted(ins.instrumented) if ins else [],
            not_patchable=dict(ins.unpatchable) if ins else {},
        )

    def pytest_terminal_summary(self, terminalreporter, exitstatus, config) -> None:
        rec = self.reconciliation
        if rec is None:
            return
        title = (
            f"asynclint runtime: {len(rec.confirmed)} confirmed, {len(rec.runtime_only)} runtime only, "
            f"{len(rec.not_exercised)} not exercised" + (f", {len(rec.at_startup)} at startup" if rec.at_startup else "")
        )
        terminalreporter.write_sep("=", title)
        verbose = config.getoption("verbose") > 0
        for line in terminal_lines(rec, self.info(), verbose, self.options.report_path):
            terminalreporter.write_line(line)


def fail_text(events) -> str:
    lines = ["asynclint: the event loop was blocked during this test"]
    for ev in events:
        where = ev.anchor.where() if ev.anchor else "?"
        what = f"{ev.api}()" if ev.kind == "call" else "a slow step"
        route = f" [{ev.route or ev.request}]" if (ev.route or ev.request) else ""
        lines.append(f"{where}: {what} held the loop for {ev.duration * 1000:.1f} ms{route}")
        stack = list(reversed(ev.stack))  # most recent call last, as in a traceback
        first = next((i for i, f in enumerate(stack) if f.project), 0)
        if first:
            lines.append(f"    ... {first} frames of the test runner and the event loop")
        for f in stack[first:]:
            lines.append(f"    {'>' if f.project else ' '} {f.where()} in {f.function}")
        if ev.kind == "call":
            lines.append(f"      -> {ev.api}()")
    return "\n".join(lines)
