"""``check --num-proc``: signals, a killed worker and the process bound, on real subprocesses.

The main process is started with ``python -m maskcli check``; the test finds its workers in
``/proc/<pid>/task/*/children`` and sends the signals itself. Waits are hang guards only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from check_fixtures import ENV

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")

HANG_GUARD = 120  # seconds; a healthy run ends long before


@pytest.fixture(scope="module")
def big_text_file(tmp_path_factory) -> Path:
    """Enough text rows that a two-process check is still running when the test signals it."""
    path = tmp_path_factory.mktemp("workers") / "big.jsonl"
    line = json.dumps({"text": "The cat sat on the mat, and the dog barked at the moon all night long."}) + "\n"
    path.write_text(line * 300_000)
    return path


def start_check(path: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, **ENV, "PYTHONPATH": str(Path(__file__).parents[1])}
    return subprocess.Popen([sys.executable, "-m", "maskcli", "check", str(path), "--pad-token", "eos", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            pass
    return found


def is_worker(pid: int) -> bool:
    """A spawned worker (the other child is multiprocessing's resource tracker)."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False


def wait_for_workers(process: subprocess.Popen, count: int) -> set[int]:
    """The worker pids, once ``count`` are running."""
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        workers = {pid for pid in children(process.pid) if is_worker(pid)}
        if len(workers) >= count:
            return workers
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("the workers never started")


def wait_for_handlers(process: subprocess.Popen) -> None:
    """Until the main process catches SIGINT again: while it spawns workers it ignores it (so do
    they, by inheritance), and a Ctrl-C in those milliseconds is lost, as documented."""
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        status = Path(f"/proc/{process.pid}/status").read_text()
        caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
        if caught >> (signal.SIGINT - 1) & 1:
            return
        time.sleep(0.02)
    raise AssertionError("the main process never caught SIGINT")


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def wait_gone(pids: set[int]) -> set[int]:
    """The pids still running after the hang guard (empty: none left)."""
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.05)
    return {pid for pid in pids if alive(pid)}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stop_signal_ends_the_workers_too(big_text_file, signum):
    process = start_check(big_text_file, "--num-proc", "2")
    workers = wait_for_workers(process, 2)
    wait_for_handlers(process)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=HANG_GUARD)
    assert process.returncode == 128 + signum
    assert "Traceback" not in stderr
    assert wait_gone(workers) == set()


def test_a_signal_to_the_whole_group_leaves_no_traceback(big_text_file):
    """A Ctrl-C reaches every process of the foreground group at once."""
    env = {**os.environ, **ENV, "PYTHONPATH": str(Path(__file__).parents[1])}
    process = subprocess.Popen([sys.executable, "-m", "maskcli", "check", str(big_text_file), "--pad-token", "eos",
                                "--num-proc", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env, start_new_session=True)
    workers = wait_for_workers(process, 2)
    wait_for_handlers(process)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=HANG_GUARD)
    assert process.returncode == 128 + signal.SIGINT
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert wait_gone(workers) == set()


def test_a_killed_worker_ends_the_run_with_one_error_line(big_text_file):
    process = start_check(big_text_file, "--num-proc", "2")
    workers = wait_for_workers(process, 2)
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    _, stderr = process.communicate(timeout=HANG_GUARD)
    assert process.returncode == 2, stderr
    assert stderr == f"Error: worker process {victim} died (signal 9, SIGKILL); the check is incomplete\n"
    assert wait_gone(workers) == set()


def test_workers_do_not_outlive_a_killed_main_process(big_text_file):
    process = start_check(big_text_file, "--num-proc", "2")
    workers = wait_for_workers(process, 2)
    process.kill()
    process.communicate(timeout=HANG_GUARD)
    assert wait_gone(workers) == set()


def test_num_proc_is_bounded_by_the_cpus(tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"text": "hello"}) + "\n")
    process = start_check(path, "--num-proc", "100000000000")
    _, stderr = process.communicate(timeout=HANG_GUARD)
    cpus = os.cpu_count()
    assert process.returncode == 2
    assert stderr == (f"Error: num_proc 100000000000 is more than 4 per CPU ({cpus} CPUs here): at most {4 * cpus}; "
                      "every process loads its own tokenizer, and more than the cores only costs memory\n")
