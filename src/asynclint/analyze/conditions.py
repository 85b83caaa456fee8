"""When a sync function blocks only on some paths, and whether a given call can take them.

A helper such as ``def get_secret(name): if name.startswith("oidc/"): open(...)``
blocks only for names that start with ``oidc/``; ``Video.get_content_bytes()``
opens a file only when ``self.content`` is empty; ``SqliteDb(db_engine=e)``
resolves a path only when no engine is passed. Each call site carries
(``CallSite.guards``) the tests its function made before reaching it, and
(``CallSite.facts``) what the function itself stored just before the call;
this module combines them into the condition under which a function blocks,
and maps a callee's condition through a call, so that a call whose arguments
or state rule every blocking path out is not a blocking call.

A condition is ``None`` (never blocks), ``TRUE`` (blocks whatever the
state), or a set of clauses, each a set of guards: the function blocks when
every guard of some clause holds. A guard is ``(subject, op, value, holds,
chains)``:

- ``subject``: a parameter (``"name"``), an attribute of one (``"self.content"``,
  ``"db.engine"``: ``self`` always names a method's receiver), or an
  environment variable (``"env:DEBUG"``); a guard on the entry state of the
  function (what the caller passes and holds);
- ``op``: ``startswith`` (value: prefixes), ``contains`` (value: substrings,
  ``":memory:" in url``), ``in`` (value: a tuple of literals), ``none``, ``truthy``, ``isinstance`` (value: the classes' last
  names) or ``memory`` (an in-memory file such as ``io.BytesIO``: a file
  access to a parameter blocks only when it is not one); ``holds``: whether
  the test is true;
- ``chains``: the string normalisations the function may have applied to
  the parameter before the test (``x = x.replace("a", "b")`` in one branch),
  replayed on literal arguments.

A call site's own guards may also hold an ``any`` guard, ``("", "any", disjuncts,
True, RAW)``: the test ``a or b`` held (or ``a and b`` did not), and each
disjunct is the tuple of guards one way of it implies. ``both`` expands it
into one clause per disjunct, so conditions hold only plain guards.

A guard on the receiver's state at a method call on an object built at one
place with known arguments (a module global ``logger = Logger(verbose=True)``,
``self.logger = Logger()``) is decided by the literal the attribute holds
(``analyze.held``): ``if self.log_file:`` does not hold for ``log_file=None``.

A fact is a guard on the state at the call (``self.x = Client()`` before it:
``("self.x", "none", None, False, ...)``), or ``(subject, "dirty", ...)``
when the function changed the subject in a way that is not known.

An argument made by a project class's constructor (``Typed``: directly,
returned by a function every ``return`` of which makes one, of one class or of
several that agree on the builtin types among their bases, or ``self.attr``
whose one store makes one) answers an ``isinstance`` test on a builtin type
(``isinstance(callback, str)``) from the classes it is an instance of; so does one made by
``typing.cast(T, x)`` of a project class ``T``, and one that is certainly a ``str`` (an f-string,
``data.decode()``, ``str(x)``: ``propagate.TEXT``). Anything
not known (a non-literal argument, a parameter ``**kw`` may pass because the
call does not write it, a declared type, which may leave out the rest of a
union) counts as "may hold", so pruning only ever removes paths that cannot run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

TRUE = frozenset({frozenset()})
MAX_CLAUSES = 8
RAW = frozenset({()})  # the parameter as passed, no normalisation
NOT_NONE = object()  # an argument known not to be None, of no known value
MEMORY = object()  # an argument known to be an in-memory file (io.BytesIO / io.StringIO)
NONEMPTY = object()  # an argument known to be truthy (a non-empty list or tuple literal)


@dataclass(frozen=True, slots=True)
class Typed:
    """An argument known to be an instance of a project class: the last names of every class in its
    MRO (all of them known), and whether it is known not to be None (not a declared ``Optional``)."""

    names: frozenset
    not_none: bool


# builtin types a project class is an instance of only when one of its bases says so
PLAIN_TYPES = frozenset({"str", "bytes", "bytearray", "int", "float", "complex", "bool", "dict", "list", "tuple",
                         "set", "frozenset", "memoryview", "NoneType"})


# ------------------------------------------------------------------ evaluation
def evaluate(guard, value) -> Optional[bool]:
    """Can the guard hold for this argument value (after any of the parameter's normalisations)?
    ``NOT_NONE`` answers only the ``none`` test; None means "cannot tell"."""
    if type(value) is Typed:
        if guard[1] == "isinstance":
            expected = set(guard[2])
            if value.names & expected:
                return guard[3]
            # (a test for a class of the project or a library: an instance of a subclass may pass it)
            return (not guard[3]) if expected <= PLAIN_TYPES else None
        return (not guard[3]) if guard[1] == "none" and value.not_none else None
    if value is NOT_NONE or value is MEMORY or value is NONEMPTY:
        if guard[1] == "memory":
            return (value is MEMORY) == guard[3]
        if guard[1] == "truthy" and value is NONEMPTY:
            return guard[3]
        return (not guard[3]) if guard[1] == "none" else None
    if guard[1] == "contains" and not isinstance(value, str):
        return None  # (a literal of another kind: what `in` does with it is not this test)
    chains = guard[4]
    if isinstance(value, str) and chains != RAW:
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
    elif op == "contains":
        result = isinstance(value, str) and any(e in value for e in expected)
    elif op == "in":
        # of the same type too: ``flag is False`` does not hold for 0, though ``0 in (False,)`` does
        result = any(value == e and type(value) is type(e) for e in expected)
    elif op == "none":
        result = value is None
    elif op == "memory":
        result = False  # a literal is no in-memory file
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


def contradicts(a, b) -> bool:
    """Can these two guards on the same subject not both hold?"""
    if a[0] != b[0]:
        return False
    (_, op1, v1, h1, c1), (_, op2, v2, h2, c2) = a, b
    if op1 == op2 and v1 == v2 and c1 == c2:
        return h1 != h2
    if c1 != RAW or c2 != RAW:
        return False  # tests on differently normalised values: cannot tell
    for x, y in ((a, b), (b, a)):
        _, opx, vx, hx, _ = x
        _, opy, vy, hy, _ = y
        if opx == "none" and hx:
            # None: falsy, in no tuple of strings, starts with nothing
            if opy == "truthy" and hy or opy in ("in", "startswith", "contains") and hy and None not in vy:
                return True
        if opx == "truthy" and not hx and hy and (
                opy in ("in", "startswith", "contains") and all(vy)):
            return True  # empty, yet one of these non-empty values
        if opx == "truthy" and hx and hy and opy == "in" and not any(vy):
            return True  # set, yet False (or "")
        if opx == "in" and hx and opy == "in":
            if hy and not set(vx) & set(vy) or not hy and set(vx) <= set(vy):
                return True
    return False


def consistent(clause) -> bool:
    guards = list(clause)
    return not any(contradicts(g, h) for i, g in enumerate(guards) for h in guards[i + 1:])


# ---------------------------------------------------------------- arguments
def parameter_name(expr) -> Optional[str]:
    """The caller's parameter an argument expression is, if it is one (typed or not)."""
    if expr[0] == "p":
        return expr[1]
    if expr[0] == "alt" and expr[2][0] == "p":
        return expr[2][1]
    return None


def subject_of(expr) -> Optional[str]:
    """The caller's subject an argument or receiver expression is: ``"name"`` for a parameter,
    ``"self"`` for the receiver, ``"name.attr"``/``"self.attr"`` for an attribute of one."""
    if expr is None:
        return None
    if expr[0] == "self":
        return "self"
    name = parameter_name(expr)
    if name is not None:
        return name
    if expr[0] == "a":
        base = subject_of(expr[1])
        if base is not None and base.count(".") < 2:
            return f"{base}.{expr[2]}"
    return None


def call_arguments(site, params, offset: int) -> dict:
    """The literal or parameter expressions a call passes, by the callee's parameter names. With
    ``**kw`` unpacked into the call, what it passes by position or by name is still that argument
    (Python rejects a second value for it); only the defaults of the rest are not known. An argument
    whose expression is not kept (``a if c else b``) leaves the positions of the others as they are;
    ``*args`` unpacked (``("*", None)`` in the keywords) leaves those after it unknown."""
    unpacked = any(k == "**" for k, _ in site.kwargs)
    shifted = any(k == "*" for k, _ in site.kwargs)
    positional = [p for p in params if p.kind == "pos"][offset:]
    out = {}
    for p, a in zip(positional, site.args):
        if a is None:
            if shifted:
                break  # maybe where *args is: the positions after it are not known
            continue  # passed, of no known value: it may hold any test
        out[p.name] = a
    else:
        if not unpacked and not shifted:
            # parameters not passed take their default
            passed = len(site.args)
            for p in positional[passed:]:
                if p.default is not None:
                    out[p.name] = p.default
    for name, a in site.kwargs:
        if a is not None and name != "**":
            out[name] = a
    if not unpacked:
        for p in params:
            if p.kind == "kwonly" and p.name not in out and p.default is not None:
                out[p.name] = p.default
    return out


def receiver_subject(site, params, offset: int) -> Optional[str]:
    """The caller's subject for the callee's ``self`` on a bound method call (``self.x.f()``)."""
    if offset != 1 or not params or site.callee[0] != "a":
        return None
    return subject_of(site.callee[1])


# ------------------------------------------------------------------- mapping
def through_call(cond, site, params, offset: int, caller_subjects, known=None, constructor: bool = False,
                 held=None):
    """The callee's condition, as a condition on the caller's entry state at this call site.

    ``caller_subjects(subject)`` says whether a subject is one of the caller's (a parameter, an
    attribute of one, the receiver's, an environment variable); ``known(expr)`` returns
    ``NOT_NONE`` for an argument known not to be None (a constructed object, a non-optional value),
    else None. For a ``constructor`` call, the callee's ``self`` is the new object: nothing the caller
    knows. ``held(attr)``: the literal an attribute of the receiver holds, when the receiver is no
    subject of the caller's but an object built with known arguments (``analyze.held``), else None."""
    if cond is None or cond == TRUE:
        return cond
    # (``**kw`` may pass any parameter not written in the call: a test of one may hold; a test of the
    # receiver's state or of the environment is mapped as for any call: ``self._log(level, msg, **kw)``)
    args = call_arguments(site, params, offset)
    receiver = None if constructor else receiver_subject(site, params, offset)
    self_name = params[0].name if offset == 1 and params else None
    facts = {}
    for f in site.facts:
        facts.setdefault(f[0], []).append(f)
    clauses = set()
    for clause in cond:
        mapped, possible = set(), True
        for guard in clause:
            subject = guard[0]
            root, dot, attr = subject.partition(".")
            if root.startswith("env:"):
                target = subject
            elif root == "self" or root == self_name:
                target = f"{receiver}.{attr}" if receiver is not None and dot else None
                if dot and held is not None and offset == 1 and not constructor and target not in facts \
                        and (value := held(attr)) is not None:
                    if not evaluate(guard, value[1]):
                        possible = False
                        break
                    continue
            else:
                a = args.get(root)
                if a is None:
                    continue  # not known here: may hold
                if not dot and a[0] in ("s", "k"):
                    if not evaluate(guard, a[1]):
                        possible = False
                        break
                    continue
                if not dot and (decided := _annotated_holds(guard, a)) is not None:
                    if not decided:
                        possible = False
                        break
                    continue
                if not dot and known is not None and (fact := known(a)) is not None:
                    verdict = evaluate(guard, fact)
                    if verdict is False:
                        possible = False
                        break
                    if verdict is True:
                        continue
                base = subject_of(a)
                target = f"{base}{dot}{attr}" if base is not None else None
            if target is None:
                continue
            # what the caller stored just before the call decides it
            if target in facts:
                verdict = _against_facts(guard, facts[target])
                if verdict is False:
                    possible = False
                    break
                continue
            if caller_subjects(target):
                mapped.add((target,) + guard[1:])  # the same test, on the caller's entry state
        if possible and consistent(mapped):
            if not mapped:
                return TRUE
            clauses.add(frozenset(mapped))
    if not clauses:
        return None
    return frozenset(clauses) if len(clauses) <= MAX_CLAUSES else TRUE


def _against_facts(guard, facts) -> Optional[bool]:
    """False when the facts rule the guard out, True when they satisfy it, None when unknown."""
    for f in facts:
        if f[1] == "dirty":
            return None
        if contradicts(guard, f):
            return False
        if f[1:4] == guard[1:4]:
            return True
    return None


def both(guards, cond):
    """``cond`` under the site's own guards (a conjunction, in which an ``any`` guard holds when every
    guard of one of its disjuncts does); clauses that cannot hold are dropped."""
    if cond is None or not guards:
        return cond
    plain = frozenset(g for g in guards if g[1] != "any")
    ways = [plain]
    for g in guards:
        if g[1] == "any":
            ways = [w | set(d) for w in ways for d in g[2]]
            if len(ways) > MAX_CLAUSES:
                ways = [plain]  # too many ways: without the disjunctions (a weaker condition)
                break
    out = frozenset(c for c in (clause | way for clause in cond for way in ways) if consistent(c))
    if len(out) > MAX_CLAUSES:
        out = frozenset(c for c in (clause | plain for clause in cond) if consistent(c))
    return out or None


def either(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a == TRUE or b == TRUE:
        return TRUE
    joined = a | b
    return joined if len(joined) <= MAX_CLAUSES else TRUE
