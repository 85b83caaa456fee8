"""The summary cache's cost: the authenticated store against the pickle it replaced.

    python bench/cache_formats.py CORPUS_DIR [--repeat 3]

Summarizes every file of the corpus once, then times, on the same summaries
(CPU time, best of ``--repeat``, the collector paused as the tool does):

- encode: every summary to bytes (the store's positional tuples in ``marshal``;
  pickle with the class reducers the old cache used);
- save: the whole cache file written (store: entries tagged with HMAC-SHA256;
  pickle: one dump of the digest -> bytes mapping);
- load: the file read back (store: every tag checked) and every summary decoded;
- shared: how many objects of the decoded summaries are shared (referenced more
  than once); the link stage's memo is keyed by identity, so a format that
  copies them (msgpack, JSON: measured too when msgpack is installed) makes a
  warm run slower.

Nothing here is a test; the numbers go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import copyreg
import dataclasses
import gc
import io
import operator
import os
import pickle
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from asynclint.cache.store import Store  # noqa: E402
from asynclint.cache.summaries import NAMESPACE, SummaryCache, decode_summary, encode_summary  # noqa: E402
from asynclint.model import CallSite, ClassSummary, FunctionSummary, ModuleSummary, Param  # noqa: E402
from asynclint.summarize import summarize_bytes  # noqa: E402


def _pickler():
    """The old cache's pickling: each summary object as ``Class(*fields)``."""
    table = copyreg.dispatch_table.copy()
    for cls in (CallSite, Param, FunctionSummary, ClassSummary, ModuleSummary):
        fields = operator.attrgetter(*(f.name for f in dataclasses.fields(cls)))
        table[cls] = (lambda c, f: (lambda obj: (c, f(obj))))(cls, fields)

    def dumps(obj):
        buf = io.BytesIO()
        p = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
        p.dispatch_table = table
        p.dump(obj)
        return buf.getvalue()

    return dumps


def _fields(obj):
    return [getattr(obj, f.name) for f in dataclasses.fields(obj)]


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        gc.disable()
        t = time.process_time()
        out = fn()
        times.append(time.process_time() - t)
        del out
        gc.enable()
        gc.collect()
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    summaries = {}
    lines = 0
    for dirpath, dirnames, filenames in os.walk(args.corpus):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.endswith(".py"):
                with open(os.path.join(dirpath, name), "rb") as fh:
                    data = fh.read()
                summary, _ = summarize_bytes(data)
                if summary is not None:
                    summaries[SummaryCache.digest(data)] = summary
                    lines += summary.lines
    print(f"{len(summaries)} files, {lines:,} lines")
    items = list(summaries.items())
    dumps = _pickler()

    with tempfile.TemporaryDirectory() as work:
        os.environ["XDG_CACHE_HOME"] = os.path.join(work, "user")
        blobs = {k: encode_summary(s) for k, s in items}
        pickles = {k: dumps(s) for k, s in items}

        def save_store():
            store = Store(work, "s.cache", NAMESPACE, project=False, load=False)
            for k, blob in blobs.items():
                store.put(k, blob)
            store.save()

        def load_store():
            store = Store(work, "s.cache", NAMESPACE, project=False)
            return [decode_summary(store.get(k)) for k in store.keys()]

        def save_pickle():
            with open(os.path.join(work, "s.pickle"), "wb") as fh:
                pickle.dump({"by_hash": pickles}, fh, protocol=pickle.HIGHEST_PROTOCOL)

        def load_pickle():
            with open(os.path.join(work, "s.pickle"), "rb") as fh:
                data = pickle.load(fh)
            return [pickle.loads(b) for b in data["by_hash"].values()]

        def shared(decoded):
            seen, dup, stack = set(), 0, list(decoded)
            while stack:
                obj = stack.pop()
                if dataclasses.is_dataclass(obj):
                    stack.extend(_fields(obj))
                elif isinstance(obj, (tuple, list)):
                    if id(obj) in seen:
                        dup += 1
                        continue
                    seen.add(id(obj))
                    stack.extend(obj)
                elif isinstance(obj, dict):
                    stack.extend(obj.values())
            return dup

        rows = [
            ("encode every summary", best(lambda: [encode_summary(s) for _, s in items], args.repeat),
             best(lambda: [dumps(s) for _, s in items], args.repeat)),
            ("save the cache file", best(save_store, args.repeat), best(save_pickle, args.repeat)),
            ("load + decode every summary", best(load_store, args.repeat), best(load_pickle, args.repeat)),
        ]
        decoded = load_store()
        assert decoded == [s for _, s in items]
        shares = [shared(decoded), shared(load_pickle())]
        try:
            import msgpack
        except ImportError:
            msgpack = None
        if msgpack is not None:
            from asynclint.cache.summaries import _class, _function, _site

            def as_tuples(m):
                return (m.globals, m.star_imports, tuple(map(_function, m.functions.values())),
                        tuple(map(_class, m.classes.values())), tuple(map(_site, m.module_calls)), m.lines)

            packed = [msgpack.packb(as_tuples(s), default=lambda o: tuple(o) if isinstance(o, frozenset) else str(o))
                      for _, s in items]
            mp_load = best(lambda: [msgpack.unpackb(b, use_list=False, strict_map_key=False) for b in packed],
                           args.repeat)
            mp_shared = shared([msgpack.unpackb(b, use_list=False, strict_map_key=False) for b in packed])
        size_store = os.path.getsize(os.path.join(work, "s.cache"))
        size_pickle = os.path.getsize(os.path.join(work, "s.pickle"))
    print(f"{'':32} {'store':>9} {'pickle':>9}")
    for name, new, old in rows:
        print(f"{name:32} {new:8.3f}s {old:8.3f}s")
    print(f"{'file size':32} {size_store / 1e6:7.1f}MB {size_pickle / 1e6:7.1f}MB")
    print(f"{'shared objects after decoding':32} {shares[0]:9,} {shares[1]:9,}")
    if msgpack is not None:
        print(f"msgpack, for comparison: decoding alone {mp_load:.3f}s, shared objects after decoding {mp_shared:,}")


if __name__ == "__main__":
    main()
