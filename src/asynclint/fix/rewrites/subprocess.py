"""``subprocess.run([...])`` & co -> ``asyncio.create_subprocess_exec`` (unsafe).

Only a statement of its own (``x = subprocess.run(...)``, a bare call, a
``return``) with a literal argument list of simple items and keyword
arguments the asyncio version can honour. The statement becomes: start the
process, ``communicate()`` (or ``wait()``), decode text output, raise
``CalledProcessError`` for ``check``, and bind what the original returned (a
``CompletedProcess``, the output, or the return code).
"""

from __future__ import annotations

import libcst as cst

from ..nodes import bool_literal, code_of, is_simple, names_in, unique
from ...categories import is_direct
from .base import Rewrite

SUBPROCESS_APIS = {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output"}
SUBPROCESS_KWARGS = {"capture_output", "stdout", "stderr", "stdin", "check", "text", "universal_newlines",
                     "encoding", "cwd", "env", "input"}


class SubprocessToAsyncio(Rewrite):
    name = "subprocess-asyncio"

    def matches(self, d) -> bool:
        return is_direct(d.code) and d.api in SUBPROCESS_APIS

    def plan(self, planner, d, node, fn) -> None:
        which = d.api.rsplit(".", 1)[1]
        stmt = planner.statement_of(node)
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1 or stmt in planner.plan.stmts:
            return
        if not isinstance(planner.parent(stmt), cst.IndentedBlock):
            return
        small = stmt.body[0]
        if isinstance(small, cst.Expr) and small.value is node:
            target = None
        elif isinstance(small, cst.Assign) and small.value is node and len(small.targets) == 1:
            target = small.targets[0].target
        elif isinstance(small, cst.AnnAssign) and small.value is node:
            target = small.target
        elif isinstance(small, cst.Return) and small.value is node:
            target = "return"
        else:
            return
        argv = None
        kw = {}
        for i, a in enumerate(node.args):
            if a.star:
                return
            if a.keyword is None:
                if i != 0:
                    return
                argv = a.value
            elif a.keyword.value == "args":
                argv = a.value
            elif a.keyword.value in SUBPROCESS_KWARGS:
                kw[a.keyword.value] = a.value
            else:
                return
        if not isinstance(argv, (cst.List, cst.Tuple)) or not argv.elements:
            return
        if not all(is_simple(el.value) for el in argv.elements):
            return
        flags = {}
        for key in ("capture_output", "check", "text", "universal_newlines"):
            if key in kw:
                b = bool_literal(kw[key])
                if b is None:
                    return
                flags[key] = b
        text = flags.get("text", False) or flags.get("universal_newlines", False) or "encoding" in kw
        if "input" in kw and text:
            return
        if flags.get("capture_output") and ("stdout" in kw or "stderr" in kw):
            return
        if "input" in kw and "stdin" in kw:
            return
        asyncio_exec = planner.imports.ref("asyncio", "create_subprocess_exec")
        sp = planner.imports.ref("subprocess")
        if asyncio_exec is None or sp is None:
            return
        planner.claim_statement(stmt, d, self, {
            "which": which, "flags": flags, "text": text, "target": target,
            "exec": asyncio_exec, "sp": sp, "names": planner.names_of(fn),
        })
        planner.consumed.add(id(node))

    def statement(self, transformer, stmt_plan, line):
        data = stmt_plan.data
        small = line.body[0]
        call = small.value
        which = data["which"]
        kw = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        argv = call.args[0].value if call.args[0].keyword is None else kw.pop("args")
        kw.pop("args", None)
        flags = data["flags"]
        names = data["names"]
        sp = data["sp"]
        c = code_of
        check = flags.get("check", False) or which in ("check_call", "check_output")
        pipe = f"{sp}.PIPE"
        stdout = kw.get("stdout")
        stderr = kw.get("stderr")
        if flags.get("capture_output"):
            stdout = stderr = cst.parse_expression(pipe)
        if which == "check_output" and stdout is None:
            stdout = cst.parse_expression(pipe)
        cap_out = stdout is not None and c(stdout).endswith("PIPE")
        cap_err = stderr is not None and c(stderr).endswith("PIPE")
        has_input = "input" in kw
        if has_input:
            kw["stdin"] = cst.parse_expression(pipe)
        exec_args = []
        for el in argv.elements:
            exec_args.append(("*" if isinstance(el, cst.StarredElement) else "") + c(el.value))
        for key in ("stdin", "cwd", "env"):
            if key in kw:
                exec_args.append(f"{key}={c(kw[key])}")
        if stdout is not None:
            exec_args.append(f"stdout={c(stdout)}")
        if stderr is not None:
            exec_args.append(f"stderr={c(stderr)}")
        proc = unique("proc", names)
        lines = [f"{proc} = await {data['exec']}({', '.join(exec_args)})"]
        out = err = "None"
        target = data["target"]
        direct = which == "check_output" and isinstance(target, cst.Name) and not data["text"]
        direct = direct and target.value not in names_in(argv) and not isinstance(small, cst.AnnAssign)
        if cap_out or cap_err or has_input:
            out = (target.value if direct else unique("stdout", names)) if cap_out else "_"
            err = unique("stderr", names) if cap_err else ("_" if out != "_" else "_err")
            comm = f"input={c(kw['input'])}" if has_input else ""
            lines.append(f"{out}, {err} = await {proc}.communicate({comm})")
            if out == "_":
                out = "None"
            if err in ("_", "_err"):
                err = "None"
        else:
            lines.append(f"await {proc}.wait()")
        if data["text"]:
            enc = c(kw["encoding"]) if "encoding" in kw else ""
            if out != "None":
                lines.append(f"{out} = {out}.decode({enc})")
            if err != "None":
                lines.append(f"{err} = {err}.decode({enc})")
        argv_text = c(argv.with_changes(lpar=[], rpar=[]))
        if isinstance(argv, cst.Tuple) and not argv.lpar:
            argv_text = f"({argv_text})"
        if check:
            lines.append(
                f"if {proc}.returncode:\n    raise {sp}.CalledProcessError({proc}.returncode, {argv_text}, {out}, {err})"
            )
        if which == "run":
            result = f"{sp}.CompletedProcess({argv_text}, {proc}.returncode, {out}, {err})"
        elif which == "check_output":
            result = out
        else:
            result = f"{proc}.returncode"
        if target == "return":
            lines.append(f"return {result}")
        elif target is not None and not direct:
            if isinstance(small, cst.AnnAssign):
                lines.append(f"{c(small.target)}: {c(small.annotation.annotation)} = {result}")
            else:
                lines.append(f"{c(target)} = {result}")
        module = transformer.module
        stmts = [cst.parse_statement(text + module.default_newline, config=module.config_for_parsing)
                 for text in lines]
        stmts[0] = stmts[0].with_changes(leading_lines=line.leading_lines, trailing_whitespace=line.trailing_whitespace)
        return cst.FlattenSentinel(stmts)
