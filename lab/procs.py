"""Start, find and stop the lab's background processes by pid file, and wait on conditions."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


class LabError(RuntimeError):
    """A lab service did not start or stop as expected (the message says where its log is)."""


def wait_for(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> None:
    """Poll ``check`` until it returns True; raise :class:`LabError` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # the condition may raise while a service is still starting
            last = exc
        time.sleep(interval)
    raise LabError(f"timed out after {timeout:.0f}s waiting for {what}"
                   + (f" (last error: {last})" if last else ""))


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def read_pid(pid_file: Path) -> int | None:
    """The live pid recorded in ``pid_file``, or None."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def start(cmd: Sequence[str], pid_file: Path, log_file: Path, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> int:
    """Start ``cmd`` in its own session (so it outlives us), logging to ``log_file``."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **(env or {})}
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(list(cmd), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=full_env, cwd=cwd,
                                start_new_session=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(str(proc.pid))
    return proc.pid


def stop(pid_file: Path, grace: float = 15.0) -> bool:
    """SIGTERM the process group recorded in ``pid_file``, SIGKILL it after ``grace`` seconds.

    Returns:
        True if something was running.
    """
    pid = read_pid(pid_file)
    pid_file.unlink(missing_ok=True)
    if pid is None:
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)  # stragglers of the group (workers, children)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    return True


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, theirs...), by the parent pids in /proc."""
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [p for p, pp in parent.items() if pp in frontier]
        found += children
        frontier = children
    return found


def stop_tree(pid_file: Path, grace: float = 15.0) -> bool:
    """:func:`stop` the process group in ``pid_file``, then whatever it had started in
    sessions of its own (Airflow's task runners; setproctitle leaves them no environment to
    be found by), SIGTERM and after ``grace`` seconds SIGKILL.

    Returns:
        True if something was running.
    """
    pid = read_pid(pid_file)
    below = descendants(pid) if pid is not None else []
    stopped = stop(pid_file, grace)
    left = [p for p in below if pid_alive(p)]
    for p in left:
        try:
            os.kill(p, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(pid_alive(p) for p in left):
        time.sleep(0.2)
    for p in left:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return stopped


def tail(path: Path, lines: int = 20) -> str:
    """The last ``lines`` of a log file, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
