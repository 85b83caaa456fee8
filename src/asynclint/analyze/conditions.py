"""When a sync function blocks only for some of its arguments.

A helper such as ``def get_secret(name): if name.startswith("oidc/"): open(...)``
blocks only for names that start with ``oidc/``; its callers mostly pass
literals such as ``get_secret("API_KEY")``.  Each call site carries the guards
on its function's parameters under which it runs (``CallSite.guards``); this
module combines them into the condition under which a function blocks, and
maps a callee's condition through the arguments of a call, so that a call
whose literal arguments rule every blocking path out is not a blocking call.

A condition is ``None`` (never blocks), ``TRUE`` (blocks whatever the
arguments), or a set of clauses, each a set of guards on the function's own
parameters: the function blocks when every guard of some clause holds.
A guard is ``(param, op, value, holds, chains)`` with op ``startswith``,
``in``, ``none``, ``truthy`` or ``isinstance`` (value: the classes' last names); ``chains`` are the string normalisations the
function may have applied to the parameter before the test
(``x = x.replace("os.environ/", "")`` in one branch), replayed on literals.  Anything not known (a non-literal argument, ``**kw``)
counts as "may hold", so pruning only ever removes what is certain.
"""

from __future__ import annotations

from typing import Optional

TRUE = frozenset({frozenset()})
MAX_CLAUSES = 8


def evaluate(guard, value) -> bool:
    """Can the guard hold for this literal argument (after any of the parameter's normalisations)?"""
    chains = guard[4]
    if isinstance(value, str) and chains != frozenset({()}):
        return any(_holds(guard, _normalise(value, chain)) for chain in chains)
    return _holds(guard, value)


def _normalise(value: str, chain) -> str:
    for method, args in chain:
        value = getattr(value, method)(*args)
    return value


def _holds(guard, value) -> bool:
    _, op, expected, holds, _ = guard
    if op == "startswith":
        result = isinstance(value, str) and value.startswith(expected)
    elif op == "in":
        result = value in expected
    elif op == "none":
        result = value is None
    elif op == "isinstance":
        result = bool(_SUPERTYPES.get(type(value).__name__, frozenset()) & set(expected))
    else:  # truthy
        result = bool(value)
    return result == holds


# a class -> the names isinstance() accepts it as (only types whose answer is certain)
_SUPERTYPES = {
    "str": frozenset({"str"}), "bytes": frozenset({"bytes"}), "bytearray": frozenset({"bytearray"}),
    "int": frozenset({"int"}), "float": frozenset({"float"}), "bool": frozenset({"bool", "int"}),
    "NoneType": frozenset({"NoneType"}), "dict": frozenset({"dict"}), "list": frozenset({"list"}),
    "memoryview": frozenset({"memoryview"}),
    "Path": frozenset({"Path", "PurePath", "PathLike"}), "PurePath": frozenset({"PurePath", "PathLike"}),
    "BytesIO": frozenset({"BytesIO", "IOBase", "BufferedIOBase"}),
}


def _annotated_holds(guard, expr) -> Optional[bool]:
    """An ``isinstance`` guard on an argument that is an annotated parameter (``contents: bytes``):
    does it hold, when the annotation is one of the plain types above? None if not known."""
    if guard[1] != "isinstance" or expr[0] != "alt" or expr[1][0] != "i":
        return None
    ann = expr[1][1]
    name = ann[1] if ann[0] == "g" else ann[2] if ann[0] == "a" else None
    accepted = _SUPERTYPES.get(name)
    if accepted is None:
        return None
    return bool(accepted & set(guard[2])) == guard[3]


def parameter_name(expr) -> Optional[str]:
    """The caller's parameter an argument expression is, if it is one (typed or not)."""
    if expr[0] == "p":
        return expr[1]
    if expr[0] == "alt" and expr[2][0] == "p":
        return expr[2][1]
    return None


def call_arguments(site, params, offset: int) -> Optional[dict]:
    """The literal or parameter expressions a call passes, by the callee's parameter names."""
    if any(k == "**" for k, _ in site.kwargs):
        return None
    positional = [p for p in params if p.kind == "pos"][offset:]
    out = {}
    for p, a in zip(positional, site.args):
        if a is None:
            break  # *args or an expression we do not keep: positions after it are unknown
        out[p.name] = a
    else:
        # parameters not passed take their default
        passed = len(site.args)
        for p in positional[passed:]:
            if p.default is not None:
                out[p.name] = p.default
    for name, a in site.kwargs:
        if a is not None:
            out[name] = a
    for p in params:
        if p.kind == "kwonly" and p.name not in out and p.default is not None:
            out[p.name] = p.default
    return out


def through_call(cond, site, params, offset: int, caller_params: frozenset):
    """The callee's condition, as a condition on the caller's parameters at this call site."""
    if cond is None or cond == TRUE:
        return cond
    args = call_arguments(site, params, offset)
    if args is None:
        return TRUE
    clauses = set()
    for clause in cond:
        mapped, possible = set(), True
        for guard in clause:
            a = args.get(guard[0])
            if a is None:
                continue  # not known here: may hold
            if a[0] in ("s", "k"):
                if not evaluate(guard, a[1]):
                    possible = False
                    break
            elif (decided := _annotated_holds(guard, a)) is not None:
                if not decided:
                    possible = False
                    break
            else:
                name = parameter_name(a)
                if name is not None and name in caller_params:
                    mapped.add((name,) + guard[1:])  # passed on unchanged: same test, same normalisations
        if possible:
            if not mapped:
                return TRUE
            clauses.add(frozenset(mapped))
    if not clauses:
        return None
    return frozenset(clauses) if len(clauses) <= MAX_CLAUSES else TRUE


def both(guards, cond):
    """``cond`` under the site's own guards (a conjunction)."""
    if cond is None or not guards:
        return cond
    return frozenset(frozenset(clause | set(guards)) for clause in cond)


def either(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a == TRUE or b == TRUE:
        return TRUE
    joined = a | b
    return joined if len(joined) <= MAX_CLAUSES else TRUE
