"""Objects a function makes and takes at once, before anything else can reach them.

A ``threading.Lock`` made in the function and acquired as the first thing done with it cannot make
the acquirer wait: no other thread has it yet, so nobody holds it::

    lock = threading.Lock()
    lock.acquire()               # returns at once
    self._locks[key] = lock      # shared only now

    with threading.Lock():       # (made right there)
        ...

Once the local has been used in any other way before the acquire (stored into ``self`` or a dict,
passed to a function or a thread, captured by a nested function, read in a loop around it, acquired
before), another holder may have it, and the acquire is an ordinary wait. This module answers the
syntactic half, on one function's tree: the summarizer marks such sites ``fresh``, and the analysis
keeps the mark only when the call made is the lock class itself (``analyze.classify``), not a
function that may return a shared lock.
"""

from __future__ import annotations

import ast

from . import nodes

_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
# the method that takes a lock (``__enter__`` is what ``with lock:`` calls)
ACQUIRES = frozenset({"acquire"})


def taken_fresh(func: ast.AST, name: str, use: ast.AST) -> bool:
    """Is ``use`` (the call ``name.acquire(...)``, or the ``name`` a ``with`` enters) the first thing
    the function does with the local ``name`` after binding it to the result of a call, in the same
    block? ``func``: the function's tree."""
    if _declared_outside(func, name):
        return False  # a global or nonlocal: other code reaches it by its name
    for block in _blocks(func):
        for i, stmt in enumerate(block):
            if not _binds_call(stmt, name):
                continue
            for later in block[i + 1:]:
                if _mentions(later, name):
                    if _first_use(later, use):
                        return True
                    break
    return False


def _first_use(stmt: ast.stmt, use: ast.AST) -> bool:
    """Does ``stmt`` start with ``use``: ``lock.acquire()``, ``ok = lock.acquire(timeout=1)``,
    ``if lock.acquire(blocking=False):``, ``with lock:`` (its first item)?"""
    t = type(stmt)
    if t is ast.Expr:
        return stmt.value is use
    if t is ast.Assign or t is ast.AnnAssign:
        return stmt.value is use
    if t is ast.If:
        return stmt.test is use
    if t is ast.With:
        return stmt.items[0].context_expr is use
    return False


def _binds_call(stmt: ast.stmt, name: str) -> bool:
    """``name = make(...)`` (or ``name: T = make(...)``)."""
    t = type(stmt)
    if t is ast.Assign:
        return len(stmt.targets) == 1 and type(stmt.targets[0]) is ast.Name and stmt.targets[0].id == name \
            and type(stmt.value) is ast.Call
    if t is ast.AnnAssign:
        return type(stmt.target) is ast.Name and stmt.target.id == name and type(stmt.value) is ast.Call
    return False


def _mentions(node: ast.AST, name: str) -> bool:
    """Is ``name`` read or written anywhere in ``node``, nested functions included?"""
    return any(type(n) is ast.Name and n.id == name for n in nodes.walk(node))


def _declared_outside(func: ast.AST, name: str) -> bool:
    for node in _own_nodes(func):
        if type(node) in (ast.Global, ast.Nonlocal) and name in node.names:
            return True
    return False


def _own_nodes(func: ast.AST):
    """The nodes of the function's own body, not of the functions and classes nested in it."""
    todo = list(getattr(func, "body", ()))
    while todo:
        node = todo.pop()
        yield node
        todo.extend(n for n in nodes.child_nodes(node) if not isinstance(n, _NESTED))


def _blocks(func: ast.AST):
    """Every list of statements in the function's own body (the body, branches, loop bodies, ...)."""
    todo = [func]
    while todo:
        node = todo.pop()
        for field in ("body", "orelse", "finalbody"):
            stmts = getattr(node, field, None)
            if type(stmts) is list and stmts and isinstance(stmts[0], ast.stmt):
                yield stmts
                todo.extend(s for s in stmts if not isinstance(s, _NESTED))
        for h in getattr(node, "handlers", ()):
            yield h.body
            todo.extend(s for s in h.body if not isinstance(s, _NESTED))
        for case in getattr(node, "cases", ()):
            yield case.body
            todo.extend(s for s in case.body if not isinstance(s, _NESTED))


# what a thread holding a condition calls on it inside its ``with`` block
CONDITION_CALLS = frozenset({"wait", "wait_for", "notify", "notify_all"})


def _within(body: list):
    """The nodes of a block of statements, not those of the functions and classes defined in it."""
    todo = list(body)
    while todo:
        node = todo.pop()
        yield node
        todo.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, _NESTED))


def private_local(func: ast.AST, name: str) -> bool:
    """Is the local ``name`` of ``func`` bound once, to the result of a call, and then used nowhere
    but as what a ``with`` statement enters, in ``func`` and in the functions nested in it (which
    share it as a closure)? Then every section of what it holds is one of those ``with`` blocks::

        cleanup_lock = threading.Lock()

        def work():                  # run in a thread
            with cleanup_lock:
                ...

        with cleanup_lock:           # on the loop
            ...

    A condition may also be waited on and notified inside those blocks (``with cond: cond.wait()``):
    its wait releases it, so the blocks are still every section of it.

    Stored, passed, returned, compared, re-bound, declared ``global``/``nonlocal`` or shadowed by a
    parameter anywhere in there, and it is not private."""
    binds = 0
    entered = set()
    for node in nodes.walk(func):
        t = type(node)
        if t is ast.With:
            mine = [item.context_expr for item in node.items
                    if type(item.context_expr) is ast.Name and item.context_expr.id == name]
            entered.update(id(e) for e in mine)
            if mine:
                entered.update(id(n.func.value) for n in _within(node.body) if type(n) is ast.Call
                               and type(n.func) is ast.Attribute and n.func.attr in CONDITION_CALLS
                               and type(n.func.value) is ast.Name and n.func.value.id == name)
        elif t in (ast.Global, ast.Nonlocal) and name in node.names:
            return False
        elif t is ast.arg and node.arg == name:
            return False
    for node in nodes.walk(func):
        if type(node) is not ast.Name or node.id != name:
            continue
        if type(node.ctx) is ast.Load:
            if id(node) not in entered:
                return False
        else:
            binds += 1
    if binds != 1:
        return False
    return any(_binds_call(stmt, name) for block in _blocks(func) for stmt in block)
