"""The real-time suite: four measurements against ASGI servers started for them, in order.

1. chat.deliver_p99_ms: widget message -> stored -> agent socket, 200/s over 500 visitors;
   with channel_layer.rtt_p99_ms, the bare Redis channel-layer round trip in the same window.
2. ws.idle_cpu_pct_per_1000: the server's CPU with 1,000 idle widget sockets.
3. ws.msgs_per_s / ws.connects_per_s for uvicorn (ours) against daphne, same app, same run.
4. chat.lost_messages: 10,000 messages with random disconnects and a paused agent socket.

Each measurement gets a fresh server process (one process, one worker). The frame rate limits
are raised through the environment for all of them: the load comes from one address and a
handful of users, which the limits exist to stop.

How to read the figures: chat.deliver_*_ms count a message never delivered as late as it was
waited for, so when the server cannot keep up they are lower bounds (the progress lines say
so); chat.undelivered counts those messages. ws.msgs_per_s and ws.connects_per_s carry twice
daphne's figure from the same run as their target (ours must be at least 2x daphne).

Knobs for exploring, not for the recorded figures: BENCH_REALTIME_STEPS=delivery,idle,compare,
lossless (a subset), BENCH_KEEP_LOGS=1 (keep the servers' logs), BENCH_DELIVER_RATE and
BENCH_LOSSLESS_RATE (messages per second offered).
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bench.env import progress

if TYPE_CHECKING:
    from bench.env import Results
    from bench.realtime.fixture import ChatTenant

BUDGET_S = 540.0  # the measurements plan their work to end by then
ALARM_S = 570  # then the suite is interrupted and its servers stopped
HARD_STOP_S = 590.0  # and if that is stuck, the process ends anyway

# Raised for the load tests only: everything comes from 127.0.0.1 and five agent users.
LOAD_LIMITS = {
    "WEBSOCKET_MAX_FRAMES_PER_10S": "1000000",
    "WEBSOCKET_MAX_FRAMES_PER_USER_PER_10S": "1000000",
    "WEBSOCKET_MAX_FRAMES_PER_IP_PER_10S": "10000000",
    "WEBSOCKET_MAX_FRAMES_PER_TENANT_PER_10S": "10000000",
}

AGENTS = 5

# 1. delivery
DELIVER_VISITORS = 500
DELIVER_RATE = float(os.environ.get("BENCH_DELIVER_RATE", "200"))  # overridable to explore
DELIVER_WARMUP_S = 3.0
DELIVER_MEASURE_S = 20.0
DELIVER_DRAIN_S = 10.0

# 2. idle sockets
IDLE_SOCKETS = 1000
IDLE_S = 30.0
IDLE_SETTLE_S = 3.0

# 3. uvicorn vs daphne
PINGERS = 50
CONNECTORS = 20
COMPARE_WINDOW_S = 5.0
COMPARE_ROUNDS = 2  # per server and figure: 2 x 5 s, alternating with the other server

# 4. lost messages
LOSSLESS_VISITORS = 100
LOSSLESS_PER_VISITOR = 100
LOSSLESS_RATE = float(os.environ.get("BENCH_LOSSLESS_RATE", "80"))  # offered; the server sets the pace below it
LOSSLESS_PAUSE_S = 10.0
LOSSLESS_PAUSE_AFTER = 0.25
LOSSLESS_FILLER_RATE = 800.0
LOSSLESS_SEND_BUDGET_S = 200.0

T = TypeVar("T")


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run_async(make: Callable[[], Awaitable[T]], timeout_s: float) -> T:
    """Run one measurement's client side on a fresh event loop (uvloop: the client must not be the limit)."""

    async def bounded() -> T:
        return await asyncio.wait_for(make(), timeout_s)

    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(bounded())


def _raise_nofile(wanted: int = 8192) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    progress(f"open files limit for this process and its servers: {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}")


def _remaining(deadline: float) -> float:
    return deadline - time.monotonic()


def run_realtime_suite(results: Results, env: dict[str, str], started: float) -> None:
    from bench.realtime import fixture
    from bench.realtime.servers import stop_all_servers

    deadline = started + BUDGET_S
    _raise_nofile()
    chat = fixture.prepare(agents=AGENTS)
    server_env = {**env, **LOAD_LIMITS}
    progress(
        "frame rate limits RAISED for these load tests, through the servers' environment: "
        + ", ".join(f"{k}={v}" for k, v in LOAD_LIMITS.items())
    )
    log_dir = Path(tempfile.mkdtemp(prefix="bench-realtime-"))
    steps: list[tuple[str, float, Callable[..., Any]]] = [
        ("delivery", 90.0, _deliver_figures),
        ("idle", 70.0, _idle_figures),
        ("compare", 70.0, _compare_figures),
        ("lossless", 120.0, _lossless_figures),
    ]
    if only := os.environ.get("BENCH_REALTIME_STEPS"):  # e.g. "idle,compare", to explore one measurement
        steps = [step for step in steps if step[0] in only.split(",")]
    failed = []
    try:
        for name, needs_s, step in steps:
            if _remaining(deadline) < needs_s:
                progress(
                    f"SKIPPED {name}: {_remaining(deadline):.0f}s left of the budget, it needs about {needs_s:.0f}s"
                )
                failed.append(name)
                continue
            progress(f"--- {name} ---")
            t0 = time.monotonic()
            try:
                step(results, chat, server_env, log_dir, deadline)
            except Exception:  # the next measurement still runs; the suite is reported as failed
                traceback.print_exc()
                progress(f"{name} FAILED after {time.monotonic() - t0:.0f}s (traceback above)")
                failed.append(name)
            else:
                progress(f"{name} done in {time.monotonic() - t0:.0f}s")
    finally:
        stop_all_servers()
        if os.environ.get("BENCH_KEEP_LOGS"):
            progress(f"server logs kept in {log_dir}")
        else:
            shutil.rmtree(log_dir, ignore_errors=True)
    if failed:
        raise RuntimeError(f"real-time measurements without a figure: {', '.join(failed)}")


def _deliver_figures(results: Results, chat: ChatTenant, env: dict[str, str], log_dir: Path, deadline: float) -> None:
    from bench.realtime import fixture
    from bench.realtime.clients import Target, percentile
    from bench.realtime.deliver import describe, run_deliver
    from bench.realtime.servers import deployment_workers, running

    tokens = fixture.visitor_tokens(chat, DELIVER_VISITORS)
    workers = deployment_workers()
    progress(f"uvicorn with {workers} worker process(es), as make run starts it")
    with running("uvicorn", env, log_dir, workers) as server:
        target = Target(server.port, chat.hostname, chat.channel_id)
        result = run_async(
            lambda: run_deliver(
                target,
                tokens,
                chat.agent_cookies,
                rate=DELIVER_RATE,
                warmup_s=DELIVER_WARMUP_S,
                measure_s=DELIVER_MEASURE_S,
                drain_s=DELIVER_DRAIN_S,
                prefix=f"d{int(time.time())}-",
            ),
            timeout_s=max(30.0, min(240.0, _remaining(deadline))),
        )
        server.check_alive()
    for line in describe(result):
        progress(line)
    if not result.latencies_ms:
        raise RuntimeError("No message was measured: no delivery figure.")
    if result.censored > len(result.latencies_ms) / 100:
        progress(
            f"MORE THAN 1% of the measured messages never reached an agent ({result.censored}): "
            "the percentiles below are lower bounds"
        )
    results.emit("chat.deliver_p99_ms", round(percentile(result.latencies_ms, 99), 1), "ms", 50)
    results.emit("chat.deliver_p50_ms", round(percentile(result.latencies_ms, 50), 1), "ms", None)
    results.emit("chat.undelivered", result.undelivered, "messages", 0)
    if result.rtt_ms:
        results.emit("channel_layer.rtt_p99_ms", round(percentile(result.rtt_ms, 99), 2), "ms", None)


def _idle_figures(results: Results, chat: ChatTenant, env: dict[str, str], log_dir: Path, deadline: float) -> None:
    from bench.realtime import fixture
    from bench.realtime.clients import Target
    from bench.realtime.idle import run_idle
    from bench.realtime.servers import deployment_workers, running

    tokens = fixture.visitor_tokens(chat, IDLE_SOCKETS)
    workers = deployment_workers()
    progress(f"uvicorn with {workers} worker process(es), as make run starts it")
    with running("uvicorn", env, log_dir, workers) as server:
        target = Target(server.port, chat.hostname, chat.channel_id)
        result = run_async(
            lambda: run_idle(target, tokens, server, idle_s=IDLE_S, settle_s=IDLE_SETTLE_S),
            timeout_s=max(30.0, min(180.0, _remaining(deadline))),
        )
        server.check_alive()
    progress(
        f"server CPU over {result.window_s:.1f}s with {result.opened} idle sockets: {result.cpu_s:.2f}s "
        f"= {result.cpu_pct:.2f}% of one core; {result.alive_after} sockets still open at the end; "
        f"server RSS {result.rss_before_mb:.0f}MB before opening, {result.rss_after_mb:.0f}MB with them open "
        f"({(result.rss_after_mb - result.rss_before_mb) * 1024 / max(1, result.opened):.0f}KB per socket)"
    )
    if result.alive_after < result.opened:
        progress(f"WARNING: {result.opened - result.alive_after} idle sockets were closed during the window")
    results.emit("ws.idle_cpu_pct_per_1000", round(result.pct_per_1000, 2), "%", 5)


def _compare_figures(results: Results, chat: ChatTenant, env: dict[str, str], log_dir: Path, deadline: float) -> None:
    from contextlib import ExitStack

    from bench.realtime import fixture
    from bench.realtime.clients import Target
    from bench.realtime.servers import running
    from bench.realtime.throughput import compare

    tokens = fixture.visitor_tokens(chat, 200)
    progress(
        f"one process each, same app and environment: uvicorn (as make run starts it) and daphne; "
        f"msgs = widget ping->pong round trips over {PINGERS} sockets, connects = connect + hello + ready + close "
        f"by {CONNECTORS} clients; {COMPARE_ROUNDS} windows of {COMPARE_WINDOW_S:.0f}s each, alternating"
    )
    with ExitStack() as stack:
        servers = {kind: stack.enter_context(running(kind, env, log_dir)) for kind in ("uvicorn", "daphne")}
        targets = {kind: Target(s.port, chat.hostname, chat.channel_id) for kind, s in servers.items()}
        tallies = run_async(
            lambda: compare(
                targets,
                tokens,
                pingers=PINGERS,
                connectors=CONNECTORS,
                window_s=COMPARE_WINDOW_S,
                rounds=COMPARE_ROUNDS,
                server_cpu={kind: s.cpu_seconds for kind, s in servers.items()},
            ),
            timeout_s=max(30.0, min(200.0, _remaining(deadline))),
        )
        for kind, server in servers.items():
            server.check_alive()
            msgs, connects = tallies[kind]["msgs"], tallies[kind]["connects"]
            failures = msgs.failures + connects.failures
            progress(
                f"{kind}: {msgs.describe('round trips')}; {connects.describe('connects')}"
                + (f"; failures: {dict(failures)}" if failures else "")
            )
    ours, theirs = tallies["uvicorn"], tallies["daphne"]
    for figure, metric in (("msgs", "ws.msgs_per_s"), ("connects", "ws.connects_per_s")):
        ratio = ours[figure].rate / theirs[figure].rate if theirs[figure].rate else float("nan")
        progress(f"{figure}: uvicorn / daphne = {ratio:.2f} (target 2)")
        # The target of ours is twice daphne's figure, measured in the same run.
        results.emit(metric, round(ours[figure].rate), "1/s", round(2 * theirs[figure].rate))
        results.emit(f"{metric}_daphne", round(theirs[figure].rate), "1/s", None)


def _lossless_figures(results: Results, chat: ChatTenant, env: dict[str, str], log_dir: Path, deadline: float) -> None:
    from bench.realtime import fixture
    from bench.realtime.clients import Target
    from bench.realtime.lossless import run_lossless
    from bench.realtime.servers import deployment_workers, running
    from callcenter.core.tenancy import group_name

    tokens = fixture.visitor_tokens(chat, LOSSLESS_VISITORS)
    prefix = f"l{int(time.time())}-"
    send_budget_s = max(30.0, min(LOSSLESS_SEND_BUDGET_S, _remaining(deadline) - 100))
    workers = deployment_workers()
    progress(f"uvicorn with {workers} worker process(es), as make run starts it")
    with running("uvicorn", env, log_dir, workers) as server:
        target = Target(server.port, chat.hostname, chat.channel_id)
        tally = run_async(
            lambda: run_lossless(
                target,
                tokens,
                chat.agent_cookies[0],
                group_name(chat.tenant_id, "user", chat.agent_ids[0]),
                per_visitor=LOSSLESS_PER_VISITOR,
                rate=LOSSLESS_RATE,
                pause_s=LOSSLESS_PAUSE_S,
                pause_after_fraction=LOSSLESS_PAUSE_AFTER,
                filler_rate=LOSSLESS_FILLER_RATE,
                send_budget_s=send_budget_s,
                prefix=prefix,
            ),
            timeout_s=max(60.0, min(send_budget_s + 150, _remaining(deadline) - 10)),
        )
        server.check_alive()
        crashed = server.log_count("Exception in ASGI application")

    rows, seqs = fixture.stored_messages(chat, prefix)
    duplicates = sum(count - 1 for count in rows.values() if count > 1)
    missing_db = {ref for ref in tally.sent if ref not in rows}
    missed_by_agent = {ref for ref in tally.sent if ref not in tally.agent_seen}
    lost = len(missing_db | missed_by_agent) + duplicates
    wrong_seq = sum(1 for ref, seq in tally.acked.items() if seqs.get(ref) not in (None, seq))
    never_on_socket = sum(1 for ref in tally.acked if ref not in tally.agent_socket)
    progress(
        f"visitors: {len(tally.sent)} messages sent in {tally.send_s:.0f}s "
        f"({len(tally.sent) / max(1.0, tally.send_s):.0f}/s), "
        f"{len(tally.acked)} acked, {tally.not_sent} not sent (time budget); "
        f"{sum(tally.disconnects.values())} disconnects ({dict(tally.disconnects)}), {tally.resends} messages re-sent "
        f"with the same client_msg_id"
    )
    progress(
        f"paused agent: {tally.pause_s:.1f}s without reading, {tally.fillers} filler events published, "
        f"{tally.fillers_received} reached it; {never_on_socket} acked messages never came on its socket "
        f"(dropped by the channel layer, or sent while it reconnected: {tally.agent_reconnects} reconnects); "
        f"{tally.gaps} gaps seen, {sum(tally.resyncs.values())} resync requests ({dict(tally.resyncs)}), "
        f"{tally.recovered} messages recovered by resync; message.created frames on its socket: "
        f"{dict(tally.socket_events)}"
    )
    progress(
        f"database: {sum(rows.values())} rows for {len(rows)} client_msg_ids; {duplicates} duplicates, "
        f"{len(missing_db)} sent but not stored, {wrong_seq} acks whose seq differs from the row; "
        f"{len(missed_by_agent)} messages the agent never saw; server log: {crashed} exceptions in the ASGI app"
    )
    if tally.errors:
        progress("errors seen by the clients: " + ", ".join(f"{k} x{v}" for k, v in tally.errors.most_common()))
    results.emit("chat.lost_messages", lost, "messages", 0)
