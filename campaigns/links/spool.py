"""The click spool: a web process appends each click to a journal file of its own on local
disk, and a thread of the same process ships the journal to the database in batches.

Why: a Redis round trip per redirect was most of the redirect's cost (~40 µs of CPU in
redis-py, Redis's own work and the thread switches around the wait: `bench redirects`
then measured the tracked redirect at 59% of the product's untracked 302). Appending a line is one
write(2) of ~1 µs. A write that returned is in the kernel's page cache, so a process
killed with SIGKILL loses none of it; only the machine itself dying before the kernel
writes it back could (as with a Redis that does not fsync its append-only file).
A click leaves the journal only once the database has it: shipped through Redis, a Redis
that keeps nothing on disk (no append-only file, the common default) lost what it held
when it died (3-7% of a 10 s load); Redis is not in this path at all.

How:
1. A process creates `<folder>/<host>-<pid>-<random>.clicks` under a temporary name,
   locks it (flock) and only then renames it, so a journal under its final name is always
   locked by a living owner or else an orphan. The owner appends one JSON line a click.
2. Its shipper thread wakes every `interval` seconds, reads the complete lines past the
   shipped offset and hands them to `deliver` (one INSERT into the database), and only
   once it returned records the new offset in `<journal>.offset`. Dying between the two
   re-ships one batch, which the database skips (click ids are unique).
   When `deliver` fails the lines stay in the journal and the shipper backs off.
3. A journal past `rotate_bytes` with everything shipped is replaced by a new one.
4. Every ADOPT_EVERY seconds the shipper adopts orphans: a journal whose lock it can take
   belongs to a dead process (the kernel drops a process's locks when it dies, SIGKILL
   included). It ships them from their recorded offset and deletes them.
5. At exit the shipper ships what is left and removes its journal; if it cannot, the
   journal stays for the next process to adopt.

The folder must be on the web host's own disk (flock across hosts, e.g. NFS, is not
reliable). Processes of one host, or containers sharing a volume, may share it.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIX = ".clicks"
OFFSET_SUFFIX = ".offset"
TEMP_SUFFIX = ".tmp"
# How often a shipper looks for journals left by dead processes.
ADOPT_EVERY = 5.0
# At most this much of a journal is read (and delivered) at once.
READ_BYTES = 4 * 1024 * 1024
# A shipper whose delivery failed waits up to this long before the next try.
MAX_BACKOFF = 10.0
OFFSET_FORMAT = b"%020d"
# After the disk refused a write, clicks bypass the spool this long before it is tried again.
REFUSED_FOR = 30.0

# Delivers complete JSON lines (without their newlines); False or an exception = try later.
Deliver = Callable[[list[bytes]], bool]


class Journal:
    """One journal file, held (locked) by this process."""

    def __init__(self, path: Path, fd: int, shipped: int) -> None:
        self.path = path
        self.fd = fd
        self.shipped = shipped
        self._offset_fd: int | None = None

    @classmethod
    def create(cls, folder: Path) -> Journal:
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
        temporary = folder / f".{name}{TEMP_SUFFIX}"
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC
        fd = os.open(temporary, flags, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path = folder / f"{name}{SUFFIX}"
        os.rename(temporary, path)
        return cls(path, fd, 0)

    @classmethod
    def adopt(cls, path: Path) -> Journal | None:
        """The journal at `path` if its owner is dead, locked for this process; else None."""
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # Another adopter may have shipped and removed it between our open and lock.
            if os.stat(path).st_ino != os.fstat(fd).st_ino:
                raise FileNotFoundError(path)
        except (BlockingIOError, FileNotFoundError):
            os.close(fd)
            return None
        return cls(path, fd, _recorded_offset(path))

    @property
    def offset_path(self) -> Path:
        return self.path.with_name(self.path.name + OFFSET_SUFFIX)

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def pending(self) -> int:
        return self.size() - self.shipped

    def ship(self, deliver: Deliver) -> bool:
        """Deliver every complete line past the shipped offset; False if delivery failed
        (what was not delivered stays, and is tried again)."""
        while True:
            size = self.size()
            if size <= self.shipped:
                return True
            data = os.pread(self.fd, min(size - self.shipped, READ_BYTES), self.shipped)
            end = data.rfind(b"\n") + 1
            if end == 0:
                if size - self.shipped >= READ_BYTES:
                    # One "line" bigger than a read: not ours; skip it rather than stall.
                    log.error("skipping %d bytes without a newline in %s", len(data), self.path)
                    self._record(self.shipped + len(data))
                    continue
                return True  # a line still being written
            lines = [line for line in data[:end].split(b"\n") if line]
            if lines and not deliver(lines):
                return False
            self._record(self.shipped + end)

    def _record(self, offset: int) -> None:
        if self._offset_fd is None:
            self._offset_fd = os.open(
                self.offset_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
            )
        # Fixed width, one pwrite: a reader sees the old number or the new one.
        os.pwrite(self._offset_fd, OFFSET_FORMAT % offset, 0)
        self.shipped = offset

    def remove(self) -> None:
        """Delete the journal (and its offset) and let go of it."""
        self.path.unlink(missing_ok=True)
        self.offset_path.unlink(missing_ok=True)
        self.close()

    def close(self) -> None:
        for fd in (self.fd, self._offset_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._offset_fd = None


def _recorded_offset(path: Path) -> int:
    try:
        return int(path.with_name(path.name + OFFSET_SUFFIX).read_bytes() or 0)
    except (FileNotFoundError, ValueError):
        return 0


class Spool:
    """This process's journal and its shipper thread."""

    def __init__(
        self,
        folder: Path,
        *,
        deliver: Deliver,
        interval: float,
        rotate_bytes: int,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        self.folder = folder
        self.deliver = deliver
        self.on_stop = on_stop  # run on the shipper's thread as it ends
        self.interval = interval
        self.rotate_bytes = rotate_bytes
        self.journal = Journal.create(folder)
        self._lock = threading.Lock()  # appends against rotation
        # Shipping happens on the thread, and in close() once the thread has stopped.
        self._ship_lock = threading.Lock()
        # Journals rotated away before all of them shipped: still ours, shipped later.
        self._retired: list[Journal] = []
        self._refused_until = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="click-spool", daemon=True)
        self._thread.start()

    def append(self, line: str) -> bool:
        """Append one click event; False if the disk refused it (full, gone): the caller
        stores it another way, and so do the next appends for REFUSED_FOR seconds."""
        if self._refused_until and time.monotonic() < self._refused_until:
            return False
        data = (line + "\n").encode()
        try:
            with self._lock:
                written = os.write(self.journal.fd, data)
                if written == len(data):
                    return True
                # A short write (the disk is full) leaves part of a line: end it, so the
                # next line does not join it. The parser drops that part as malformed.
                os.write(self.journal.fd, b"\n")
        except OSError:
            pass
        log.error("click spool %s refused a write; clicks bypass it for a while", self.folder)
        self._refused_until = time.monotonic() + REFUSED_FOR
        return False

    def ship(self) -> bool:
        """Ship this process's journals now (what the thread does each tick)."""
        with self._ship_lock:
            for journal in list(self._retired):
                if not journal.ship(self.deliver):
                    return False
                journal.remove()
                self._retired.remove(journal)
            return self.journal.ship(self.deliver)

    def _run(self) -> None:
        wait = self.interval
        next_adoption = 0.0
        while not self._stop.wait(wait):
            try:
                shipped = self.ship()
                if shipped:
                    self._rotate_if_due()
                    if time.monotonic() >= next_adoption:
                        next_adoption = time.monotonic() + ADOPT_EVERY
                        adopt_orphans(self.folder, deliver=self.deliver)
            except Exception:
                log.exception("click spool %s: shipping failed", self.folder)
                shipped = False
            wait = self.interval if shipped else min(MAX_BACKOFF, max(wait * 2, 0.5))
        if self.on_stop is not None:
            self.on_stop()

    def _rotate_if_due(self) -> None:
        old = self.journal
        if old.size() < self.rotate_bytes:
            return
        with self._ship_lock:
            fresh = Journal.create(self.folder)
            with self._lock:
                self.journal = fresh
            # No append reaches the old journal any more: ship its last lines and drop it,
            # or keep it (locked) until they ship.
            if old.ship(self.deliver):
                old.remove()
            else:
                self._retired.append(old)

    def close(self, *, timeout: float = 10.0) -> None:
        """Stop the thread, ship what is left, remove the journal when all of it shipped.
        Whatever could not be shipped stays on disk for the next process to adopt."""
        if self._stop.is_set():
            return  # closed already
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        deadline = time.monotonic() + timeout
        for journal in [*self._retired, self.journal]:
            with self._ship_lock:
                while not journal.ship(self.deliver) and time.monotonic() < deadline:
                    time.sleep(0.2)
                if journal.pending() <= 0:
                    journal.remove()
                else:
                    log.error(
                        "click spool: %d bytes of %s not shipped; the next process ships them",
                        journal.pending(),
                        journal.path,
                    )
                    journal.close()
        self._retired.clear()


def adopt_orphans(folder: Path, *, deliver: Deliver) -> int:
    """Ship and delete the journals of dead processes in `folder`; returns how many."""
    adopted = 0
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 0  # no web process ever spooled here
    except OSError:
        log.exception("cannot look for orphaned click journals in %s", folder)
        return 0
    for name in names:
        path = folder / name
        if name.endswith(TEMP_SUFFIX):
            # A process died between creating and naming its journal: nothing was written.
            journal = Journal.adopt(path)
            if journal is not None:
                journal.remove()
            continue
        if name.endswith(SUFFIX + OFFSET_SUFFIX):
            # Journals are removed before their offsets: one without its journal is left over.
            if not path.with_name(name.removesuffix(OFFSET_SUFFIX)).exists():
                path.unlink(missing_ok=True)
            continue
        if not name.endswith(SUFFIX):
            continue
        journal = Journal.adopt(path)
        if journal is None:
            continue
        log.warning("shipping clicks left by a stopped process: %s", name)
        try:
            shipped = journal.ship(deliver)
        except BaseException:
            journal.close()
            raise
        if shipped:
            journal.remove()
            adopted += 1
        else:
            journal.close()  # unlocked again: adopted later, by us or another process
    return adopted


def pending_bytes(folder: Path) -> int:
    """Bytes written to the journals in `folder` and not yet shipped (for benchmarks and
    tests: 0 means every click written so far has left the spool)."""
    total = 0
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 0
    for name in names:
        if name.endswith(SUFFIX):
            path = folder / name
            try:
                total += path.stat().st_size - _recorded_offset(path)
            except FileNotFoundError:
                continue
    return total


# --- One spool per process and folder ------------------------------------------------------

_spools: dict[str, Spool] = {}
_spools_lock = threading.Lock()
# A folder that could not be opened is not tried again for a while: not once per click.
RETRY_OPEN_AFTER = 30.0
_unusable_until: dict[str, float] = {}


def running(folder: str) -> Spool | None:
    """This process's spool in `folder` if it has one (the redirect's fast path)."""
    return _spools.get(folder)


def get(
    folder: str,
    *,
    deliver: Deliver,
    interval: float,
    rotate_bytes: int,
    on_stop: Callable[[], None] | None = None,
) -> Spool | None:
    """This process's spool in `folder`, started on first use; None if it cannot be made
    (the caller stores the click another way). Keyed by the folder as given: the redirect
    asks on every click, and building a Path costs more than the append."""
    found = _spools.get(folder)
    if found is not None:
        return found
    if time.monotonic() < _unusable_until.get(folder, 0.0):
        return None
    with _spools_lock:
        found = _spools.get(folder)
        if found is None:
            try:
                found = Spool(
                    Path(folder),
                    deliver=deliver,
                    interval=interval,
                    rotate_bytes=rotate_bytes,
                    on_stop=on_stop,
                )
            except OSError:
                log.exception("cannot open a click spool in %s", folder)
                _unusable_until[folder] = time.monotonic() + RETRY_OPEN_AFTER
                return None
            _spools[folder] = found
    return found


def close_all() -> None:
    """Close every spool of this process (at exit; tests between settings)."""
    with _spools_lock:
        spools = list(_spools.values())
        _spools.clear()
        _unusable_until.clear()
    for spool in spools:
        spool.close()


def _forget_after_fork() -> None:
    # A forked child inherits the parent's spool objects but not their threads: it must
    # open journals of its own. The inherited descriptors are closed; the parent keeps
    # its own, so its locks hold.
    global _spools_lock
    for spool in _spools.values():
        spool.journal.close()
    _spools.clear()
    _spools_lock = threading.Lock()


atexit.register(close_all)
os.register_at_fork(after_in_child=_forget_after_fork)
