"""Signup to active tenant as a user sees it: submit, a real Celery worker provisions, poll the row."""

from __future__ import annotations

import math
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.env import progress

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Str0ng-pass-2026!"
POLL_INTERVAL_S = 0.005

_STARTED: list[Worker] = []


def stop_all_workers() -> None:
    """Stop every worker this process started and has not stopped yet."""
    for worker in list(_STARTED):
        worker.stop()


@dataclass
class ProvisionResult:
    totals_s: list[float] = field(default_factory=list)
    submits_s: list[float] = field(default_factory=list)

    @property
    def median_s(self) -> float:
        return statistics.median(self.totals_s)

    @property
    def p95_s(self) -> float:
        """Nearest-rank 95th percentile: with ten samples, the slowest one."""
        ordered = sorted(self.totals_s)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _celery_executable() -> str:
    venv_celery = ROOT / ".venv" / "bin" / "celery"
    return str(venv_celery if venv_celery.exists() else Path(sys.executable).with_name("celery"))


class Worker:
    """A Celery worker subprocess in its own process group, so all of it can be stopped."""

    def __init__(self, env: dict[str, str]) -> None:
        self._env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [
            _celery_executable(),
            "-A",
            "callcenter",
            "worker",
            "-Q",
            "provisioning,default",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
            "--hostname",
            f"bench-{os.getpid()}@%h",
        ]
        progress(f"starting worker: {' '.join(cmd)}")
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr.fileno(),
            stderr=sys.stderr.fileno(),
            start_new_session=True,
        )
        _STARTED.append(self)

    def check_alive(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            code = None if self.proc is None else self.proc.returncode
            raise RuntimeError(f"The Celery worker is not running (exit code {code}).")

    def stop(self) -> None:
        """Warm shutdown of the main process (it waits for its pool), then kill whatever is left of
        the process group this object started."""
        proc, self.proc = self.proc, None
        if self in _STARTED:
            _STARTED.remove(self)
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=20.0)
            except subprocess.TimeoutExpired:
                progress("worker did not stop in 20s: killing it")
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if proc.poll() is None:
            proc.wait(timeout=5.0)
        progress(f"worker stopped (exit code {proc.returncode})")


def _submit(subdomain: str) -> str:
    from tenants.services.signup import signup_submit

    signup = signup_submit(
        company_name=f"Bench {subdomain}",
        subdomain=subdomain,
        admin_email=f"admin@{subdomain}.bench.example.com",
        admin_password=PASSWORD,
        plan_code="growth",
    )
    return str(signup.pk)


def _wait_final(signup_id: str, worker: Worker, timeout_s: float) -> str:
    from tenants.models import Signup, SignupStatus

    deadline = time.perf_counter() + timeout_s
    while True:
        status = Signup.objects.filter(pk=signup_id).values_list("status", flat=True).first()
        if status in (SignupStatus.ACTIVE, SignupStatus.FAILED):
            return str(status)
        worker.check_alive()
        if time.perf_counter() > deadline:
            raise TimeoutError(f"Signup {signup_id} still {status!r} after {timeout_s:.0f}s.")
        time.sleep(POLL_INTERVAL_S)


def _breakdown(signup_id: str, observed_at: float) -> str:
    """Where the time went, from the row's own timestamps (all taken on this machine's clock)."""
    from tenants.models import Signup

    row = Signup.objects.filter(pk=signup_id).values("created_at", "updated_at", "finished_at").first()
    if row is None or row["finished_at"] is None:
        return "no timestamps"
    queued_s = (row["updated_at"] - row["created_at"]).total_seconds()
    provisioning_s = (row["finished_at"] - row["updated_at"]).total_seconds()
    visible_s = observed_at - row["finished_at"].timestamp()
    return f"queue {queued_s:.3f}s, in-transaction {provisioning_s:.3f}s, commit until seen {visible_s:.3f}s"


def _one_signup(subdomain: str, worker: Worker, timeout_s: float) -> tuple[float, float, str]:
    """(submit seconds, submit-to-active seconds, breakdown) for one signup; raises unless it becomes active."""
    from tenants.models import Signup

    started = time.perf_counter()
    signup_id = _submit(subdomain)
    submitted = time.perf_counter()
    status = _wait_final(signup_id, worker, timeout_s)
    finished = time.perf_counter()
    observed_at = time.time()
    if status != "active":
        reason = Signup.objects.filter(pk=signup_id).values_list("failure_reason", flat=True).first()
        raise RuntimeError(f"Signup {subdomain} ended {status}: {reason}")
    return submitted - started, finished - started, _breakdown(signup_id, observed_at)


def run_provision_bench(env: dict[str, str], *, count: int, deadline: float) -> ProvisionResult:
    from django.db import connection

    # Poll on a connection of its own, like a web request: one that provisioned tenants in this
    # process would make each poll pay for rebuilding its catalog cache after the worker's DDL.
    connection.close()
    result = ProvisionResult()
    worker = Worker(env)
    try:
        worker.start()
        # The warm-up waits for the worker to boot and pays its first-task costs; not counted.
        _, boot_s, detail = _one_signup("warmup", worker, timeout_s=max(10.0, min(120.0, deadline - time.monotonic())))
        progress(f"worker ready; warm-up signup took {boot_s:.2f}s, worker start-up included ({detail})")
        for i in range(count):
            remaining = deadline - time.monotonic()
            if remaining < 5:
                progress(f"time budget spent after {i} signups")
                break
            submit_s, total_s, detail = _one_signup(f"signup{i:02d}", worker, timeout_s=min(60.0, remaining))
            result.submits_s.append(submit_s)
            result.totals_s.append(total_s)
            progress(f"signup{i:02d}: active after {total_s:.3f}s: submit call {submit_s:.3f}s, {detail}")
    finally:
        worker.stop()
    if not result.totals_s:
        raise RuntimeError("No signup was measured.")
    return result
