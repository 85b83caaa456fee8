"""``--fix`` respects what the file system says.

A read-only file, a file of another owner, a hard-linked file and a symbolic
link out of the project are left alone and reported as not fixed; owner,
group and mode are kept; a link inside the project stays a link and its
target is fixed; line endings (CRLF, CR, mixed) and the final newline are kept.
"""

import os
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from asynclint.cli import main
from asynclint.fsio import WriteRefused, write_atomic

BLOCKING = "import time\n\n\nasync def pause(x):\n    time.sleep(x)\n"
FIXED_LINE = "await asyncio.sleep(x)"

needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root (chown)")


def fix(*paths):
    return CliRunner().invoke(main, ["check", *map(str, paths), "--fix", "--no-cache"], catch_exceptions=False)


def test_a_read_only_file_is_not_fixed_even_as_root(project):
    path = project / "ro.py"
    path.write_text(BLOCKING)
    os.chmod(path, 0o444)
    res = fix(path)
    assert path.read_text() == BLOCKING
    assert "not fixed: ro.py: read-only file" in res.stderr
    assert "Fixed 0 findings in 0 files; 1 remains." in res.stderr
    assert res.exit_code == 1
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444


@needs_root
def test_owner_group_and_mode_are_kept(project):
    path = project / "theirs.py"
    path.write_text(BLOCKING)
    os.chown(path, 4321, 8765)
    os.chmod(path, 0o640)
    res = fix(path)
    assert FIXED_LINE in path.read_text(), res.output
    st = os.stat(path)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (4321, 8765, 0o640)


@needs_root
def test_another_user_cannot_take_over_a_file_in_a_writable_directory(project, tmp_path):
    """As user 65534 in a world-writable directory: a root file it cannot write, and one it
    may write but whose rename would make it its own, are both left alone."""
    os.chmod(tmp_path, 0o777)
    os.chmod(project, 0o777)
    readable = project / "readable.py"
    readable.write_text(BLOCKING)
    os.chmod(readable, 0o644)
    shared = project / "shared.py"
    shared.write_text(BLOCKING)
    os.chmod(shared, 0o666)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "nobody-cache"))
    try:
        proc = subprocess.run([sys.executable, "-m", "asynclint", "readable.py", "shared.py", "--fix", "--no-cache"],
                              cwd=project, env=env, capture_output=True, text=True, timeout=120,
                              preexec_fn=lambda: (os.setgid(65534), os.setuid(65534)))
    except (OSError, subprocess.SubprocessError) as exc:  # pragma: no cover - no such user here
        pytest.skip(f"cannot run as another user: {exc}")
    if "Permission denied" in proc.stderr and "asynclint" not in proc.stderr:
        pytest.skip("the test interpreter is not readable by another user")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "not fixed: readable.py: not writable by this user" in proc.stderr
    assert "not fixed: shared.py: owned by another user" in proc.stderr
    for path in (readable, shared):
        assert path.read_text() == BLOCKING and os.stat(path).st_uid == 0


def test_a_symlink_stays_a_link_and_its_target_inside_the_project_is_fixed(project):
    (project / "pkg").mkdir()
    target = project / "pkg" / "real.py"
    target.write_text(BLOCKING)
    link = project / "alias.py"
    os.symlink(os.path.join("pkg", "real.py"), link)
    res = fix(link)
    assert os.path.islink(link) and os.readlink(link) == os.path.join("pkg", "real.py")
    assert FIXED_LINE in target.read_text(), res.output


def test_a_symlink_to_a_file_outside_the_project_is_left_alone(project, tmp_path):
    outside = tmp_path / "elsewhere.py"
    outside.write_text(BLOCKING)
    link = project / "linked.py"
    os.symlink(outside, link)
    res = fix(link)
    assert outside.read_text() == BLOCKING and os.path.islink(link)
    assert "not fixed: linked.py: a symbolic link to a file outside the project" in res.stderr


def test_hard_links_stay_linked(project):
    first = project / "a.py"
    first.write_text(BLOCKING)
    second = project / "b.py"
    os.link(first, second)
    res = fix(first)
    assert os.stat(first).st_ino == os.stat(second).st_ino and os.stat(first).st_nlink == 2
    assert first.read_text() == BLOCKING
    assert "not fixed: a.py: it has 2 hard links" in res.stderr


@pytest.mark.parametrize("name,newline", [("crlf", "\r\n"), ("cr", "\r"), ("lf", "\n")])
@pytest.mark.parametrize("final", [True, False])
def test_line_endings_and_the_final_newline_are_kept(project, name, newline, final):
    text = BLOCKING.replace("\n", newline)
    if not final:
        text = text[: -len(newline)]
    path = project / f"{name}.py"
    path.write_bytes(text.encode())
    fix(path)
    data = path.read_bytes().decode()
    assert FIXED_LINE in data
    others = {"\r\n", "\r", "\n"} - {newline}
    lines = data.splitlines(keepends=True)
    endings = {line[len(line.rstrip("\r\n")):] for line in lines} - {""}
    assert endings == {newline}, (others, data)
    assert data.endswith(newline) == final


def test_mixed_line_endings_are_kept_line_by_line(project):
    text = "import time\r\n\nasync def pause(x):\r\n    time.sleep(x)\r"
    path = project / "mixed.py"
    path.write_bytes(text.encode())
    fix(path)
    data = path.read_bytes().decode()
    # the import the fix made unused is replaced, the other lines keep their endings
    assert data.startswith("import asyncio\r\n\nasync def pause(x):\r\n") and data.endswith(FIXED_LINE + "\r")


def test_write_atomic_refuses_without_touching_anything(tmp_path):
    path = tmp_path / "x.py"
    path.write_bytes(b"old")
    os.chmod(path, 0o400)
    with pytest.raises(WriteRefused):
        write_atomic(str(path), b"new", root=str(tmp_path))
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["x.py"]
    os.chmod(path, 0o600)
    write_atomic(str(path), b"new", root=str(tmp_path))
    assert path.read_bytes() == b"new" and os.listdir(tmp_path) == ["x.py"]


def test_a_file_of_another_owner_is_not_taken_over(tmp_path, monkeypatch):
    """What a user other than the owner (and not root) meets: the rename would make the file
    theirs, so it is refused; so is a file they cannot write at all."""
    path = tmp_path / "x.py"
    path.write_bytes(b"old")
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(path).st_uid + 4242)
    with pytest.raises(WriteRefused, match="owned by another user"):
        write_atomic(str(path), b"new", root=str(tmp_path))
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False)
    with pytest.raises(WriteRefused, match="not writable by this user"):
        write_atomic(str(path), b"new", root=str(tmp_path))
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["x.py"]
