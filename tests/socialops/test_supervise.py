"""socialops/supervise.py keeps make run's processes running: a process that exits is
started again (and /healthz says so meanwhile); a stop is passed on, never a restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from socialops.models import Heartbeat
from socialops.supervise import read_state, write_state
from tests.worker import wait_for

SUPERVISE = str(Path(settings.BASE_DIR) / "socialops" / "supervise.py")


def _supervise(tmp_path: Path, name: str, code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        # -P: not the script's folder first on the path (socialops/selectors.py would hide
        # the standard library's selectors), as Procfile.dev runs it.
        [sys.executable, "-P", SUPERVISE, name, "--", sys.executable, "-c", code],
        env={**os.environ, "SOCIALOPS_VAR_DIR": str(tmp_path)},
        stderr=subprocess.PIPE,
    )


def _state(tmp_path: Path, name: str) -> dict:
    return read_state(tmp_path / "processes", name) or {}


def test_a_process_that_exits_is_started_again_until_told_to_stop(tmp_path):
    runs = tmp_path / "runs"
    supervisor = _supervise(
        tmp_path, "worker", f"open({str(runs)!r}, 'a').write('x'); raise SystemExit(3)"
    )
    try:
        assert wait_for(lambda: runs.exists() and len(runs.read_text()) >= 3, timeout=60)
        state = _state(tmp_path, "worker")
        assert state["restarts"] >= 2 and state["supervisor"] == supervisor.pid
        assert state["state"] in ("running", "restarting")
    finally:
        supervisor.send_signal(signal.SIGTERM)
        _out, err = supervisor.communicate(timeout=30)
    # Stopped in a pause (0), or while a run was exiting on its own (3) or got the SIGTERM.
    assert supervisor.returncode in (0, 3, 128 + signal.SIGTERM)
    assert b"worker exited with status 3; restarting it in 1 s (restart 1)" in err
    assert b"restarting it in 2 s (restart 2)" in err  # the pause doubles
    assert _state(tmp_path, "worker")["state"] == "stopped"


def test_a_stop_is_passed_on_once_and_is_not_a_restart(tmp_path):
    got, ready = tmp_path / "got", tmp_path / "ready"
    code = (
        "import signal, sys, time\n"
        "def stop(signum, frame):\n"
        f"    open({str(got)!r}, 'a').write(str(signum) + ' ')\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        "signal.signal(signal.SIGINT, stop)\n"
        f"open({str(ready)!r}, 'w').close()\n"
        "time.sleep(120)\n"
    )
    supervisor = _supervise(tmp_path, "web", code)
    assert wait_for(ready.exists, timeout=60)  # its handlers are in place
    supervisor.send_signal(signal.SIGINT)  # Ctrl-C
    supervisor.communicate(timeout=30)
    assert supervisor.returncode == 0
    assert got.read_text() == f"{int(signal.SIGINT)} "  # once, the signal we got
    assert _state(tmp_path, "web") | {"at": 0} == {
        "name": "web",
        "supervisor": supervisor.pid,
        "at": 0,
        "state": "stopped",
        "restarts": 0,
        "last_exit": 0,
    }


def test_a_process_that_ignores_the_stop_is_killed_with_what_it_started(tmp_path):
    ready = tmp_path / "ready"
    code = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "helper = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(ready)!r}, 'w').write(str(helper.pid))\n"
        "time.sleep(120)\n"
    )
    supervisor = _supervise(tmp_path, "worker", code)
    assert wait_for(lambda: ready.exists() and ready.read_text(), timeout=60)
    helper = int(ready.read_text())
    supervisor.send_signal(signal.SIGTERM)
    supervisor.communicate(timeout=60)  # STOP_GRACE, then its process group is killed
    assert supervisor.returncode == 128 + signal.SIGKILL
    assert wait_for(lambda: _gone(helper), timeout=30)


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return status == "Z"  # exited, waiting for its new parent to reap it


def test_the_process_does_not_outlive_a_killed_supervisor(tmp_path):
    supervisor = _supervise(tmp_path, "beat", "import time; time.sleep(120)")
    assert wait_for(lambda: _state(tmp_path, "beat").get("state") == "running", timeout=30)
    child = _state(tmp_path, "beat")["pid"]
    supervisor.kill()
    supervisor.wait(timeout=10)
    assert wait_for(lambda: _gone(child), timeout=30)


# --- What /healthz makes of it ------------------------------------------------------------


@pytest.fixture
def processes(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "processes"


@pytest.mark.django_db
def test_healthz_names_a_worker_being_restarted_at_once(client, processes, all_fine):
    write_state(processes, "worker", state="restarting", restarts=2, last_exit=1, pause=2.0)
    # (written by this process, alive: a supervisor that is still there)
    body = client.get("/healthz").json()
    assert body["failing"] == ["worker"]
    assert body["status"] == "failing"
    assert body["worker"]["error"] == "worker exited (1) and is being restarted (restart 2)"


@pytest.mark.django_db
def test_healthz_ignores_what_a_dead_supervisor_left(client, processes, all_fine):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (processes).mkdir(parents=True)
    (processes / "worker.json").write_text(
        json.dumps({"name": "worker", "supervisor": dead.pid, "state": "restarting"})
    )
    assert client.get("/healthz").status_code == 200


@pytest.fixture
def all_fine(db):
    """A worker and beat that reported just now (beat as it does when it starts)."""
    for name in ("worker", "beat"):
        Heartbeat.objects.update_or_create(name=name, defaults={"last_seen": timezone.now()})


def test_make_run_keeps_each_long_running_process_under_supervision():
    procfile = (Path(settings.BASE_DIR) / "Procfile.dev").read_text().splitlines()
    commands = dict(line.split(": ", 1) for line in procfile if line.strip())
    for name in ("xsim", "web", "worker", "beat", "clicks"):
        assert f"exec .venv/bin/python -P socialops/supervise.py {name} -- " in commands[name]
