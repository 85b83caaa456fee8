"""``asynclint explain PATH:LINE``: the full reasoning behind one finding."""

from __future__ import annotations

from ..categories import label_for


def _where(hop) -> str:
    return f"{hop.path}:{hop.line}" + (f":{hop.column}" if hop.column else "")


def explain_text(d, result) -> str:
    lines = [f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}"]
    if d.route:
        lines.append(f"  route: {d.route}")
    fn = result.project.functions.get(d.function) if result.project else None
    if fn is not None:
        s = fn.summary
        if s.is_async:
            lines.append(f"  runs on the event loop: {d.function} is an `async def` ({fn.module.display}:{s.line})")
        elif d.callback:
            lines.append(f"  runs on the event loop: {d.function} is a plain `def` ({fn.module.display}:{s.line}) that "
                         f"the loop runs as a callback ({d.callback}(...))")
        else:
            # one-time initialization (ASL401): a sync def that coroutines call
            reach = ""
            if d.callers:
                first = d.callers[0]
                more = f" (+{len(d.callers) - 1} more)" if len(d.callers) > 1 else ""
                reach = f", called from the coroutine {first.function} at {_where(first)}{more}"
            lines.append(f"  runs on the event loop: {d.function} is a plain `def` ({fn.module.display}:{s.line})"
                         f"{reach}")
    if d.code == "ASL301":
        lines.append("  it never awaits (no await, async for or async with), so nothing is gained by")
        lines.append("  declaring it async; as a plain def FastAPI would run it in its thread pool.")
    elif d.hops:
        lines.append("  why it blocks:")
        functions = result.project.functions if result.project else {}

        def is_async(q) -> bool:
            ref = functions.get(q)
            return ref is not None and ref.summary.is_async

        for i, hop in enumerate(d.hops):
            # a hop into a coroutine is awaited: the one-time initialization an async guard runs (ASL401)
            awaited = i + 1 < len(d.hops) and is_async(d.hops[i + 1].function)
            indent = "    " + "  " * i
            if hop.path is None:
                label = label_for(d.category, "blocking call")
                lines.append(f"{indent}{hop.text} is a blocking {label} (asynclint catalog: {hop.function})")
            elif hop.library:
                lines.append(f"{indent}{_where(hop)}  {hop.function} (library {hop.library}, read from its "
                             f"source) calls {hop.text}")
            else:
                kind = "" if i == 0 else " (an async def)" if is_async(hop.function) else " (a sync def)"
                how = "awaits" if awaited else "calls"
                note = " (runs once: one-time initialization)" if awaited else \
                    " (not awaited, not offloaded)" if i == 0 else ""
                lines.append(f"{indent}{_where(hop)}  {hop.function}{kind} {how} {hop.text}{note}")
    if d.suggestion:
        lines.append(f"  instead: {d.suggestion}")
    if d.fix:
        lines.append(f"  fix: {d.fix} (asynclint --fix{' --unsafe-fixes' if d.fix == 'unsafe' else ''})")
    lines.append(f"  more: asynclint rule {d.code}")
    return "\n".join(lines)
