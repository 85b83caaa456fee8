"""Fixes a careful engineer would write: nothing thread-affine offloaded, no import left unused, the
file's line length and quoting kept, no redundant parentheses, one style per file."""

import json
import os
import shutil
import textwrap

import pytest
from click.testing import CliRunner

from conftest import FIXTURES

from asynclint.cli import main
from asynclint.engine import Options, lint_snippet, run
from asynclint.fix import apply_fixes, fix_source
from asynclint.fix.wrap import file_line_length


def fixed(text, line_length=None):
    return fix_source(text, lint_snippet(textwrap.dedent(text)), unsafe=True, line_length=line_length).text


# ---------------------------------------------------------------------------- thread-affine work


@pytest.fixture
def affine(tmp_path):
    root = tmp_path / "thread_affine"
    shutil.copytree(os.path.join(FIXTURES, "projects", "thread_affine"), root)
    (root / "pyproject.toml").write_text('[project]\nname = "svc"\n')
    return root


def test_thread_affine_work_gets_advice_not_a_fix(affine):
    result = run([str(affine)], Options(use_cache=False))
    by_line = {(os.path.basename(d.path), d.line): d for d in result.diagnostics}
    for key, why in [(("middleware.py", 14), "scoped_session"), (("middleware.py", 16), "scoped_session"),
                     (("middleware.py", 17), "scoped_session"), (("work.py", 33), "context variable"),
                     (("work.py", 34), "thread-local state (local)"), (("work.py", 35), "bound to the event loop"),
                     (("work.py", 36), "asyncio.get_running_loop()"), (("main.py", 13), "scoped_session")]:
        d = by_line[key]
        assert d.fix is None, key
        assert d.suggestion.startswith("do not offload it: ") and why in d.suggestion, (key, d.suggestion)
        assert "to_thread" not in d.suggestion
    # the route whose body uses the scoped session stays async; the other one may become a def
    assert by_line[("main.py", 12)].fix is None and by_line[("main.py", 12)].suggestion.startswith("keep it async")
    assert by_line[("main.py", 17)].fix == "safe"
    assert by_line[("work.py", 38)].fix == "unsafe"  # slow_total: nothing bound to a thread
    assert json.loads(json.dumps(by_line[("middleware.py", 16)].to_json()))["fix"] is None


def test_fixing_leaves_thread_affine_code_alone(affine):
    before = {p: (affine / "svc" / p).read_text() for p in ("middleware.py", "work.py", "main.py", "db.py")}
    out = CliRunner().invoke(main, [str(affine), "--fix", "--unsafe-fixes", "--no-cache"])
    after = {p: (affine / "svc" / p).read_text() for p in before}
    assert after["middleware.py"] == before["middleware.py"] and after["db.py"] == before["db.py"]
    changed = [line for line in after["work.py"].splitlines() if line not in before["work.py"].splitlines()]
    assert changed == ["    return await asyncio.to_thread(slow_total, items)  # ASL202"], changed
    assert "async def get_user(user_id: int):  # ASL301" in after["main.py"]
    assert "\ndef total():  # ASL301" in after["main.py"]
    # 12 findings: ASL301 and ASL202 of /total, and slow_total in handle() are fixed
    assert "Fixed 3 findings in 2 files; 9 remain (9 with no automatic fix)." in out.stderr, out.stderr


# ---------------------------------------------------------------------------- imports


def test_imports_a_fix_made_unused_go_and_the_others_stay():
    text = textwrap.dedent(
        '''\
        """Jobs."""
        import json  # unused before: not the fix's business
        import time
        from time import monotonic, sleep


        async def job(clock: "time.struct_time"):
            time.sleep(1)
            sleep(2)
            return monotonic()


        async def local_import():
            import subprocess as sp

            sp.check_call(["sync"])
        '''
    )
    out = fixed(text)
    assert "import json  # unused before" in out
    assert "import time\n" in out  # still used by the string annotation
    assert "from time import monotonic\n" in out  # sleep went, monotonic stays
    assert "import subprocess as sp" not in out and "pass" not in out
    compile(out, "job.py", "exec")


def test_a_name_shadowed_by_a_local_is_not_a_use_of_the_import():
    text = textwrap.dedent(
        """\
        import time


        async def shadowed(time):
            return time.elapsed


        async def nap():
            time.sleep(1)
        """
    )
    out = fixed(text)
    assert out.startswith("import asyncio\n\n\nasync def shadowed(time):")


def test_an_import_a_statement_the_fix_left_alone_reads_stays():
    # the fix rewrites nap() only; each of the other statements reads time once, in a way of its own
    reads = {
        "a class body": "class Config:\n    started = time.time()\n",
        "a method": "class Clock:\n    def now(self):\n        return time.time()\n",
        "a string annotation split over two literals": 'def stamp(t: "ti" "me.Clock"):\n    return t\n',
        "an escaped string annotation": 'def stamp(t: "\\x74ime.Clock"):\n    return t\n',
        "__all__": '__all__ = ["time"]\n',
        "a decorator": "@time.perf_counter\ndef clocked():\n    pass\n",
        "a class's base": "class Stamp(time.struct_time):\n    pass\n",
    }
    for how, statement in reads.items():
        text = f"import time\n\n\n{statement}\n\nasync def nap():\n    time.sleep(1)\n"
        out = fixed(text)
        assert "await asyncio.sleep(1)" in out, how
        assert "import time\n" in out, how
    # and with none of them, it goes
    out = fixed("import time\n\n\ndef stamp(t: \"struct_time\"):\n    return t\n\n\nasync def nap():\n    time.sleep(1)\n")
    assert "import time" not in out


def test_a_function_import_the_fix_made_unused_goes_and_its_twins_stay():
    # the same function twice (a method of two classes): only the one fixed loses its import
    text = textwrap.dedent(
        """\
        class Old:
            def wait(self):
                import time

                time.sleep(1)


        class New:
            async def wait(self):
                import time

                time.sleep(1)
        """
    )
    out = fixed(text)
    assert out.count("import time") == 1 and "        time.sleep(1)\n" in out
    assert "await asyncio.sleep(1)" in out


# ---------------------------------------------------------------------------- generators


def test_a_project_generator_iterated_or_entered_on_the_loop_is_not_offloaded():
    # calling a generator function runs none of its body: it runs as the for iterates it, or as the
    # with enters and leaves it, on the loop; to_thread(lines, p) would move nothing to the thread
    text = textwrap.dedent(
        """\
        from contextlib import contextmanager


        def lines(p):
            with open(p) as f:
                yield from f


        @contextmanager
        def opened(p):
            with open(p) as f:
                yield f


        async def count(p):
            n = 0
            for _ in lines(p):
                n += 1
            with opened(p) as f:
                return n, f.name
        """
    )
    found = {(d.line, d.code): d for d in lint_snippet(text)}
    assert set(found) == {(17, "ASL204"), (19, "ASL204")}
    assert all(d.fix is None for d in found.values())
    assert found[(19, "ASL204")].message.startswith("enters opened(), ")
    assert fixed(text) == text


# ---------------------------------------------------------------------------- layout


def test_no_redundant_parentheses_and_quotes_kept():
    text = textwrap.dedent(
        """\
        from pathlib import Path


        async def read(base: Path, name: str) -> str:
            return (base / name).read_text(encoding='utf-8')
        """
    )
    out = fixed(text)
    assert "await anyio.Path(base / name).read_text(encoding='utf-8')" in out
    assert "((" not in out and '"' not in out


def test_the_file_line_length_is_kept():
    text = textwrap.dedent(
        """\
        import requests

        session = requests.Session()


        async def notify(webhook_url, text, attachments):
            session.post(webhook_url, json={"text": text, "attachments": attachments}, timeout=5)
        """
    )
    out = fixed(text, line_length=79)
    assert max(len(line) for line in out.splitlines()) <= 79
    assert "    await asyncio.to_thread(\n        session.post," in out
    # without a configured limit: the file's own (its longest line, 89, is within 100)
    assert file_line_length(text) == 100
    assert max(len(line) for line in fixed(text).splitlines()) <= 100
    compile(out, "notify.py", "exec")


def test_the_configured_line_length_is_read(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 60\n")
    (tmp_path / "app.py").write_text("import os\n\n\nasync def size(path_of_the_file):\n"
                                     "    return os.path.getsize(path_of_the_file), os.path.exists(path_of_the_file)\n")
    result = run([str(tmp_path)], Options(use_cache=False))
    apply_fixes(result, unsafe=True)
    out = (tmp_path / "app.py").read_text()
    assert max(len(line) for line in out.splitlines()) <= 60, out
    compile(out, "app.py", "exec")


# ---------------------------------------------------------------------------- one style per file


def test_a_file_written_with_anyio_path_gets_it_for_its_os_calls_too():
    text = textwrap.dedent(
        """\
        import os
        from pathlib import Path


        async def save(path: Path, tmp: str, content: str):
            if not os.path.exists(tmp):
                os.makedirs(tmp, exist_ok=True)
            path.write_text(content)
            size = os.path.getsize(tmp)
            os.remove(tmp)
            return size
        """
    )
    out = fixed(text)
    assert "to_thread" not in out and "import os" not in out
    assert "if not await anyio.Path(tmp).exists():" in out
    assert "await anyio.Path(tmp).mkdir(parents=True, exist_ok=True)" in out
    assert "size = (await anyio.Path(tmp).stat()).st_size" in out
    assert "await anyio.Path(tmp).unlink()" in out


def test_a_file_without_anyio_offloads_its_os_calls():
    text = "import os\n\n\nasync def gone(tmp):\n    if os.path.exists(tmp):\n        os.remove(tmp)\n"
    out = fixed(text)
    assert "anyio" not in out
    assert "if await asyncio.to_thread(os.path.exists, tmp):" in out
