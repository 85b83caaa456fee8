"""Where asynclint's time goes: the stages of ``asynclint.engine.run``, timed one by one.

    python bench/profile.py CORPUS_DIR            # stage breakdown, cold and warm
    python bench/profile.py CORPUS_DIR --cprofile # plus the top functions of a cold run
    python bench/profile.py --imports             # import time of the CLI (python -X importtime)

The breakdown runs the stages serially in this process (no worker
processes), so the per-file parts add up: read, decode, ``ast.parse``, the
summary walk, noqa scan, content hash; then cache save, cache
load (entries verified) + stat lookups and decoding, link, analysis, suppressions, FastAPI
annotations, output formatting.  The wall time of ``engine.run`` itself
(with its worker processes) is measured alongside, cold and warm.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))


class Timer:
    def __init__(self):
        self.t = defaultdict(float)

    def add(self, key, dt):
        self.t[key] += dt

    def stage(self, key):
        timer = self

        class _Ctx:
            def __enter__(self):
                self.t0 = time.perf_counter()

            def __exit__(self, *exc):
                timer.add(key, time.perf_counter() - self.t0)

        return _Ctx()


def breakdown(corpus: str, jobs: int) -> None:
    from asynclint import engine
    from asynclint.cache.summaries import SummaryCache
    from asynclint.catalog import catalog_for
    from asynclint.discover import discover, find_project_root
    from asynclint.fix.kinds import mark_fixes
    from asynclint.frameworks import framework_findings
    from asynclint.fsio import decode_source
    from asynclint.model import ModuleSummary
    from asynclint.report import format_text
    from asynclint.summarize import summarize_bytes
    from asynclint.summarize.summarizer import _Summarizer, parse_noqa
    from asynclint.suppress import apply_suppressions

    T = Timer()
    os.chdir(corpus)
    shutil.rmtree(os.path.join(corpus, ".asynclint_cache"), ignore_errors=True)
    opts = engine.Options()
    with T.stage("config"):
        cfg = engine.resolve_config(["."], opts)
    with T.stage("discover"):
        root = find_project_root(".")
        found = discover(["."], root=root, exclude=cfg.exclude, extend_exclude=cfg.extend_exclude)
    files = found.files
    cache = SummaryCache(root, enabled=True)
    summaries = {}
    lines = 0
    nbytes = 0
    for f in files:
        with T.stage("stat"):
            st = os.stat(f.path)
        with T.stage("read"):
            with open(f.path, "rb") as fh:
                data = fh.read()
        nbytes += len(data)
        with T.stage("decode"):
            text = decode_source(data)
        with T.stage("ast.parse"):
            try:
                tree = ast.parse(text)
            except SyntaxError:
                tree = None
        if tree is None:
            with T.stage("parse fallback (LibCST)"):
                try:
                    s = summarize_bytes(data)[0]
                except Exception:
                    s = None
            if s is not None:
                summaries[f.path] = s
            continue
        with T.stage("summary walk"):
            s = ModuleSummary()
            _Summarizer(s).run(tree)
        with T.stage("noqa scan"):
            s.noqa = parse_noqa(text)
            s.lines = text.count("\n") + 1
        lines += s.lines
        with T.stage("sha256"):
            digest = SummaryCache.digest(data)
        with T.stage("cache store"):
            cache.store_summary(f.path, st, digest, s)
        summaries[f.path] = s
    with T.stage("cache save"):
        cache.save()
    size = os.path.getsize(cache.store.path)
    with T.stage("warm: cache load (verify entries)"):
        cache2 = SummaryCache(root, enabled=True)
    with T.stage("warm: stat + lookup (decode)"):
        for f in files:
            cache2.lookup_stat(f.path, os.stat(f.path))
    with T.stage("link: catalog"):
        catalog = catalog_for(cfg.extend_blocking, cfg.extend_offload)
    with T.stage("link: add modules"):
        from asynclint.link import build_project, modules_on_disk

        modules = modules_on_disk(files, summaries, {f.path for f in files}, found.context_dirs, root)
        project = build_project(catalog, modules)
    with T.stage("analyze"):
        analysis = engine.analyze(project, cfg.analyzed_categories())
    with T.stage("framework findings (routes)"):
        diags, _ = framework_findings(project, analysis, cfg)
    with T.stage("suppress"):
        diags, suppressed = apply_suppressions(diags, project, cfg)
    with T.stage("fix kinds + sort"):
        mark_fixes(diags)
        diags.sort(key=lambda d: (d.path, d.line, d.column, d.code))
    res = engine.Result(diags, [], len(summaries), project, analysis, cfg, suppressed)
    with T.stage("output (format_text)"):
        out = format_text(res, quiet=True)
    del out

    total_cold = sum(v for k, v in T.t.items() if not k.startswith("warm"))
    print(f"\n{corpus}: {len(files):,} files, {lines:,} lines, {nbytes / 1e6:.1f} MB; "
          f"{len(diags)} findings; cache file {size / 1e6:.1f} MB")
    print(f"\n{'stage (serial, in process)':34s} {'seconds':>9s} {'% cold':>7s}")
    for k, v in T.t.items():
        pct = "" if k.startswith("warm") else f"{v / total_cold * 100:6.1f}%"
        print(f"{k:34s} {v:9.3f} {pct:>7s}")
    print(f"{'total cold (serial)':34s} {total_cold:9.3f}")

    # the real thing, with worker processes
    shutil.rmtree(os.path.join(corpus, ".asynclint_cache"), ignore_errors=True)
    for label, use_cache in (("engine.run cold (cache written)", True), ("engine.run warm", True),
                             ("engine.run --no-cache", False)):
        t0 = time.perf_counter()
        engine.run(["."], engine.Options(use_cache=use_cache, jobs=jobs))
        print(f"{label:34s} {time.perf_counter() - t0:9.3f}")


def cprofile(corpus: str, jobs: int, warm: bool) -> None:
    import cProfile
    import pstats

    from asynclint import engine

    os.chdir(corpus)
    if not warm:
        shutil.rmtree(os.path.join(corpus, ".asynclint_cache"), ignore_errors=True)
    else:
        engine.run(["."], engine.Options(jobs=1))
    pr = cProfile.Profile()
    pr.enable()
    engine.run(["."], engine.Options(jobs=1))
    pr.disable()
    print(f"\ncProfile of a {'warm' if warm else 'cold'} engine.run (serial, jobs=1), top 25 by own time:")
    pstats.Stats(pr).sort_stats("tottime").print_stats(25)


def imports() -> None:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import asynclint.cli"],
                         capture_output=True, text=True)
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cum, name = line[len("import time:"):].split("|", 2)
        rows.append((int(cum), int(own), name.rstrip()))
    rows.sort(reverse=True)
    print("import asynclint.cli — cumulative import time, top 20 (µs):")
    for cum, own, name in rows[:20]:
        print(f"  {cum:8d} {own:8d}  {name}")
    for cmd in (["--version"], ["--help"]):
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "asynclint", *cmd], capture_output=True)
            times.append(time.perf_counter() - t0)
        times.sort()
        print(f"python -m asynclint {cmd[0]}: median {times[len(times) // 2] * 1000:.0f} ms")
    t0 = time.perf_counter()
    for _ in range(10):
        subprocess.run([sys.executable, "-c", "pass"], capture_output=True)
    print(f"bare interpreter start-up: {(time.perf_counter() - t0) * 100:.0f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--cprofile", action="store_true")
    ap.add_argument("--warm", action="store_true", help="with --cprofile: profile a warm run")
    ap.add_argument("--imports", action="store_true")
    args = ap.parse_args()
    if args.imports:
        imports()
    if args.corpus:
        corpus = os.path.abspath(args.corpus)
        if args.cprofile:
            cprofile(corpus, args.jobs, args.warm)
        else:
            breakdown(corpus, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
