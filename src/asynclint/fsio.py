"""Reading and writing files: the one decoder, reader and atomic writer of the whole tool.

- ``read_regular`` reads a regular file only: a FIFO, socket or device is refused
  from its ``stat`` before anything opens it, and the open itself cannot block.
- ``write_atomic`` replaces a source file (``--fix``) without ever leaving it
  half-written, and only where the rewrite keeps what the file system says:
  read-only files, files of another owner, hard-linked files and symbolic
  links out of the project are refused (``WriteRefused``); owner, group and
  mode are kept; a symbolic link stays a link and its target is rewritten.
- ``write_private`` writes a cache file: atomically, readable by the owner only,
  never through a symbolic link; ``append_private`` adds to one it wrote.
"""

from __future__ import annotations

import codecs
import io
import os
import stat

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOCTTY = getattr(os, "O_NOCTTY", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)


class NotRegularFile(OSError):
    """A path that is a FIFO, socket, device or directory where a file was expected."""


class FileTooLarge(OSError):
    def __init__(self, size: int, limit: int):
        super().__init__(f"file too large ({size:,} bytes; limit {limit:,})")
        self.size, self.limit = size, limit


class WriteRefused(OSError):
    """Writing would go against what the file system says (read-only, another owner, links)."""


_KINDS = ((stat.S_ISREG, "regular file"), (stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "FIFO"),
          (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
          (stat.S_ISLNK, "symbolic link"))


def stat_or_none(path: str):
    """``os.stat(path)``, or None when there is nothing to stat there (or the path cannot be one)."""
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None


def kind_of(mode: int) -> str:
    """A file type in words: ``FIFO``, ``socket``, ``character device`` ..."""
    return next((name for test, name in _KINDS if test(mode)), "special file")


def not_regular(path: str, mode: int) -> NotRegularFile:
    return NotRegularFile(f"not a regular file ({kind_of(mode)})")


def read_regular(path: str, limit: int | None = None) -> bytes:
    """The bytes of a regular file.  ``NotRegularFile`` for anything else (never opened),
    ``FileTooLarge`` past ``limit`` bytes (never read), ``OSError`` otherwise."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise not_regular(path, st.st_mode)
    if limit is not None and st.st_size > limit:
        raise FileTooLarge(st.st_size, limit)
    # O_NONBLOCK: should the path have become a FIFO since the stat, opening it does not wait
    fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_CLOEXEC | _O_NOCTTY | _O_BINARY)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise not_regular(path, st.st_mode)
        if limit is not None and st.st_size > limit:
            raise FileTooLarge(st.st_size, limit)
        chunks = []
        remaining = limit + 1 if limit is not None else -1  # a file growing while read stops here
        while True:
            chunk = os.read(fd, 1 << 20 if remaining < 0 else min(1 << 20, remaining))
            if not chunk:
                break
            chunks.append(chunk)
            if remaining >= 0:
                remaining -= len(chunk)
                if remaining <= 0:
                    break
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if limit is not None and len(data) > limit:
        raise FileTooLarge(len(data), limit)
    return data


def decode_source(data: bytes) -> str:
    """Bytes to text, honouring a BOM and a PEP 263 coding cookie; ``UnicodeError`` says why not."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        wide = "UTF-32" if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) else "UTF-16"
        raise UnicodeError(f"the file starts with a {wide} byte-order mark: Python source must be UTF-8 "
                           "(or declare an ASCII-compatible encoding)")
    try:
        import tokenize  # (here: the stores read caches with this module before any source)

        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        message = str(exc)
        if message.startswith("unknown encoding"):
            raise UnicodeError(f"unknown encoding {message.split(':', 1)[-1].strip()!r} in the coding "
                               "declaration") from None
        if "invalid or missing encoding declaration" not in message:
            raise UnicodeError(message) from None
        encoding = "utf-8"  # not UTF-8 in its first lines, and no cookie: say where
    try:
        return data.decode(encoding)
    except LookupError:
        raise UnicodeError(f"unknown encoding {encoding!r} in the coding declaration") from None
    except UnicodeDecodeError as exc:
        raise UnicodeError(
            f"not valid {exc.encoding.upper() if exc.encoding else encoding} "
            f"(byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


def source_encoding(data: bytes) -> str:
    """The encoding ``decode_source`` uses for these bytes (for writing a rewrite back)."""
    import tokenize  # (here: the stores read caches with this module before any source)

    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return encoding


def keep_final_newline(before: str, after: str) -> str:
    """``after`` ending the way ``before`` ends: a rewrite must not drop (or add) the final line
    ending, whichever it is (LibCST drops a final CR in CR-only files)."""
    want, have = _line_ending_at_end(before), _line_ending_at_end(after)
    if want == have:
        return after
    return after[:len(after) - len(have)] + want


def _line_ending_at_end(text: str) -> str:
    if text.endswith("\r\n"):
        return "\r\n"
    if text.endswith(("\n", "\r")):
        return text[-1]
    return ""


def printable_path(path: str) -> str:
    """A file name as it may be printed on one line of a report: control characters and the
    bytes of a name that are not UTF-8 (which Python keeps as lone surrogates) are escaped
    (``\\n``, ``\\x1b``, ``\\xff``); everything else is left as it is."""
    if path.isprintable():
        return path
    out = []
    for ch in path:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte of the name that was not UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable() and not 0xD800 <= code <= 0xDFFF:
            out.append(ch)
        elif code < 0x100:
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\x{code:02x}"))
        else:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return "".join(out)


# ---------------------------------------------------------------- writing


def _inside(path: str, root: str) -> bool:
    root = os.path.realpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve_for_write(path: str, root: str | None = None) -> str:
    """The file a rewrite of ``path`` must replace: ``path`` itself, or the target of a symbolic
    link when that target is inside ``root`` (the project; without one, the link's directory)."""
    st = os.lstat(path)
    if not stat.S_ISLNK(st.st_mode):
        return path
    target = os.path.realpath(path)
    boundary = root if root is not None else os.path.dirname(os.path.abspath(path))
    if not _inside(target, boundary):
        raise WriteRefused("a symbolic link to a file outside the project; left alone")
    return target


def write_atomic(path: str, data: bytes, *, root: str | None = None) -> None:
    """Replace the content of the source file ``path`` by ``data``, all or nothing.

    The new content goes to a temporary file next to the file, flushed to disk, with the
    file's owner, group and mode, and is then renamed over it: at every moment the file holds
    either its old content or its new one.  Refused (``WriteRefused``, nothing written): a
    file without write permission (read-only, even for root; or not writable by this user),
    a file of another owner (the rename would make it ours), a file with several hard links
    (the rename would split them) and a symbolic link whose target is outside ``root``."""
    target = resolve_for_write(path, root)
    st = os.stat(target)
    if not stat.S_ISREG(st.st_mode):
        raise not_regular(target, st.st_mode)
    if not st.st_mode & 0o222:
        raise WriteRefused("read-only file; left alone")
    if not os.access(target, os.W_OK):
        raise WriteRefused("not writable by this user; left alone")
    if st.st_nlink > 1:
        raise WriteRefused(f"it has {st.st_nlink} hard links, which rewriting it would split; left alone")
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    if euid is not None and euid != 0 and st.st_uid != euid:
        raise WriteRefused("owned by another user, and rewriting it would make it yours; left alone")
    directory = os.path.dirname(os.path.abspath(target))
    tmp = _temp_name(directory, os.path.basename(target))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC | _O_BINARY, 0o600)
    try:
        try:
            if hasattr(os, "fchown") and (euid is not None) and (st.st_uid, st.st_gid) != _owner(fd):
                try:
                    os.fchown(fd, st.st_uid if euid == 0 else -1, st.st_gid)
                except PermissionError:
                    raise WriteRefused("its group cannot be kept by this user; left alone") from None
            _write_all(fd, data)
            os.fsync(fd)
            if hasattr(os, "fchmod"):
                os.fchmod(fd, stat.S_IMODE(st.st_mode))  # after fchown, which may clear set-id bits
            else:  # pragma: no cover - Windows
                os.chmod(tmp, stat.S_IMODE(st.st_mode))
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        _discard(tmp)
        raise
    _fsync_dir(directory)


def _discard(tmp: str) -> None:
    """Remove a temporary file a failed write left (gone already: fine)."""
    try:
        os.unlink(tmp)
    except OSError:
        pass


def write_private(directory: str, name: str, data: bytes) -> None:
    """Write the cache file ``directory/name`` atomically, mode 0600, without fsync (a torn
    cache file fails its integrity check and is rebuilt).  The temporary file is created
    exclusively and never followed if a link; the rename replaces a link, never its target."""
    tmp = _temp_name(directory, name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC | _O_BINARY, 0o600)
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(tmp, os.path.join(directory, name))
    except BaseException:
        _discard(tmp)
        raise


def append_private(path: str, data: bytes, size: int) -> bool:
    """Append ``data`` to the cache file ``path`` if it is still the regular file of ``size`` bytes
    that this user wrote (never through a symbolic link); False (nothing written) otherwise."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | _O_NOFOLLOW | _O_NONBLOCK | _O_CLOEXEC | _O_NOCTTY | _O_BINARY)
    except OSError:
        return False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size != size or st.st_nlink != 1:
            return False
        if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
            return False
        _write_all(fd, data)
        return True
    finally:
        os.close(fd)


def open_private(path: str, limit: int):
    """(file descriptor, size) of a cache file open for reading, or None when it is missing, not a
    regular file, a symbolic link, larger than ``limit`` or unreadable. The caller closes it."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        fd = os.open(path, os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_CLOEXEC | _O_NOCTTY | _O_BINARY)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and st.st_size <= limit:
            return fd, st.st_size
    except OSError:
        pass
    os.close(fd)
    return None


def read_private(path: str, limit: int) -> bytes | None:
    """A cache file's bytes, or None when it is missing, not a regular file, a symbolic link,
    larger than ``limit`` or unreadable."""
    got = open_private(path, limit)
    return read_opened(*got) if got is not None else None


def read_opened(fd: int, size: int) -> bytes | None:
    """The bytes of a file ``open_private`` gave (``size`` as it said), which it closes; None when
    unreadable or when the file grew meanwhile (its bytes are then not what was checked)."""
    try:
        with os.fdopen(os.dup(fd), "rb") as fh:
            # its size, not the limit: a read allocates what it is asked for (one byte more tells a
            # file that grew meanwhile)
            data = fh.read(size + 1)
        return data if len(data) <= size else None
    except OSError:
        return None
    finally:
        os.close(fd)


def _temp_name(directory: str, base: str) -> str:
    # (os.urandom, not uuid: importing uuid imports platform, a tenth of a warm run's start-up)
    return os.path.join(directory, f".{base[:64]}.{os.getpid()}.{os.urandom(6).hex()}.tmp")


def _owner(fd: int) -> tuple:
    st = os.fstat(fd)
    return st.st_uid, st.st_gid


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _fsync_dir(directory: str) -> None:
    """Make the rename durable (POSIX); a file system that cannot is not an error."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
