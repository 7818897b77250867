"""Keep one process running: `python -P socialops/supervise.py NAME -- COMMAND [ARG ...]`
(-P: the script's folder is not put first on the path, where socialops/selectors.py
would hide the standard library's selectors; no Django, no Celery is imported).

`make run`'s process runner (honcho) stops everything as soon as one process exits: a
worker that died took web, beat and the simulator with it. Each long-running line of
Procfile.dev runs under this instead:

1. Start COMMAND (its own process; stdout and stderr are this process's).
2. When it exits on its own, log it and start it again after a pause that doubles from
   1 s to MAX_PAUSE, back to 1 s once a run lasted STABLE_AFTER seconds.
3. On SIGINT or SIGTERM (Ctrl-C, or the runner stopping), pass the signal on once, wait
   up to STOP_GRACE seconds for COMMAND (then SIGKILL its process group) and exit with
   its status: a stop is never a restart.

Its state (running or restarting, restarts so far, the last exit status) is written to
`<var>/processes/NAME.json` for /healthz, which says when the worker or beat is
restarting. Standard library only: it must run when nothing else does.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

MAX_PAUSE = 30.0
STABLE_AFTER = 60.0
# After a stop was asked for, how long the process may take (honcho kills after 5 s).
STOP_GRACE = 4.0


def state_folder() -> Path:
    # As socialops/settings.py has it (VAR_DIR), without importing Django.
    default = Path(__file__).resolve().parent.parent / "var"
    return Path(os.environ.get("SOCIALOPS_VAR_DIR") or default) / "processes"


def write_state(folder: Path, name: str, **state: object) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{name}.json.tmp"
    record = {"name": name, "supervisor": os.getpid(), "at": time.time(), **state}
    temporary.write_text(json.dumps(record))
    os.replace(temporary, folder / f"{name}.json")  # readers never see half of it


def read_state(folder: Path, name: str) -> dict[str, object] | None:
    try:
        return json.loads((folder / f"{name}.json").read_text())
    except (OSError, ValueError):
        return None


def _die_with_parent() -> None:
    """In the child: be sent SIGTERM if the supervisor itself dies (SIGKILL included), so
    nothing is left running behind it (Linux; elsewhere this does nothing)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _wait(child: subprocess.Popen[bytes], stopping: list[float]) -> int:
    """Wait for `child`; once a stop was asked for, give it STOP_GRACE seconds, then kill
    it and everything it started (its process group): the runner's own SIGKILL would only
    reach us, and the child would go on shutting down on its own, holding the terminal."""
    while (status := child.poll()) is None:
        if stopping and time.monotonic() - stopping[0] > STOP_GRACE:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            return child.wait()
        time.sleep(0.1)
    return status


def _describe(status: int) -> str:
    return f"signal {-status}" if status < 0 else f"status {status}"


def supervise(name: str, command: list[str], *, folder: Path | None = None) -> int:
    folder = folder or state_folder()
    stopping: list[float] = []  # when each stop was asked for
    child: subprocess.Popen[bytes] | None = None

    def stop(signum, _frame) -> None:
        stopping.append(time.monotonic())
        if child is not None and child.poll() is None and len(stopping) == 1:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    restarts = 0
    pause = 1.0
    while True:
        started = time.monotonic()
        # Its own session: Ctrl-C reaches it once, from us, not twice (a second SIGINT
        # makes a Celery worker drop its running tasks).
        child = subprocess.Popen(command, start_new_session=True, preexec_fn=_die_with_parent)
        write_state(
            folder, name, state="running", pid=child.pid, restarts=restarts, since=time.time()
        )
        status = _wait(child, stopping)
        if stopping:
            write_state(folder, name, state="stopped", restarts=restarts, last_exit=status)
            return status if status >= 0 else 128 - status
        if time.monotonic() - started >= STABLE_AFTER:
            pause = 1.0
        restarts += 1
        write_state(
            folder, name, state="restarting", restarts=restarts, last_exit=status, pause=pause
        )
        print(
            f"supervise: {name} exited with {_describe(status)}; "
            f"restarting it in {pause:.0f} s (restart {restarts})",
            file=sys.stderr,
            flush=True,
        )
        deadline = time.monotonic() + pause
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.1)
        if stopping:
            write_state(folder, name, state="stopped", restarts=restarts, last_exit=status)
            return 0
        pause = min(pause * 2, MAX_PAUSE)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -P socialops/supervise.py NAME -- COMMAND [ARG ...]", file=sys.stderr)
        return 2
    return supervise(argv[0], argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
