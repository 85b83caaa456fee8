"""Reading and writing source files: one decoder and one atomic writer for the whole tool."""

from __future__ import annotations

import io
import os
import tempfile
import tokenize


def decode_source(data: bytes) -> str:
    """Bytes to text, honouring a BOM and a PEP 263 coding cookie; ``UnicodeError`` says why not."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" not in str(exc):
            raise UnicodeError(str(exc)) from None
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
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return encoding


def write_atomic(path: str, data: bytes) -> None:
    """Write through a temporary file in the same directory, keeping the permissions."""
    directory = os.path.dirname(os.path.abspath(path))
    st = os.stat(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, st.st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
