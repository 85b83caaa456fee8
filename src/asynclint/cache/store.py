"""The one cache file format of asynclint: data only, every entry authenticated.

Every cache the tool writes (file summaries and run results in the project's
``.asynclint_cache/``, the parsed catalog and library summaries in the user's
cache directory) is a ``Store``: a file of entries ``key -> bytes``, where the
bytes are built-in data (``codec``, decoded by the caller) and never code.
Nothing read from a cache file can run code: there is no pickle anywhere.

Each entry carries an HMAC-SHA256 tag over its namespace, key and value, made
with a secret created once per user and installation (``cache-key`` in the
user cache directory, mode 0600).  Tags are checked before anything is
decoded: a value's when it is first read (``get``), a removal's when the file
is read. A run after one edit reads a few of a large project's entries: the
others are neither checked nor read (where the system can read a file at an
offset, a large store reads its records' heads at load and each value when it
is asked for, from the file as it was opened: reading and checking all of a
1M-line project's stores cost a tenth of such a run).  An entry whose tag does
not match (damaged bytes, a cache written by another version or layout, a cache committed to a repository or copied from
another machine, a crafted file) is dropped and rebuilt; a file that is not a
store at all is ignored whole.  Reading a cache can therefore neither run code,
nor crash the run, nor make asynclint believe results it did not compute.

File layout (little endian)::

    b"asynclint-cache\\0"  u16 format  u32 count
    records to the end of the file:
      ( u16 key length  u32 value length  32-byte tag  key  value )

A key's last record wins; a record whose value length is ``0xFFFFFFFF`` (and
has no value bytes) says the key was removed. A whole write puts first one
record more, under the key ``b"\x00heads"``: the keys, value lengths and tags
of the records it writes after it (``codec`` data), so that opening a large
store reads those and not the whole file (then each record appended since);
heads that fail their tag, or do not fit the file, are ignored and every
record is read. ``count`` is how many records
the file was written with: a save that changes few entries appends their
records to the file instead of writing it again (a run after one edit of a
large project writes kilobytes, not the whole cache), and the file is written
whole again (compacted) once superseded records make up half of it.  An append
cut short, or two processes' appends mixed, fail their tags: those entries are
dropped and rebuilt like any damaged one.

The project cache directory is used only when it is a real directory inside
the project: a ``.asynclint_cache`` that is a symbolic link (or resolves
elsewhere) is not read or written, and this is said once.  Its ``.gitignore``
and ``CACHEDIR.TAG`` are written only when asynclint creates the directory.
"""

from __future__ import annotations

import os
import stat
import struct
import sys
from array import array
from itertools import accumulate, repeat
from _operator import _compare_digest as compare_digest  # (hmac.compare_digest, without importing hmac)

from . import codec
from ..fsio import append_private, open_private, read_opened, read_private, write_private

MAGIC = b"asynclint-cache\x00"
FORMAT = 2
_REMOVED = 0xFFFFFFFF  # the value length of a record saying its key was removed
_SLACK = 1 << 16  # superseded bytes a file may carry beyond its live entries' size before it is compacted
MAX_FILE = 1 << 30  # a larger "cache" is not ours: ignored
KEY_FILE = "cache-key"
PROJECT_DIR = ".asynclint_cache"

_HEAD = struct.Struct("<16sHI")
_REC = struct.Struct("<HI32s")
_LENS = struct.Struct("<HI")
# the key of the record a whole write puts first: the keys, value lengths and tags of the records after it
_HEADS = b"\x00heads"

_said: set = set()

_WHOLE_UP_TO = 1 << 18  # a store file at most this large is read whole at load
_WINDOW = 1 << 16  # bytes read at a time while going through a larger one's record heads


class _Bytes:
    """A store file's bytes, read whole."""

    def __init__(self, data: bytes):
        self.view = memoryview(data)
        self.size = len(data)

    def read(self, pos: int, n: int):
        return self.view[pos:pos + n]

    def close(self) -> None:
        pass


class _Opened:
    """A store file kept open, read at offsets: what a later ``read`` gives is the file as it was
    opened, or less when someone cut it short since (a record read short fails its check)."""

    def __init__(self, fd: int, size: int):
        self.fd = fd
        self.size = size

    def read(self, pos: int, n: int):
        return memoryview(os.pread(self.fd, n, pos)) if self.fd is not None else memoryview(b"")

    def close(self, _close=os.close) -> None:  # (``os`` may be gone when the interpreter exits)
        fd, self.fd = self.fd, None
        if fd is not None:
            _close(fd)

    __del__ = close


def _open(path: str):
    """The store file at ``path`` to read (``_Bytes``, or ``_Opened`` when it is large and the system
    reads at offsets), or None."""
    got = open_private(path, MAX_FILE)
    if got is None:
        return None
    fd, size = got
    if size > _WHOLE_UP_TO and hasattr(os, "pread"):
        return _Opened(fd, size)
    data = read_opened(fd, size)
    return _Bytes(data) if data is not None else None


# ---------------------------------------------------------------- HMAC-SHA256


def _openssl_hmac(key: bytes, data=b""):
    import hmac

    return hmac.new(key, data, "sha256")


try:  # the interpreter's own SHA-256 (3.11: _sha256, 3.12+: _sha2)
    from _sha256 import sha256 as _builtin_sha256
except ImportError:
    try:
        from _sha2 import sha256 as _builtin_sha256
    except ImportError:
        _builtin_sha256 = None

_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


class _BuiltinHMAC:
    """HMAC-SHA256 (RFC 2104, as ``hmac.new(key, data, "sha256")``) on the interpreter's built-in
    SHA-256: loading OpenSSL for ``hmac`` costs more than a small store's whole check."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes, data=b""):
        if len(key) > 64:
            key = _builtin_sha256(key).digest()
        key = key.ljust(64, b"\x00")
        self._inner = _builtin_sha256(key.translate(_IPAD))
        self._outer = _builtin_sha256(key.translate(_OPAD))
        if data:
            self._inner.update(data)

    def update(self, data) -> None:
        self._inner.update(data)

    def digest(self) -> bytes:
        outer = self._outer.copy()
        outer.update(self._inner.digest())
        return outer.digest()


def sha256(data: bytes) -> bytes:
    """SHA-256 of ``data``, with the interpreter's own implementation when it has one."""
    if _builtin_sha256 is not None:
        return _builtin_sha256(data).digest()
    import hashlib

    return hashlib.sha256(data).digest()


def hmac_sha256(builtin: bool = False):
    """The HMAC-SHA256 constructor ``(key, data) -> object with update, digest``: OpenSSL's
    (``hmac``), or with ``builtin`` the interpreter's own SHA-256 (slower per byte, nothing to
    load: for the small stores read at start-up) when it has one."""
    return _BuiltinHMAC if builtin and _builtin_sha256 is not None else _openssl_hmac


def say_once(message: str) -> None:
    """A plain one-line notice on stderr, once per process."""
    if message not in _said:
        _said.add(message)
        try:
            print(f"asynclint: {message}", file=sys.stderr)
        except (OSError, ValueError):
            pass


# ---------------------------------------------------------------- the secret


def user_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "asynclint")


_KEYS: dict = {}  # key file path -> secret (or None: caches off)


def installation_key() -> bytes | None:
    """The per-user secret that authenticates cache entries, created on first use; None when
    there is none to be had (caches are then neither read nor written)."""
    path = os.path.join(user_cache_dir(), KEY_FILE)
    if path not in _KEYS:
        _KEYS[path] = _load_key(path)
    return _KEYS[path]


def _load_key(path: str) -> bytes | None:
    key, problem = _read_key(path)
    if key is None and problem is None:  # not there yet
        try:
            _create_key(path)
        except OSError as exc:
            say_once(f"caches disabled: cannot create {path} ({exc.strerror or exc})")
            return None
        key, problem = _read_key(path)
    if problem is not None:
        say_once(f"caches disabled: {path} {problem}")
    return key


def _read_key(path: str):
    """(secret, None), (None, None) when missing, or (None, why it is not trusted)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror})"
    if not stat.S_ISREG(st.st_mode):
        return None, "is not a regular file"
    if os.name == "posix":  # elsewhere the user's profile directory is what keeps it private
        if st.st_uid != os.geteuid():
            return None, "belongs to another user"
        if st.st_mode & 0o077:
            return None, "is readable or writable by others (it must be mode 0600)"
    data = read_private(path, 64)
    if data is None or len(data) != 32:
        return None, "is damaged (delete it to make a new one)"
    return data, None


def _create_key(path: str) -> None:
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(32))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # never replaces a key another process made meanwhile
        except FileExistsError:
            pass
        except OSError:  # no hard links on this file system
            if not os.path.lexists(path):
                os.replace(tmp, path)
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


# ---------------------------------------------------------------- directories


def project_cache_dir(root: str) -> str | None:
    """``root/.asynclint_cache`` when it may be used: missing (made on first save) or a real
    directory inside the project.  A symbolic link, or anything that resolves elsewhere, is
    not used, which is said once."""
    path = os.path.join(root, PROJECT_DIR)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return path
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        say_once(f"not using the cache: {path} is a symbolic link")
        return None
    if not stat.S_ISDIR(st.st_mode):
        say_once(f"not using the cache: {path} is not a directory")
        return None
    if os.path.realpath(path) != os.path.join(os.path.realpath(root), PROJECT_DIR):
        say_once(f"not using the cache: {path} resolves outside the project")
        return None
    return path


def ensure_project_dir(path: str) -> bool:
    """Make the project cache directory if needed; tag it (CACHEDIR.TAG, a ``.gitignore`` of
    ``*``) only when this call made it, so that no existing file is ever overwritten."""
    try:
        os.mkdir(path, 0o755)
    except FileExistsError:
        st = os.lstat(path)
        return stat.S_ISDIR(st.st_mode) and not stat.S_ISLNK(st.st_mode)
    except OSError:
        return False
    for name, text in (("CACHEDIR.TAG", b"Signature: 8a477f597d28d172789f06886806bc55\n# created by asynclint\n"),
                       (".gitignore", b"# created by asynclint\n*\n")):
        try:
            fd = os.open(os.path.join(path, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                         0o644)
        except OSError:
            continue
        with os.fdopen(fd, "wb") as fh:
            fh.write(text)
    return True


def ensure_user_dir(path: str) -> bool:
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode)


# ---------------------------------------------------------------- the store


class Store:
    """A cache file of authenticated entries.  ``get`` returns only entries whose tag checked
    out at load; ``put``/``discard`` change the entries; ``save`` writes them all atomically.

    ``directory`` None (or no secret) makes a store that reads nothing and writes nothing."""

    def __init__(self, directory: str | None, name: str, namespace: str, *, project: bool = True, load: bool = True,
                 builtin_sha: bool = False):
        """``builtin_sha``: compute tags with the interpreter's own SHA-256 (``hmac_sha256``)."""
        self._mac = mac = hmac_sha256(builtin_sha)
        self.directory = directory
        self.name = name
        self.secret = installation_key() if directory is not None else None
        self.project = project
        self._items: dict = {}  # key -> (tag or None, value; None: not read yet)
        self._unchecked: dict = {}  # key -> (start, key length, end) in the file of a record not checked yet
        self._file = None  # the file read at load (``_Bytes``, ``_Opened``), while a value is still to read
        self.rejected = 0  # entries dropped (damaged, foreign): at load, or when first read
        self._on_disk: int | None = None  # the file's size where this store's records end, once read or written
        self._dead = 0  # bytes of the file's records that no longer count (superseded, removed, damaged)
        self._removed: set = set()  # keys of the file's records removed since
        self._ns_key = (mac(self.secret, b"asynclint cache namespace\x00" + namespace.encode("utf-8", "surrogatepass")
                            ).digest() if self.secret is not None else None)
        if load and self._ns_key is not None:
            self._load()

    @property
    def enabled(self) -> bool:
        return self._ns_key is not None

    @property
    def path(self) -> str | None:
        return os.path.join(self.directory, self.name) if self.directory is not None else None

    def _tag(self, key: bytes, value) -> bytes:
        """HMAC of the record's lengths, key and value (what ``_load`` checks)."""
        return self._mac(self._ns_key, _LENS.pack(len(key), len(value)) + key + bytes(value)).digest()

    def _load(self) -> None:
        f = _open(self.path)
        if f is None:
            return
        end = f.size
        head = f.read(0, _HEAD.size)
        if len(head) < _HEAD.size:
            f.close()
            return
        magic, fmt, count = _HEAD.unpack_from(head, 0)
        if magic != MAGIC or fmt != FORMAT:
            f.close()
            return
        items, unchecked = self._items, self._unchecked
        rec, unpack = _REC.size, _REC.unpack_from
        dead = 0
        pos = _HEAD.size
        buf, base = f.read(0, end) if type(f) is _Bytes else head, 0  # (a window on the file from ``base``)
        indexed = self._take_heads(f, pos, end)
        if indexed is not None:  # (the records of the last whole write, from the heads written before them)
            pos, dead = indexed
        while pos + rec <= end:
            if pos + rec > base + len(buf):
                buf, base = f.read(pos, _WINDOW), pos
                if len(buf) < rec:
                    break  # (cut short since it was opened)
            klen, vlen, tag = unpack(buf, pos - base)
            start = pos + rec
            removed = vlen == _REMOVED
            stop = start + klen + (0 if removed else vlen)
            if stop > end:
                break
            if start + klen > base + len(buf):
                buf, base = f.read(pos, max(_WINDOW, rec + klen)), pos
                if len(buf) < rec + klen:
                    break
            key = bytes(buf[start - base:start - base + klen])
            # the tag covers the lengths, the key and the value; a value's is checked when it is first
            # read, a removal's now (one forged by someone without the secret must not hide an entry)
            if removed and not self._check(tag, buf[pos - base:stop - base]):
                dead += stop - pos
                pos = stop
                continue
            if key == _HEADS:  # (heads that are not the first record: not ours to use)
                dead += stop - pos
                pos = stop
                continue
            if key in items:
                dead += self._size_of(key)
                unchecked.pop(key, None)
                del items[key]
            if removed:
                dead += stop - pos
            else:
                items[key] = (tag, None)
                unchecked[key] = (pos, klen, stop)
            pos = stop
        self._on_disk = pos
        self._dead = dead + (end - pos)
        if unchecked:
            self._file = f
        else:
            f.close()

    def _take_heads(self, f, pos: int, end: int):
        """When the file's first record holds the heads of the records a whole write put after it
        (``_HEADS``) and its tag is right: those records taken as if read one by one, and (the
        position after them, the heads record's size); else None (nothing taken: the records are read
        one by one). A store of many large entries then reads kilobytes at load, not the whole file."""
        rec = _REC.size
        first = f.read(pos, rec + len(_HEADS))
        if len(first) < rec + len(_HEADS):
            return None
        klen, vlen, tag = _REC.unpack_from(first, 0)
        if klen != len(_HEADS) or vlen == _REMOVED or bytes(first[rec:]) != _HEADS or pos + rec + klen + vlen > end:
            return None
        record = f.read(pos, rec + klen + vlen)
        if len(record) != rec + klen + vlen or not self._check(tag, record):
            return None
        try:
            keys, vlens, tags = codec.loads(record[rec + klen:])
            lengths = array("I")
            lengths.frombytes(vlens)
        except Exception:  # (authenticated: cannot happen unless a bug)
            return None
        n = len(keys)
        if len(lengths) != n or len(tags) != 32 * n or len(set(keys)) != n:
            return None
        klens = list(map(len, keys))
        starts = list(accumulate(map(rec.__add__, map(int.__add__, klens, lengths)), initial=pos + len(record)))
        if starts[-1] > end:
            return None  # (cut short since it was written: read what is there one by one)
        self._items.update(zip(keys, zip([tags[i:i + 32] for i in range(0, 32 * n, 32)], repeat(None))))
        self._unchecked.update(zip(keys, zip(starts, klens, starts[1:])))
        return starts[-1], len(record)

    def _heads_record(self, items, tags: list) -> list:
        """The parts of the record of the heads of ``items`` ((key, (tag or None, value))) written with
        ``tags``, as a whole write puts them after it: their keys, value lengths and tags."""
        heads = codec.dumps(([key for key, _ in items], array("I", [len(value) for _, (_, value) in items]).tobytes(),
                             b"".join(tags)))
        return [_REC.pack(len(_HEADS), len(heads), self._tag(_HEADS, heads)), _HEADS, heads]

    def _check(self, tag: bytes, record) -> bool:
        """Is ``tag`` right for ``record`` (its bytes in the file: lengths, key, value)?"""
        mac = self._mac(self._ns_key, record[:_LENS.size])
        mac.update(record[_REC.size:])
        if compare_digest(mac.digest(), tag):
            return True
        self.rejected += 1
        return False

    def _size_of(self, key: bytes) -> int:
        where = self._unchecked.get(key)
        if where is not None:
            return where[2] - where[0]
        return _size(key, self._items[key][1])

    def _checked(self, key: bytes) -> bool:
        """Is ``key``'s entry there with its tag right (read and checked now if it was not yet;
        dropped if wrong)?"""
        where = self._unchecked.get(key)
        if where is None:
            return key in self._items
        pos, klen, stop = where
        tag = self._items[key][0]
        record = self._file.read(pos, stop - pos) if self._file is not None else b""
        del self._unchecked[key]
        if len(record) == stop - pos and self._check(tag, record):
            self._items[key] = (tag, record[_REC.size + klen:])
            ok = True
        else:
            if len(record) != stop - pos:
                self.rejected += 1  # (the file was cut short since it was opened)
            self._dead += stop - pos
            del self._items[key]
            ok = False
        if not self._unchecked and self._file is not None:
            self._file.close()
            self._file = None
        return ok

    def _check_all(self) -> None:
        for key in list(self._unchecked):
            self._checked(key)

    def get(self, key: bytes):
        """The value (bytes-like) stored under ``key``, or None."""
        if key in self._unchecked and not self._checked(key):
            return None
        item = self._items.get(key)
        return item[1] if item is not None else None

    def __contains__(self, key: bytes) -> bool:
        return self._checked(key)

    def keys(self):
        """The keys of the entries (every entry read and checked)."""
        self._check_all()
        return self._items.keys()

    def names(self) -> list:
        """The keys of the entries, in the order they were stored, without reading them (one that is
        damaged is among them until it is read)."""
        return list(self._items)

    def has_entries(self) -> bool:
        """Has the store an entry (read and checked until one is right)?"""
        return any(self._checked(key) for key in list(self._items))

    def put(self, key: bytes, value: bytes) -> None:
        if key == _HEADS:
            raise ValueError("a key the store keeps for itself")
        self._drop(key)
        self._items[key] = (None, value)

    def discard(self, key: bytes) -> None:
        self._drop(key)
        self._items.pop(key, None)

    def retain(self, keys) -> None:
        """Drop every entry whose key is not in ``keys``."""
        for key in [k for k in self._items if k not in keys]:
            self.discard(key)

    def _drop(self, key: bytes) -> None:
        """The entry of ``key`` in the file (if it is there) no longer counts."""
        item = self._items.get(key)
        if item is not None and item[0] is not None:
            self._dead += self._size_of(key)
            self._removed.add(key)
        self._unchecked.pop(key, None)

    def save(self) -> bool:
        """Write the entries that changed (appended), or every entry (atomically); False when the
        cache could not be written."""
        if not self.enabled:
            return False
        if not (ensure_project_dir(self.directory) if self.project else ensure_user_dir(self.directory)):
            return False
        fresh = [(key, value) for key, (tag, value) in self._items.items() if tag is None]
        removed = [key for key in self._removed if key not in self._items]
        if not fresh and not removed and self._on_disk is not None:
            return True
        live = sum(map(self._size_of, self._items))
        added = sum(_size(key, value) for key, value in fresh) + sum(_REC.size + len(k) for k in removed)
        if self._on_disk is not None and self._dead + added <= live + _SLACK:
            parts = []
            for key in removed:
                lengths = _LENS.pack(len(key), _REMOVED)
                parts += [_REC.pack(len(key), _REMOVED, self._mac(self._ns_key, lengths + key).digest()), key]
            tags = self._records(fresh, parts)
            try:
                if append_private(self.path, b"".join(parts), self._on_disk):
                    self._written(fresh, tags, self._on_disk + sum(map(len, parts)), self._dead + added)
                    return True
            except OSError:
                pass  # (written whole below)
        self._check_all()  # (written whole: a damaged entry is not written again)
        parts: list = []
        items = list(self._items.items())
        tags = self._records(items, parts, tags=True)
        first = self._heads_record(items, tags)
        parts = [_HEAD.pack(MAGIC, FORMAT, len(items) + 1)] + first + parts
        try:
            write_private(self.directory, self.name, b"".join(parts))
        except OSError:
            return False  # a read-only tree is still checked, just not cached
        self._written(items, tags, sum(map(len, parts)), sum(map(len, first)))
        _remove_pickles(self.directory, self.name.split("-", 1)[0] + "-")
        return True

    def _records(self, items, parts: list, tags: bool = False) -> list:
        """Appends the records of ``items`` ((key, value), or (key, (tag, value)) with ``tags``) to
        ``parts``; their tags."""
        out = []
        for key, value in items:
            tag = None
            if tags:
                tag, value = value
            if tag is None:
                tag = self._tag(key, value)
            out.append(tag)
            parts += [_REC.pack(len(key), len(value), tag), key, value]
        return out

    def _written(self, items, tags: list, size: int, dead: int) -> None:
        for (key, value), tag in zip(items, tags):
            if type(value) is tuple:
                value = value[1]
            self._items[key] = (tag, value)
        self._removed = set()
        self._on_disk, self._dead = size, dead


def _size(key: bytes, value) -> int:
    return _REC.size + len(key) + len(value)


def _remove_pickles(directory: str, prefix: str) -> None:
    """Earlier versions kept this cache as a pickle, which is never read again: remove it."""
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix) and n.endswith(".pickle")]
    except OSError:
        return
    for name in names:
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass

