"""The click spool on its own: journals on a real disk, locks, offsets, rotation, orphans.
The redirect through it, and processes killed around it, are in test_spool_clicks.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from campaigns.links import spool
from tests.worker import wait_for


class Collected:
    """A delivery that keeps what it was given; `refuse` makes it fail that many times."""

    def __init__(self, refuse: int = 0) -> None:
        self.lines: list[bytes] = []
        self.refuse = refuse
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, lines: list[bytes]) -> bool:
        with self._lock:
            self.calls += 1
            if self.refuse:
                self.refuse -= 1
                return False
            self.lines.extend(lines)
            return True


def _journals(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{spool.SUFFIX}"))


@pytest.fixture
def make_spool(tmp_path):
    made: list[spool.Spool] = []

    def make(deliver, *, interval: float = 3600, rotate_bytes: int = 1 << 30) -> spool.Spool:
        found = spool.Spool(tmp_path, deliver=deliver, interval=interval, rotate_bytes=rotate_bytes)
        made.append(found)
        return found

    yield make
    for found in made:
        found.close(timeout=1)


def test_appended_lines_are_shipped_once_and_the_journal_removed_at_close(tmp_path, make_spool):
    delivered = Collected()
    found = make_spool(delivered)
    for n in range(100):
        assert found.append(f'{{"n":{n}}}')
    assert spool.pending_bytes(tmp_path) == found.journal.size() > 0
    assert found.ship()
    assert found.ship()  # nothing new: nothing delivered twice
    assert delivered.lines == [f'{{"n":{n}}}'.encode() for n in range(100)]
    assert spool.pending_bytes(tmp_path) == 0
    found.close()
    assert list(tmp_path.iterdir()) == []


def test_the_thread_ships_on_its_own(tmp_path, make_spool):
    delivered = Collected()
    found = make_spool(delivered, interval=0.02)
    for n in range(10):
        found.append(str(n))
    assert wait_for(lambda: len(delivered.lines) == 10, timeout=5)
    assert wait_for(lambda: spool.pending_bytes(tmp_path) == 0, timeout=5)


def test_a_refused_delivery_keeps_the_lines_and_the_thread_tries_again(tmp_path, make_spool):
    delivered = Collected(refuse=2)
    found = make_spool(delivered, interval=0.02)
    for n in range(5):
        found.append(str(n))
    assert wait_for(lambda: len(delivered.lines) == 5, timeout=10)
    assert delivered.calls >= 3
    assert delivered.lines == [str(n).encode() for n in range(5)]


def test_a_line_still_being_written_waits_for_its_newline(tmp_path, make_spool):
    delivered = Collected()
    found = make_spool(delivered)
    found.append("whole")
    os.write(found.journal.fd, b'{"half":')  # as another thread's write, caught mid-way
    found.ship()
    assert delivered.lines == [b"whole"]
    os.write(found.journal.fd, b"1}\n")
    found.ship()
    assert delivered.lines == [b"whole", b'{"half":1}']


def test_rotation_moves_to_a_new_journal_and_loses_nothing(tmp_path, make_spool):
    delivered = Collected()
    found = make_spool(delivered, interval=0.01, rotate_bytes=2_000)
    first = found.journal.path
    sent = [f'{{"n":{n:05d}}}' for n in range(2_000)]

    def writer(part):
        for line in part:
            assert found.append(line)

    threads = [threading.Thread(target=writer, args=(sent[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wait_for(lambda: len(delivered.lines) == len(sent), timeout=10)
    assert sorted(delivered.lines) == sorted(line.encode() for line in sent)
    # The shipper rotates right after it delivers: wait for that, not just the lines.
    assert wait_for(lambda: found.journal.path != first and not first.exists(), timeout=5)
    assert wait_for(lambda: len(_journals(tmp_path)) == 1, timeout=5)


def test_a_live_journal_is_not_adopted(tmp_path, make_spool):
    mine = Collected()
    found = make_spool(mine)
    found.append("mine")
    other = Collected()
    assert spool.adopt_orphans(tmp_path, deliver=other) == 0
    assert other.lines == [] and found.journal.path.exists()


# A process that writes clicks to its spool and is killed before (or while) shipping them.
CHILD = """
import os, signal, sys
from pathlib import Path
from campaigns.links import spool

folder, count, ship_first = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sent = open(folder.parent / "shipped-by-child.txt", "ab")

def deliver(lines):
    sent.write(b"".join(line + b"\\n" for line in lines))
    sent.flush()
    return True

found = spool.Spool(folder, deliver=deliver, interval=3600, rotate_bytes=1 << 30)
for n in range(count):
    found.append('{"n":%d}' % n)
    if n + 1 == ship_first:
        found.ship()
print(found.journal.path, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _killed_child(folder: Path, count: int, ship_first: int = 0) -> Path:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), str(count), str(ship_first)],
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    return Path(result.stdout.strip())


def test_the_journal_of_a_killed_process_is_adopted_and_shipped_once(tmp_path):
    folder = tmp_path / "spool"
    journal = _killed_child(folder, 1_000)
    assert journal.exists() and spool.pending_bytes(folder) == journal.stat().st_size
    adopter = Collected()
    assert spool.adopt_orphans(folder, deliver=adopter) == 1
    assert adopter.lines == [f'{{"n":{n}}}'.encode() for n in range(1_000)]
    assert list(folder.iterdir()) == []
    assert spool.adopt_orphans(folder, deliver=adopter) == 0
    assert len(adopter.lines) == 1_000


def test_adoption_starts_where_the_dead_process_had_shipped_to(tmp_path):
    folder = tmp_path / "spool"
    _killed_child(folder, 1_000, ship_first=600)
    shipped = (tmp_path / "shipped-by-child.txt").read_bytes().split()
    assert len(shipped) == 600
    adopter = Collected()
    spool.adopt_orphans(folder, deliver=adopter)
    assert shipped + adopter.lines == [f'{{"n":{n}}}'.encode() for n in range(1_000)]


def test_an_orphan_whose_delivery_fails_stays_for_a_later_adoption(tmp_path):
    folder = tmp_path / "spool"
    journal = _killed_child(folder, 50)
    assert spool.adopt_orphans(folder, deliver=Collected(refuse=1)) == 0
    assert journal.exists()
    later = Collected()
    assert spool.adopt_orphans(folder, deliver=later) == 1
    assert len(later.lines) == 50


def test_a_journal_a_process_died_creating_is_removed(tmp_path):
    folder = tmp_path / "spool"
    folder.mkdir()
    (folder / f".host-1-ab{spool.TEMP_SUFFIX}").write_bytes(b"")
    assert spool.adopt_orphans(folder, deliver=Collected()) == 0
    assert list(folder.iterdir()) == []


def test_a_folder_that_cannot_be_used_is_reported_not_raised(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    try:
        assert spool.get(str(blocked), deliver=Collected(), interval=1, rotate_bytes=1) is None
        assert spool.running(str(blocked)) is None
    finally:
        spool.close_all()


def test_a_forked_child_writes_to_a_journal_of_its_own(tmp_path):
    delivered = Collected()
    found = spool.get(str(tmp_path), deliver=delivered, interval=3600, rotate_bytes=1 << 30)
    try:
        found.append("parent")
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: a gunicorn worker forked after the master made a spool
            try:
                child = spool.get(str(tmp_path), deliver=delivered, interval=3600, rotate_bytes=1)
                ok = child is not found and child.journal.path != found.journal.path
                os.write(write, b"1" if ok and child.append("child") else b"0")
            finally:
                os._exit(0)
        os.close(write)
        assert os.read(read, 1) == b"1"
        os.waitpid(pid, 0)
        assert len(_journals(tmp_path)) == 2  # the child exited without shipping
        assert found.append("parent again")  # the parent's journal is untouched
        found.ship()
        assert delivered.lines == [b"parent", b"parent again"]
        orphans = Collected()
        spool.adopt_orphans(tmp_path, deliver=orphans)
        assert orphans.lines == [b"child"]
    finally:
        spool.close_all()


def test_a_refused_write_is_reported_and_the_spool_bypassed_for_a_while(
    tmp_path, make_spool, monkeypatch
):
    found = make_spool(Collected())
    assert found.append("kept")
    os.close(found.journal.fd)  # as a disk that went away
    found.journal.fd = os.open(os.devnull, os.O_RDONLY)  # every write now fails
    assert not found.append("refused")
    monkeypatch.setattr(spool, "REFUSED_FOR", 0.0)
    assert not found.append("not even tried")  # still inside the first refusal's window


def test_an_offset_left_without_its_journal_is_removed(tmp_path, make_spool):
    live = make_spool(Collected())
    live.append("x")
    live.ship()  # the live journal has an offset file of its own: it stays
    stray = tmp_path / f"host-1-dead{spool.SUFFIX}{spool.OFFSET_SUFFIX}"
    stray.write_bytes(spool.OFFSET_FORMAT % 10)
    spool.adopt_orphans(tmp_path, deliver=Collected())
    assert not stray.exists()
    assert live.journal.offset_path.exists() and live.journal.path.exists()
