"""The linked project: its tables (``index``), its classes (``hierarchy``) and the values of its
expressions (``values``), with the catalog they were linked against."""

from __future__ import annotations

from ..catalog import Catalog
from .evaluate import Evaluator
from .index import FunctionRef, ModuleInfo, ProjectIndex

__all__ = ["FunctionRef", "ModuleInfo", "Project"]


class Project:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.index = ProjectIndex()
        self.values = Evaluator(self.index, catalog)
        self.hierarchy = self.values.hierarchy
        # the tables every stage reads
        self.modules = self.index.modules
        self.functions = self.index.functions
        self.classes = self.index.classes
        self.libraries = None  # the environment's library loader, when one is attached
        # the configuration's check-tests: test code is checked as the program's own, and what its
        # coroutines reach counts as what the program's do (``analyze.findings.async_callers``)
        self.check_tests = False
        # memos of whole-project passes over call sites (``analyze.entries``), by the object they read:
        # id -> (the object, what was derived from it); an edit gives a module a new summary
        self.test_memo: dict = {}  # id(ModuleInfo) -> (info, summary, name, is test code)
        self.call_names = None  # analyze.entries.ProjectSites, kept current as modules change

    def add_module(self, info: ModuleInfo, aliases: bool = True) -> None:
        self.index.add_module(info, aliases)

    def track(self, tracker) -> None:
        """Record what is read from now on (``deps``): the tables become tracked, and so do the globals
        of every module added after this."""
        from .deps import TrackedDict

        index = self.index
        index.modules = self.modules = TrackedDict(index.modules, "mod", tracker)
        index.functions = self.functions = TrackedDict(index.functions, "fn", tracker)
        index.classes = self.classes = TrackedDict(index.classes, "cls", tracker)
        index.tracker = tracker
        self.values.tracker = self.hierarchy.tracker = tracker

    def is_test(self, info: ModuleInfo) -> bool:
        """``link.build.is_test_module``, remembered while the module keeps its name and summary (read as
        the fact ``("test", path)``: an edit that makes it import pytest, or stop, changes it)."""
        tracker = self.index.tracker
        if tracker is not None:
            tracker.note(("test", info.path))
        got = self.test_memo.get(id(info))
        if got is not None and got[1] is info.summary and got[2] == info.name:
            return got[3]
        from .build import is_test_module

        value = is_test_module(info)
        self.test_memo[id(info)] = (info, info.summary, info.name, value)
        return value

    def unique_modules(self) -> list:
        return self.index.unique_modules()

    def ev(self, e, mod: ModuleInfo):
        """The value of a summary expression written in ``mod`` (see ``link.values``), or None."""
        return self.values.ev(e, mod)
