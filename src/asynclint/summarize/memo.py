"""One-time initialization: code that runs on the first call only.

A lazily built singleton blocks once per process, not once per request, so
its blocking is reported once, at the initializer, instead of at every
caller. This module recognises the usual shapes on the syntax tree:

- a test that the cached value is not there yet, whose body stores it::

      if _client is None:            # or: if not _initialized / if key not in CACHE / == None
          _client = make_client()    #     (the body assigns the tested name)

  or calls, one call deep, a method of the class that assigns the tested ``self`` attribute, or a
  function of the module that declares the tested global and assigns it
  (``Summarizer.method_stores``, ``function_stores``);

  also when the test goes on to retry a value built in part (``if x is None
  or x.model is None:``, ``or not x.thread.is_alive()``: the rest tests that a part of ``x`` is
  missing or dead);

- a test that the cached value is there, whose ``else`` branch stores it::

      if key in CACHE:
          value = CACHE[key]
      else:
          value = CACHE[key] = load(key)

- a test of the key the value was built for, kept beside it, whose body stores the new key
  (once per process, loop or version: ``stamp_test``, ``stamped``)::

      if _token_pid != pid:          # pid = os.getpid()
          _token = read_token(pid)
          _token_pid = pid

- a test that the cached client was closed, whose body builds another (``if self._client.is_closed:
  self._client = make()``), also after other conditions (``if self._owns and self._client.is_closed:``):
  not even once on the normal path, since the value was built before (``rebuilt_when_closed``);

- an early return of the cached value, with the code after it storing it::

      if self._config is not None:   # or: if key in CACHE / if cached: return cached
          return self._config
      self._config = load()

- a search of a registry that returns what it finds, with the code after it appending the entry::

      for cb in LOGGERS:
          if isinstance(cb, AgentOps):
              return cb
      LOGGERS.append(AgentOps())     # once per kind of entry (``registry_lookup``)

- a test that a key was seen, with the code after it (or the ``else`` branch) adding it to the set
  or list of keys seen: the rest runs once per key::

      if (role, name) in _SEEN:
          return
      _SEEN.add((role, name))
      append_audit_line(role, name)

  not when the module takes keys out of that set again (``discard``, ``remove``, ``clear``): a set of
  the keys in flight, not of those done;

- a memoizing decorator (``functools.cache``, ``lru_cache``, ``cached_property``,
  ``cachetools.cached``);

- installing a missing package: ``if not importlib.util.find_spec(pkg): <pip
  install>``, or an ``except ImportError:`` block: once installed, the test
  or the import no longer fails.

The cached value is a module global (declared ``global`` in the function), an
attribute of ``self``/``cls`` or of a module-level name, or an entry of a
dict kept in one of those.

A test is not one-time when the function stored into or cleared that cache
before it (``CACHE.pop(key)`` then ``if key in CACHE:``): it is re-armed on
every call. Nor when the code after it sets a flag to a constant only under a
condition that does not test the flag (``if full: _cap_reached = True``): a
latch, tested again on every call until the state is seen (``latched_when``).
"""

from __future__ import annotations

import ast
from typing import Callable, Optional

from . import nodes

MEMO_DECORATORS = frozenset({"cache", "lru_cache", "cached_property", "cached", "memoize", "memoized",
                             "cache_resource", "cache_data"})

# an attribute saying a cached client can no longer be used (httpx ``is_closed``, files' ``closed``)
_CLOSED = frozenset({"is_closed", "closed"})

# a cache key: ("name", x) for a global, ("attr", base name, attr) for self.x / cls.x / Mod.x
Subject = tuple


def decorator_memoizes(decorators) -> bool:
    for d in decorators:
        node = d.func if isinstance(d, ast.Call) else d
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
        if name in MEMO_DECORATORS:
            return True
    return False


def _subject(node: ast.AST, is_cache_holder: Callable[[str], bool]) -> Optional[Subject]:
    """The cache a bare expression names: a global, or an attribute of self/cls/a module-level name."""
    if isinstance(node, ast.Name) and is_cache_holder(node.id):
        return ("name", node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and is_cache_holder(node.value.id):
        return ("attr", node.value.id, node.attr)
    return None


def tested_subject(test: ast.AST, is_cache_holder, aliases: dict):
    """(subject, present) when ``test`` checks whether a cache holds its value: ``present`` is True
    for ``x is not None`` / ``x`` / ``key in CACHE``, False for ``x is None`` / ``not x`` /
    ``key not in CACHE``. ``aliases`` maps local names to the subject they were read from
    (``cached = CACHE.get(key)``)."""
    present = True
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, present = test.operand, not present
    if isinstance(test, ast.Name) and test.id in aliases:
        return aliases[test.id], present
    subj = _subject(test, is_cache_holder)
    if subj is not None:
        return subj, present
    if isinstance(test, ast.Attribute) and test.attr in _CLOSED:
        # `if self._client.is_closed: self._client = make()`: rebuilt once after each close
        subj = _subject(test.value, is_cache_holder)
        if subj is not None:
            return subj, not present
    if isinstance(test, ast.BoolOp) and len(test.values) > 1:
        if isinstance(test.op, ast.And) and present:
            # `if self._owns and self._client.is_closed:`: the body runs only when the value is missing
            for v in test.values:
                found = tested_subject(v, is_cache_holder, aliases)
                if found is not None and not found[1] and found[0] != ("installed",):
                    return found
        # `x is None or x.model is None`: missing, or built in part (retried); `x is not None and x.model`
        first = tested_subject(test.values[0], is_cache_holder, aliases)
        missing = isinstance(test.op, ast.Or)
        if first is not None and first[1] != missing and first[0] != ("installed",) and all(
                _part_tested(v, test.values[0], missing) for v in test.values[1:]):
            return first[0], present == first[1]
        return None
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, left, right = test.ops[0], test.left, test.comparators[0]
        if _none_test(op, right) is not None:
            subj = aliases.get(left.id) if isinstance(left, ast.Name) and left.id in aliases else \
                _subject(left, is_cache_holder)
            if subj is not None:
                return subj, present == _none_test(op, right)
        if isinstance(op, (ast.In, ast.NotIn)):
            subj = _subject(right, is_cache_holder)
            if subj is not None:
                return subj, present == isinstance(op, ast.In)
        if stamp_test(test):
            # `if _PID != pid:` (the body stores `_PID = pid`, see stamped): built for another key
            subj = _subject(left, is_cache_holder)
            if subj is not None:
                return subj, present == isinstance(op, (ast.Eq, ast.Is))
    if isinstance(test, ast.Call) and _last(test.func) == "find_spec":
        # importlib.util.find_spec(pkg): installing the package (what the body does) makes it true
        return ("installed",), present
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.IsNot)) \
            and isinstance(test.left, ast.Call) and _last(test.left.func) == "find_spec":
        return ("installed",), present == isinstance(test.ops[0], ast.IsNot)
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "hasattr" \
            and len(test.args) == 2 and isinstance(test.args[1], ast.Constant) and isinstance(test.args[0], ast.Name) \
            and is_cache_holder(test.args[0].id) and isinstance(test.args[1].value, str):
        return ("attr", test.args[0].id, test.args[1].value), present
    return None


def stamp_test(test: ast.AST) -> bool:
    """``stamp != current`` (or ``==``, ``is``, ``is not``), ``current`` a local or a call
    (``_MY_PID != os.getpid()``, ``self._loop is not asyncio.get_running_loop()``): a test of the key
    a value was built for, kept beside it. Not against None or a literal (``if self._pending != 0:``
    tests a counter, not a stamp)."""
    return type(test) is ast.Compare and len(test.ops) == 1 \
        and type(test.ops[0]) in (ast.Eq, ast.NotEq, ast.Is, ast.IsNot) \
        and type(test.comparators[0]) in (ast.Name, ast.Call)


def stamped(stmts, test: ast.Compare) -> bool:
    """Do these statements (not nested functions or classes) store the current key into the stamp
    ``test`` compares it with (``_MY_PID = pid`` under ``if _MY_PID != pid:``)? Then what they
    build runs once per key (a process after a fork, an event loop, a file's version)."""
    stamp, current = _written(test.left), ast.dump(test.comparators[0])
    return any(type(node) is ast.Assign and ast.dump(node.value) == current
               and any(_written(t) == stamp for t in node.targets) for node in nodes.in_scope(stmts))


def records_argument(stmts, test: ast.Compare, params, is_cache_holder) -> bool:
    """Is ``test`` a check that a parameter's value changed (``if self.bot_data == data: return``),
    whose statements store nothing kept from call to call but that value into the stamp
    (``self.bot_data = data``, then ``self._dump(self.bot_data)``)? A save-on-change: what the
    statements do runs for every new value the callers pass, not once per key (a once-per-key cache
    stores the value it built beside the key: ``self._model = load(name); self._model_name = name``)."""
    current = test.comparators[0]
    if type(current) is not ast.Name or current.id not in params:
        return False
    stamp = _written(test.left)
    adds = ("setdefault", "update") + SEEN_ADDS
    return not any(subject[1:] != stamp for node in nodes.in_scope(stmts)
                   for subject in _stored_by(node, is_cache_holder, adds))


class MethodTable:
    """What the methods of one class do to each other and to ``self``'s attributes, gathered in one
    walk of the class (``reset_between_uses`` asks it once per lazily opened attribute): which
    ``self.m()`` each method calls, and which methods set ``self.<attr>`` back to None
    (``self._wav_file = None``, ``del self._wav_file``; not in ``__init__``, nor in an ``except``
    block dropping a value that failed to build)."""

    __slots__ = ("calls", "resets", "_reach")

    def __init__(self, methods: dict):
        self.calls: dict = {}  # method -> the names of the self.m() it calls
        self.resets: dict = {}  # attribute -> the methods setting it back to None
        self._reach: dict = {}  # method -> the methods it reaches through those calls (itself too)
        for name, fn in methods.items():
            called = self.calls[name] = set()
            todo = list(fn.body)
            while todo:
                node = todo.pop()
                t = type(node)
                if t in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ExceptHandler):
                    continue
                if t is ast.Call and type(node.func) is ast.Attribute and type(node.func.value) is ast.Name \
                        and node.func.value.id == "self":
                    called.add(node.func.attr)
                elif name != "__init__" and (t is ast.Assign and type(node.value) is ast.Constant
                                             and node.value.value is None or t is ast.Delete):
                    for target in node.targets:
                        w = _written(target)
                        if w is not None and len(w) == 2 and w[0] == "self":
                            self.resets.setdefault(w[1], set()).add(name)
                todo.extend(nodes.child_nodes(node))

    def reach(self, start: str) -> set:
        seen = self._reach.get(start)
        if seen is None:
            seen, todo = {start}, [start]
            while todo:
                for callee in self.calls.get(todo.pop(), ()):
                    if callee in self.calls and callee not in seen:
                        seen.add(callee)
                        todo.append(callee)
            self._reach[start] = seen
        return seen


def reset_between_uses(table: MethodTable, filler: str, attr: str) -> bool:
    """Does a method of the class reach, through its own ``self.m()`` calls, both ``filler`` (the
    method that fills ``self.<attr>`` once) and a statement setting it back to None (``MethodTable``)?
    Then each run of that method builds the value again (opened on first use, closed and forgotten
    after every request): not one-time initialization."""
    resets = table.resets.get(attr)
    if not resets:
        return False
    return any(filler in (seen := table.reach(start)) and not seen.isdisjoint(resets)
               for start in table.calls if start != "__init__")


def _written(node: ast.AST) -> Optional[tuple]:
    """A name or ``base.attr`` as written, whether read or stored (``ast.dump`` tells them apart)."""
    if type(node) is ast.Name:
        return (node.id,)
    if type(node) is ast.Attribute and type(node.value) is ast.Name:
        return (node.value.id, node.attr)
    return None


def rebuilt_when_closed(test: ast.AST) -> bool:
    """Does ``test`` hold only for a value that exists and was closed (``x.is_closed``, ``flag and
    x.closed``)? Its body replaces a client after a close: a recovery, not a first use."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(rebuilt_when_closed(v) for v in test.values)
    return isinstance(test, ast.Attribute) and test.attr in _CLOSED


def _none_test(op, right) -> Optional[bool]:
    """``x is None`` / ``x == None``: False (it is missing); ``is not None`` / ``!= None``: True."""
    if isinstance(right, ast.Constant) and right.value is None:
        if isinstance(op, (ast.Is, ast.Eq)):
            return False
        if isinstance(op, (ast.IsNot, ast.NotEq)):
            return True
    return None


def _part_tested(test: ast.AST, whole_test: ast.AST, missing: bool) -> bool:
    """Does ``test`` check that a part of what ``whole_test`` tests (an attribute or item of it) is
    missing (``missing``) or there: ``x.model is None``, ``not x.model``, ``x.model is not None``,
    ``not x.thread.is_alive()`` (a value whose worker died is rebuilt, as one never built)?"""
    present = True
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, present = test.operand, not present
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and not test.args and not test.keywords:
        # `not x.thread.is_alive()`, `not x.is_connected()`: a part's own state, asked without arguments
        test = test.func
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and _none_test(test.ops[0], test.comparators[0]) is not None:
        present = present == _none_test(test.ops[0], test.comparators[0])
        test = test.left
    if present == missing or not isinstance(test, (ast.Attribute, ast.Subscript)):
        return False
    whole = whole_test
    while isinstance(whole, ast.UnaryOp) and isinstance(whole.op, ast.Not):
        whole = whole.operand
    if isinstance(whole, ast.Compare):
        whole = whole.left
    base = ast.dump(whole)
    node = test
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
        if ast.dump(node) == base:
            return True
    return False


def memo_subject(subject) -> Subject:
    """The cache a one-time initialization fills (``summarizer.memo_test``'s result), without the mark
    of a cache of many entries: what ``stores`` looks for."""
    return subject[1:] if subject[:1] == ("keyed",) else subject


def cache_read(value: ast.AST, is_cache_holder) -> Optional[Subject]:
    """``CACHE.get(key)`` / ``CACHE[key]`` / ``getattr(self, "x", None)`` / ``Cache.value``: the cache a
    local is read from. (A declared global read whole, ``instance = _instance``, is the caller's:
    ``Summarizer.note_cache_read``.)"""
    if isinstance(value, ast.Attribute):
        return _subject(value, is_cache_holder)  # held = Cache.value; if held is not None: return held
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "get":
        return _subject(value.func.value, is_cache_holder)
    if isinstance(value, ast.Subscript):
        return _subject(value.value, is_cache_holder)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "getattr" \
            and len(value.args) >= 2 and isinstance(value.args[0], ast.Name) and is_cache_holder(value.args[0].id) \
            and isinstance(value.args[1], ast.Constant) and isinstance(value.args[1].value, str):
        return ("attr", value.args[0].id, value.args[1].value)
    return None


def _last(func) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def catches_import_error(handler: ast.ExceptHandler) -> bool:
    """``except ImportError:``: the handler installs or falls back, once."""
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    # only those: a handler that also catches FileNotFoundError & co runs whenever those happen
    return bool(types) and all(t is not None and _last(t) in ("ImportError", "ModuleNotFoundError") for t in types)


def registry_lookup(stmt: ast.For, is_cache_holder) -> Optional[Subject]:
    """``for cb in LOGGERS: if isinstance(cb, AgentOps): return cb``: a search of a registry kept from
    call to call that returns what it finds; the registry (the code after it builds and appends the
    missing entry once)."""
    if type(stmt.target) is not ast.Name or stmt.orelse or not stmt.body:
        return None
    var = stmt.target.id
    if not all(type(s) is ast.If and not s.orelse and len(s.body) == 1 and type(s.body[0]) is ast.Return
               and type(s.body[0].value) is ast.Name and s.body[0].value.id == var for s in stmt.body):
        return None
    return _subject(stmt.iter, is_cache_holder)


# what adds a key to a set or list of keys seen; what takes keys out of one again
SEEN_ADDS = ("add", "append")
_SEEN_REMOVES = frozenset({"discard", "remove", "clear"})


def seen_removed(tree: ast.AST) -> set:
    """The sets (or lists) this module takes keys out of anywhere (``IN_FLIGHT.discard(key)``,
    ``self._pending.remove(key)``, ``self._seen.clear()``), as ``Subject``s of their written form: a
    test on one of them with ``add`` after it is no one-time initialization."""
    found = set()
    for node in nodes.walk(tree):
        if type(node) is ast.Call and type(node.func) is ast.Attribute and node.func.attr in _SEEN_REMOVES:
            holder = node.func.value
            if type(holder) is ast.Name:
                found.add(("name", holder.id))
            elif type(holder) is ast.Attribute and type(holder.value) is ast.Name:
                found.add(("attr", holder.value.id, holder.attr))
    return found


def stores(stmts, subject: Subject, is_cache_holder, methods=("setdefault", "update")) -> bool:
    """Do these statements (not nested functions or classes) store into the cache ``subject``
    (assign it or an item of it, or call one of its ``methods``)?"""
    if subject == ("installed",):
        return True  # the package a find_spec() test asks about: installed by the body, once
    return any(subject in _stored_by(node, is_cache_holder, methods) for node in nodes.in_scope(stmts))


def latched_when(stmts, subject: Subject, is_cache_holder, methods=("setdefault", "update")) -> bool:
    """Is ``subject`` a latch these statements set only under a condition that does not test it
    (``if full: _cap_reached = True``, no store on the other branch)? Each store writes a constant
    (``True``, a literal): the flag records that a state was seen, not a value the guarded code built,
    and what runs before the store runs again on every call until the state is reached, not once.
    (A value stored when it is usable, ``if supports(path): self._db = path``, is a cache filled on
    the first call that succeeds: one-time.) A store on every path that goes on is sure: at the top
    level, in a ``with`` or a ``try`` body, in both branches of an ``if`` (a branch that returns or
    raises goes on nowhere), under an ``if`` that tests the cache again (a double check), in a loop."""
    found = False
    for node in nodes.in_scope(stmts):
        if subject in _stored_by(node, is_cache_holder, methods):
            if type(node) not in (ast.Assign, ast.AnnAssign) or type(node.value) is not ast.Constant:
                return False  # a value, not a latch
            found = True
    return found and not _surely_stored(stmts, subject, is_cache_holder, methods, False)


def _surely_stored(stmts, subject, is_cache_holder, methods, branch: bool) -> bool:
    for stmt in stmts:
        t = type(stmt)
        if branch and t in (ast.Return, ast.Raise):
            return True  # this branch does not go on
        if t in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            continue
        if t in (ast.With, ast.AsyncWith):
            if _surely_stored(stmt.body, subject, is_cache_holder, methods, branch):
                return True
        elif t is ast.Try or t.__name__ == "TryStar":
            if _surely_stored(stmt.body + stmt.orelse, subject, is_cache_holder, methods, branch) \
                    or _surely_stored(stmt.finalbody, subject, is_cache_holder, methods, branch):
                return True
        elif t is ast.If:
            if any(_subject(n, is_cache_holder) == subject for n in nodes.walk(stmt.test)):
                if stores((stmt,), subject, is_cache_holder, methods):
                    return True  # `if x is None: x = ...` again, under a lock
            elif _surely_stored(stmt.body, subject, is_cache_holder, methods, True) \
                    and _surely_stored(stmt.orelse, subject, is_cache_holder, methods, True):
                return True
        elif stores((stmt,), subject, is_cache_holder, methods):
            return True  # a simple statement, a loop, a match
    return False


def rearmed(stmt: ast.stmt, is_cache_holder) -> set:
    """The caches a simple statement resets, clears or deletes from (``x = None``, ``CACHE.clear()``,
    ``CACHE.pop(k)``, ``del CACHE[k]``): a one-time test of one of them later in the same function is
    re-armed on every call, not once. ``x = x or {}`` keeps what ``x`` holds: no reset."""
    t = type(stmt)
    found = set()
    if t is ast.Expr:
        return _stored_by(stmt.value, is_cache_holder, ("clear", "pop", "popitem"))
    if t is ast.Delete:
        for target in stmt.targets:
            for tgt in flatten(target):
                node = tgt.value if isinstance(tgt, ast.Subscript) else tgt
                if _subject(node, is_cache_holder) is not None:
                    found.add(_subject(node, is_cache_holder))
    elif t in (ast.Assign, ast.AnnAssign) and stmt.value is not None:
        for target in stmt.targets if t is ast.Assign else [stmt.target]:
            for tgt in flatten(target):
                subject = _subject(tgt, is_cache_holder)
                if subject is not None and not _reads(stmt.value, subject):
                    found.add(subject)
    return found


def _reads(value: ast.AST, subject: Subject) -> bool:
    """Does ``value`` read the cache ``subject`` (a ``_subject`` of this statement's target: its name,
    or its base, passed ``is_cache_holder`` already): a name or ``base.attr`` written as it is."""
    if subject[0] == "name":
        name = subject[1]
        return any(type(n) is ast.Name and n.id == name for n in nodes.walk(value))
    base, attr = subject[1], subject[2]
    return any(type(n) is ast.Attribute and n.attr == attr and type(n.value) is ast.Name and n.value.id == base
               for n in nodes.walk(value))


def released(body, is_cache_holder, params) -> set:
    """The caches of many entries a function deletes the entry of its own call from, anywhere in its
    body (``del HELD[key]`` in a ``finally:``, ``HELD.pop(key)``, ``key`` a parameter): a registry of
    what is in use, not a cache, so a test on it is no one-time initialization. (Evicting another
    entry, ``CACHE.pop(oldest)``, keeps it a cache.)"""
    found = set()
    todo = list(body)
    while todo:
        node = todo.pop()
        t = type(node)
        if t in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ExceptHandler):
            continue  # (an entry dropped when filling it failed: the cache keeps what succeeds)
        if t is ast.Delete:
            for target in node.targets:
                if type(target) is ast.Subscript and type(target.slice) is ast.Name and target.slice.id in params:
                    subject = _subject(target.value, is_cache_holder)
                    if subject is not None:
                        found.add(subject)
        elif t is ast.Call and type(node.func) is ast.Attribute and node.func.attr == "pop" and node.args \
                and type(node.args[0]) is ast.Name and node.args[0].id in params:
            subject = _subject(node.func.value, is_cache_holder)
            if subject is not None:
                found.add(subject)
        todo.extend(nodes.child_nodes(node))
    return found


def released_by_key(tree: ast.AST) -> set:
    """The caches of many entries that a function of this module, given a key, deletes the entry of
    (``def release(self, key): ... del self._locks[key]`` / ``self._leases.pop(key)``) and stores
    nothing back into, as ``Subject``s of their written form: a registry of what is held (locks,
    leases), whose entry is built again after every release, so a test on it elsewhere is no one-time
    initialization either. Only a deletion that expects the entry (``del``, ``pop`` without a default:
    one releases what one holds): ``CACHE.pop(key, None)`` drops whatever may be cached, an
    invalidation, and a function that refills the entry (a reload) keeps it a cache."""
    # one walk of the tree, each node with the function whose own code it is (None: no function's,
    # or one without parameters): a nested function is one of its own; what an ``except`` block does
    # is no function's (an entry dropped when filling it failed), nor what lambdas and classes do
    deletions: dict = {}  # function -> (its parameters, [(mapping, key) it deletes])
    todo: list = [(tree, None)]
    pop, push = todo.pop, todo.append
    while todo:
        node, owner = pop()
        t = type(node)
        if t is ast.FunctionDef or t is ast.AsyncFunctionDef:
            a = node.args
            params = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs}
            for child in node.decorator_list:
                push((child, None))
            push((a, None))  # (defaults, annotations)
            if node.returns is not None:
                push((node.returns, None))
            if params:
                deletions[node] = (params, [])
            for stmt in node.body:
                push((stmt, node if params else None))
            continue
        if owner is not None:
            if t is ast.ClassDef or t is ast.Lambda or t is ast.ExceptHandler:
                owner = None
            elif t is ast.Delete:
                deletions[owner][1].extend((target.value, target.slice) for target in node.targets
                                           if type(target) is ast.Subscript)
            elif t is ast.Call and type(node.func) is ast.Attribute and node.func.attr == "pop" \
                    and len(node.args) == 1 and not node.keywords:
                deletions[owner][1].append((node.func.value, node.args[0]))
        for child in nodes.child_nodes(node):
            push((child, owner))
    found = set()
    for func, (params, entries) in deletions.items():
        deleted = {_entry(mapping, key, params) for mapping, key in entries}
        deleted.discard(None)
        found.update(d for d in deleted if not stores(func.body, d, lambda n, params=params: n not in params))
    return found


def _entry(mapping: ast.AST, key: ast.AST, params: set) -> Optional[Subject]:
    """The dict (a global or ``base.attr``) whose entry ``mapping[key]`` is, when ``key`` is a parameter."""
    if type(key) is not ast.Name or key.id not in params:
        return None
    if type(mapping) is ast.Name and mapping.id not in params:
        return ("name", mapping.id)
    if type(mapping) is ast.Attribute and type(mapping.value) is ast.Name:
        return ("attr", mapping.value.id, mapping.attr)
    return None


def _stored_by(node: ast.AST, is_cache_holder, methods) -> set:
    """The caches this one node (an assignment, or a call of one of ``methods`` or of ``setattr``) writes."""
    t = type(node)
    found = set()
    if t in (ast.Assign, ast.AnnAssign, ast.AugAssign):
        targets = node.targets if t is ast.Assign else [node.target]
        for target in targets:
            for tgt in flatten(target):
                for part in (tgt, tgt.value) if isinstance(tgt, ast.Subscript) else (tgt,):  # CACHE[key] = value
                    subject = _subject(part, is_cache_holder)
                    if subject is not None:
                        found.add(subject)
    elif t is ast.Call and isinstance(node.func, ast.Attribute) and node.func.attr in methods:
        subject = _subject(node.func.value, is_cache_holder)
        if subject is not None:
            found.add(subject)
    elif t is ast.Call and isinstance(node.func, ast.Name) and node.func.id == "setattr" and len(node.args) >= 2 \
            and isinstance(node.args[0], ast.Name) and isinstance(node.args[1], ast.Constant) \
            and isinstance(node.args[1].value, str):
        found.add(("attr", node.args[0].id, node.args[1].value))
    return found


def flatten(target):
    if isinstance(target, (ast.Tuple, ast.List)):
        for e in target.elts:
            yield from flatten(e)
    else:
        yield target
