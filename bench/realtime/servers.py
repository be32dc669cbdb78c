"""ASGI servers under test, as subprocesses: started on a free port, watched, always stopped.

Each server runs in its own session (so its whole process group can be killed) and asks the
kernel to SIGTERM it if the benchmark itself dies (PR_SET_PDEATHSIG), so none outlives a run.
Output goes to a log file; its tail is printed when the server stops.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from bench.env import progress

ROOT = Path(__file__).resolve().parent.parent.parent
VENV_BIN = Path(sys.executable).parent
APP = "callcenter.asgi:application"
LOOPBACK = "127.0.0.1"
PR_SET_PDEATHSIG = 1
LOG_TAIL_LINES = 8
# The last line of a traceback: "redis.exceptions.TimeoutError: Timeout reading from ..."
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exceeded|Closed|Disconnected)): ")

_STARTED: list[AsgiServer] = []


def stop_all_servers() -> None:
    """Stop every server this process started and has not stopped yet."""
    for server in list(_STARTED):
        server.stop()


def kill_all_servers() -> None:
    """For the hard stop (another thread, no waiting): SIGKILL every server's process group."""
    for server in list(_STARTED):
        proc = server.proc
        if proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)


def free_port() -> int:
    """A port nothing listens on right now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _die_with_parent_hook() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before fork: the child must not dlopen
    parent = os.getpid()

    def hook() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the benchmark died before prctl took effect
            os._exit(1)

    return hook


def _tool(name: str) -> str:
    exe = VENV_BIN / name
    return str(exe if exe.exists() else ROOT / ".venv" / "bin" / name)


def command(kind: str, port: int, workers: int = 1) -> list[str]:
    """No reload, access logs off for both (they would log every socket); daphne is always one process."""
    if kind == "uvicorn":
        # As scripts/devstack.py starts it (uvloop, httptools and the websockets sans-I/O protocol are
        # uvicorn's "auto" choices), with logging at warning.
        argv = [_tool("uvicorn"), APP, "--host", LOOPBACK, "--port", str(port), "--log-level", "warning"]
        return [*argv, "--workers", str(workers)] if workers > 1 else argv
    if kind == "daphne":
        return [_tool("daphne"), "-b", LOOPBACK, "-p", str(port), "-v", "0", APP]
    raise ValueError(f"Unknown server {kind!r}")


class AsgiServer:
    def __init__(self, kind: str, env: dict[str, str], log_dir: Path, workers: int = 1) -> None:
        self.kind = kind
        self.workers = workers
        self.env = env
        self.port = free_port()
        self.log_path = log_dir / f"{kind}-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, *, ready_timeout_s: float = 60.0) -> None:
        cmd = command(self.kind, self.port, self.workers)
        progress(f"starting {self.kind}: {Path(cmd[0]).name} {' '.join(cmd[1:])}")
        started = time.monotonic()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env={**self.env, "PYTHONUNBUFFERED": "1"},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent_hook(),
            )
        _STARTED.append(self)
        self._wait_ready(ready_timeout_s)
        progress(f"{self.kind} (pid {self.pid}) answers /healthz after {time.monotonic() - started:.1f}s")

    def _wait_ready(self, timeout_s: float) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + timeout_s
        while True:
            self.check_alive()
            try:
                with opener.open(f"http://{LOOPBACK}:{self.port}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.kind} did not answer /healthz within {timeout_s:.0f}s")
            time.sleep(0.1)

    def check_alive(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            code = None if self.proc is None else self.proc.returncode
            self._print_log_tail()
            raise RuntimeError(f"{self.kind} is not running (exit code {code}); its log is above.")

    def _group_pids(self) -> list[int]:
        """The server and its worker processes: everything in the session it was started in."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                raw = stat.read_text()
            except OSError:  # the process ended meanwhile
                continue
            if int(raw[raw.rindex(")") + 2 :].split()[2]) == self.pid:  # field 5: the process group
                pids.append(int(stat.parent.name))
        return pids or [self.pid]

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server's processes (all their threads), from /proc."""
        total = 0
        for pid in self._group_pids():
            try:
                raw = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            fields = raw[raw.rindex(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        total = 0
        for pid in self._group_pids():
            try:
                lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                continue
            total += sum(int(line.split()[1]) for line in lines if line.startswith("VmRSS:"))
        return total / 1024

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if self in _STARTED:
            _STARTED.remove(self)
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10.0)
            except subprocess.TimeoutExpired:
                progress(f"{self.kind} did not stop in 10s: killing it")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5.0)
        progress(f"{self.kind} stopped (exit code {proc.returncode})")
        self._print_log_tail()

    def _print_log_tail(self) -> None:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return
        if not lines:
            return
        errors = Counter(m.group(1) for line in lines if (m := EXCEPTION_LINE.match(line)))
        if errors:
            progress(
                f"{self.kind} log: exceptions raised in the app: "
                + ", ".join(f"{name} x{count}" for name, count in errors.most_common())
            )
        progress(f"{self.kind} log: {len(lines)} lines; the last {min(len(lines), LOG_TAIL_LINES)}:")
        for line in lines[-LOG_TAIL_LINES:]:
            sys.stderr.write(f"    | {line[:300]}\n")
        sys.stderr.flush()

    def log_count(self, needle: str) -> int:
        try:
            return self.log_path.read_text(errors="replace").count(needle)
        except OSError:
            return 0


@contextlib.contextmanager
def running(kind: str, env: dict[str, str], log_dir: Path, workers: int = 1) -> Iterator[AsgiServer]:
    server = AsgiServer(kind, env, log_dir, workers)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def deployment_workers() -> int:
    """As many uvicorn processes as `make run` starts (scripts/devstack.py: WEB_CONCURRENCY or one per CPU)."""
    raw = os.environ.get("WEB_CONCURRENCY", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else max(1, os.cpu_count() or 1)
