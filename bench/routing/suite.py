"""The routing suite: how long a new chat waits before an agent's desk rings, with 1,500 agents online.

routing.contact_to_offer_p99_ms (target 50) and _p50_ms: a widget visitor's first message to
``offer.created`` on the chosen agent's ``/ws/staff/`` socket, at 50 new contacts per second,
with 1,500 agent sockets open, every agent available (bench/routing/contact_to_offer.py says
exactly what is timed). routing.contact_to_offer_offered: contacts offered / contacts sent.

The path under test is the product's own: uvicorn as `make run` starts it (one process per
CPU) stores the message and opens the conversation; its domain event sends
``routing.tasks.contact_arrived`` to a real Celery worker (every queue, two processes, as
`make run`), which enqueues the contact and runs a routing round; the offer goes out through
the Redis channel layer to the agent's socket. No beat, so no periodic sweep.

Besides the figures, progress lines say what limits them: the contacts' latency split into
web / to round / round and out (from the rows' timestamps), whether routing kept pace with the
arrivals and how many routing tasks were left waiting in the broker, the Celery tasks' own run
times (from the worker's INFO log, as `make run` logs), and each process's CPU while sending.

The tenant ("benchroute") is provisioned like any other. Its 1,500 agents are made in bulk
(users, profiles in the ``primary`` pool with two skills each, chats at once 3), set available
through ``routing.services.presence.agent_state_change``, and signed in with sessions written
straight into the tenant's session store, as the login form would leave them (user, backend,
auth hash, the tenant's schema) with a seat each. Not through the form: its PBKDF2 check
costs ~0.2 s a login on this machine, 1,500 logins would take most of the budget.

Knobs: BENCH_ROUTE_RATE (contacts/s, 50), BENCH_ROUTE_AGENTS (1500), BENCH_ROUTE_SECONDS
(measured seconds, 25); for exploring only: BENCH_ROUTE_PING_S (the desks' heartbeat, 20; 0 for
none), BENCH_ROUTE_CONCURRENCY (Celery worker processes, 2), BENCH_KEEP_LOGS=1.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from bench.env import progress
from bench.provision import Worker

if TYPE_CHECKING:
    from agents.models import AgentProfile
    from bench.env import Results
    from bench.realtime.fixture import ChatTenant
    from bench.routing.contact_to_offer import OfferRun
    from tenants.models import Tenant

BUDGET_S = 270.0  # the measurement plans its work to end by then
ALARM_S = 300  # then the suite is interrupted, its server and worker stopped
HARD_STOP_S = 320.0  # and if that is stuck, the process ends anyway

SUBDOMAIN = "benchroute"
RATE = float(os.environ.get("BENCH_ROUTE_RATE", "50"))
AGENTS = int(os.environ.get("BENCH_ROUTE_AGENTS", "1500"))
MEASURE_S = float(os.environ.get("BENCH_ROUTE_SECONDS", "25"))
PING_S = float(os.environ.get("BENCH_ROUTE_PING_S", "20"))  # the staff socket's heartbeat (docs/routing.md)
CONCURRENCY = int(os.environ.get("BENCH_ROUTE_CONCURRENCY", "2"))  # as scripts/devstack.py starts the worker
WARMUP_S = 3.0  # contacts at the full rate, not measured: the queues and pools reach their pace
DRAIN_S = 15.0  # after the last send, how long offers are waited for
ACCEPT_DELAY_S = (1.0, 3.0)  # an agent clicks "accept" this long after the desk rings
TARGET_P99_MS = 50
AGENT_SKILLS = 2
TASK_DONE = re.compile(r"Task ([\w.]+)\[[\w-]+\] succeeded in ([\d.e-]+)s")


def run_routing_suite(results: Results, env: dict[str, str], started: float) -> None:
    from bench.realtime.clients import Target
    from bench.realtime.fixture import visitor_tokens
    from bench.realtime.servers import deployment_workers, running
    from bench.realtime.suite import LOAD_LIMITS, _raise_nofile, run_async
    from bench.routing.contact_to_offer import (
        SEQUENTIAL_WARMUP,
        describe,
        describe_breakdown,
        run_contact_to_offer,
        server_breakdown,
    )

    deadline = started + BUDGET_S
    _raise_nofile()
    chat = prepare(AGENTS)
    tokens = visitor_tokens(chat, SEQUENTIAL_WARMUP + int(RATE * (WARMUP_S + MEASURE_S)) + 1)
    # One client address and a tenant's worth of visitors: the per-address frame cap is for abuse.
    server_env = {**env, **LOAD_LIMITS}
    log_dir = Path(tempfile.mkdtemp(prefix="bench-routing-"))
    workers = deployment_workers()
    progress(f"uvicorn with {workers} worker process(es) and a Celery worker with {CONCURRENCY}, as make run")
    worker = RoutingWorker(server_env, log_dir / "celery.log", CONCURRENCY)
    try:
        worker.start()  # boots while the server starts and the agents connect
        with running("uvicorn", server_env, log_dir, workers) as server:
            target = Target(server.port, chat.hostname, chat.channel_id)
            groups = {"uvicorn": server.pid, "celery": worker.pid}
            result = run_async(
                lambda: run_contact_to_offer(
                    target,
                    tokens,
                    chat.agent_cookies,
                    rate=RATE,
                    warmup_s=WARMUP_S,
                    measure_s=MEASURE_S,
                    drain_s=DRAIN_S,
                    ping_s=PING_S,
                    accept_delay_s=ACCEPT_DELAY_S,
                    cpu_probe=lambda: cpu_seconds(groups),
                    backlog_probe=routing_backlog,
                    prefix=f"r{int(time.time())}-",
                ),
                timeout_s=max(60.0, deadline - time.monotonic() - 20),
            )
            server.check_alive()
            worker.check_alive()
    finally:
        worker.stop()
        for line in worker.log_summary():
            progress(line)
        if os.environ.get("BENCH_KEEP_LOGS"):
            progress(f"server and worker logs kept in {log_dir}")
        else:
            shutil.rmtree(log_dir, ignore_errors=True)

    parts = server_breakdown(chat.schema, result.timeline)
    for line in describe(result) + describe_breakdown(parts, result):
        progress(line)
    _emit(results, result)


def _emit(results: Results, result: OfferRun) -> None:
    from bench.realtime.clients import percentile

    if not result.sent:
        raise RuntimeError("No measured contact was sent: no contact-to-offer figure.")
    p99 = percentile(result.latencies_ms, 99)
    if result.censored:
        progress(f"{result.censored} measured contacts were never offered: the percentiles are LOWER BOUNDS")
    if p99 > TARGET_P99_MS:
        progress(f"TARGET MISSED: p99 {p99:.0f}ms > {TARGET_P99_MS}ms; the lines above say where the time went")
    results.emit("routing.contact_to_offer_p99_ms", round(p99, 1), "ms", TARGET_P99_MS)
    results.emit("routing.contact_to_offer_p50_ms", round(percentile(result.latencies_ms, 50), 1), "ms", None)
    results.emit("routing.contact_to_offer_offered", round(result.offered / result.sent, 4), "ratio", 1.0)


def prepare(agents: int) -> ChatTenant:
    """The tenant, its widget channel, and ``agents`` available agents with a signed-in session each."""
    from django.conf import settings
    from django_tenants.utils import tenant_context

    from bench.realtime.fixture import ChatTenant
    from callcenter.core.testing import host_of, make_tenant
    from channels_app.testing import widget_channel

    t0 = time.perf_counter()
    tenant = make_tenant(SUBDOMAIN, name="Bench routing")
    channel = widget_channel(tenant, origins=())  # the widget on the tenant's own host, as the clients' Origin
    _seats_for(tenant, agents)
    progress(f"tenant {SUBDOMAIN!r} provisioned with a widget channel in {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    with tenant_context(tenant):
        profiles = _agents(agents)
        t1 = time.perf_counter()
        _available(profiles)
        t2 = time.perf_counter()
        keys = _sessions(profiles, tenant.schema_name)
    progress(
        f"{agents} agents made in {t1 - t0:.1f}s, set available through agent_state_change in {t2 - t1:.1f}s, "
        f"signed in (sessions and seats written directly) in {time.perf_counter() - t2:.1f}s"
    )
    return ChatTenant(
        tenant_id=tenant.pk,
        schema=tenant.schema_name,
        hostname=host_of(tenant),
        channel_id=channel.pk,
        agent_cookies=[f"{settings.SESSION_COOKIE_NAME}={key}" for key in keys],
        agent_ids=[profile.pk for profile in profiles],
    )


def _seats_for(tenant: Tenant, agents: int) -> None:
    """A plan with a seat for every agent: the limit is checked at sign-in, which is skipped here."""
    from django_tenants.utils import schema_context

    from tenants.models import Plan, Tenant

    with schema_context("public"):
        plan, _created = Plan.objects.update_or_create(
            code="bench-routing",
            defaults={
                "name": "Bench routing",
                "name_zh": "路由压测",
                "max_agents": agents,
                "storage_quota_gb": 5000,
                "monthly_price_cny": "0.00",
                "is_public": False,
            },
        )
        Tenant.objects.filter(pk=tenant.pk).update(plan=plan)


def _agents(count: int) -> list[AgentProfile]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from agents.models import AgentProfile, AgentSkill, AgentStatus, Pool, Skill
    from callcenter.core.testing import TEST_PASSWORD

    user_model = get_user_model()
    password = make_password(TEST_PASSWORD)  # hashed once: every agent could still sign in through the form
    users = user_model.objects.bulk_create(
        [user_model(username=f"agent{i:04d}", password=password) for i in range(count)], batch_size=500
    )
    profiles = AgentProfile.objects.bulk_create(
        [AgentProfile(user=user, display_name=f"坐席{i:04d}") for i, user in enumerate(users)], batch_size=500
    )
    primary = Pool.objects.get(code="primary")
    AgentProfile.pools.through.objects.bulk_create(
        [AgentProfile.pools.through(agentprofile_id=p.pk, pool_id=primary.pk) for p in profiles], batch_size=1000
    )
    skills = list(Skill.objects.order_by("pk"))
    if skills:
        AgentSkill.objects.bulk_create(
            [
                AgentSkill(agent=profile, skill=skills[(i + k) % len(skills)], level=1 + (i + k) % 5)
                for i, profile in enumerate(profiles)
                for k in range(min(AGENT_SKILLS, len(skills)))
            ],
            batch_size=1000,
        )
    AgentStatus.objects.bulk_create([AgentStatus(agent=profile) for profile in profiles], batch_size=1000)
    return list(profiles)


def _available(profiles: list[AgentProfile]) -> None:
    from agents.models import AgentState
    from routing.services.presence import agent_state_change

    for profile in profiles:
        agent_state_change(agent=profile, state=AgentState.AVAILABLE)


def _sessions(profiles: list[AgentProfile], schema: str) -> list[str]:
    """What a sign-in through the form leaves behind: a session bound to the tenant, and a seat."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone
    from django.utils.module_loading import import_string

    from agents.models import SeatLease
    from callcenter.core.middleware import SESSION_TENANT_KEY

    store_class = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    keys = []
    for profile in profiles:
        user = profile.user
        session = store_class()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[SESSION_TENANT_KEY] = schema
        session.create()
        keys.append(str(session.session_key))
    now = timezone.now()
    SeatLease.objects.bulk_create(
        [SeatLease(user_id=profile.user_id, last_seen_at=now) for profile in profiles], batch_size=1000
    )
    return keys


class RoutingWorker(Worker):
    """bench.provision's worker, consuming every queue with ``concurrency`` processes as `make run` does,
    its output in a log file (summarised when it stops) rather than on the bench's stderr."""

    def __init__(self, env: dict[str, str], log_path: Path, concurrency: int) -> None:
        super().__init__(env)
        self.log_path = log_path
        self.concurrency = concurrency

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        from django.conf import settings

        from bench import provision
        from bench.realtime.servers import _die_with_parent_hook

        cmd = [
            provision._celery_executable(),
            "-A",
            "callcenter",
            "worker",
            "-Q",
            ",".join(settings.TASK_QUEUES),
            "--concurrency",
            str(self.concurrency),
            "--loglevel",
            "INFO",  # as make run; its "succeeded in" lines give the tasks' durations
            "--hostname",
            f"bench-route-{os.getpid()}@%h",
        ]
        progress(f"starting worker: celery {' '.join(cmd[1:])}")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd,
                cwd=provision.ROOT,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent_hook(),
            )
        provision._STARTED.append(self)  # so that run.py's stop_all_workers() and hard stop reach it

    def log_summary(self, tail: int = 12) -> list[str]:
        from bench.realtime.clients import percentile
        from bench.realtime.servers import EXCEPTION_LINE

        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        errors = Counter(m.group(1) for line in lines if (m := EXCEPTION_LINE.match(line)))
        failed = sum(1 for line in lines if re.search(r"Task \S+ raised unexpected", line))
        summary = [f"celery log: {len(lines)} lines, {failed} tasks failed"]
        durations: dict[str, list[float]] = {}
        for line in lines:
            if m := TASK_DONE.search(line):
                durations.setdefault(m.group(1).rsplit(".", 1)[-1], []).append(1000 * float(m.group(2)))
        if durations:
            summary.append(
                "celery tasks run (time in the task, not in the queue): "
                + "; ".join(
                    f"{name} x{len(ms)} p50 {percentile(ms, 50):.0f}ms p99 {percentile(ms, 99):.0f}ms"
                    for name, ms in sorted(durations.items(), key=lambda item: -len(item[1]))
                )
            )
        if errors:
            summary.append("celery log: exceptions: " + ", ".join(f"{k} x{n}" for k, n in errors.most_common()))
        if failed or errors:  # the end of the log, for the last traceback
            summary += [f"    | {line[:300]}" for line in lines[-tail:]]
        return summary


def routing_backlog() -> int:
    import redis

    from bench.env import BENCH_REDIS_URL

    client = redis.Redis.from_url(BENCH_REDIS_URL)
    try:
        return int(client.llen("routing"))  # kombu's list for the queue
    finally:
        client.close()


def cpu_seconds(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far: each named process group (user + system), PostgreSQL's and Redis's
    processes (any owner: nothing else of theirs runs here), this process (the load generator),
    the kernel's interrupt handling, what else ran, and the whole machine (all CPUs, without
    idle, I/O wait and stolen time)."""
    totals = dict.fromkeys([*groups, "postgres", "redis"], 0.0)
    by_group = {pgid: name for name, pgid in groups.items()}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:  # ended meanwhile
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / tick
        name = by_group.get(int(fields[2]))
        if name is None and comm == "postgres":
            name = "postgres"
        elif name is None and comm.startswith("redis-server"):
            name = "redis"
        if name is not None:
            totals[name] += cpu
    usage = resource.getrusage(resource.RUSAGE_SELF)
    totals["load generator"] = usage.ru_utime + usage.ru_stime
    # /proc/stat's first line: user nice system idle iowait irq softirq steal, in ticks over all CPUs
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    machine = (sum(ticks) - ticks[3] - ticks[4]) / tick
    interrupts = (ticks[5] + ticks[6]) / tick  # loopback networking mostly
    totals["other processes"] = machine - interrupts - ticks[7] / tick - sum(totals.values())
    totals["kernel interrupts"] = interrupts
    totals["whole machine"] = machine
    return totals
