"""Widget message -> stored -> delivered to the agent following the conversation, at a steady rate.

500 visitors each start a chat; agent sockets (one follows at most 100 conversations) subscribe
to all of them. A sender then sends ``message.send`` at a fixed rate, round robin over the
visitors (open loop: a late send goes out at once, it never waits for an answer). Latency is
from the client sending the frame to an agent socket receiving the ``message.created`` with the
same client_msg_id. In the same window a probe in this process measures the bare channel-layer
round trip (group_send to a group of one, through the same Redis layer settings).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from bench.env import progress
from bench.realtime.clients import Target, close_all, expect, negotiated_extensions, open_socket, widget_open
from bench.realtime.clients import percentile as pct

MAX_FOLLOWED = 100  # channels_app.consumers.staff.MAX_FOLLOWED_CONVERSATIONS
OPEN_CONCURRENCY = 25


@dataclass
class DeliverResult:
    # The measured window only. A message never delivered counts with the time it was waited for
    # (until the end of the drain), so percentiles stay lower bounds instead of ignoring it.
    latencies_ms: list[float] = field(default_factory=list)
    censored: int = 0  # measured messages not delivered by the end: their latency is a lower bound
    ack_ms: list[float] = field(default_factory=list)
    rtt_ms: list[float] = field(default_factory=list)
    rtt_lost: int = 0
    sent: int = 0
    undelivered: int = 0
    unacked: int = 0
    max_lag_ms: float = 0.0
    achieved_rate: float = 0.0
    ack_rate: float = 0.0  # acks received per second while sending: what the server kept up with
    errors: Counter[str] = field(default_factory=Counter)


class _Run:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.sent_at: dict[str, float] = {}
        self.acked_at: dict[str, float] = {}
        self.delivered_at: dict[str, float] = {}
        self.errors: Counter[str] = Counter()
        self.all_delivered = asyncio.Event()

    async def visitor_reader(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "message.ack":
                    self.acked_at.setdefault(frame["payload"]["client_msg_id"], now)
                elif kind == "error":
                    self.errors[f"visitor error {frame.get('code')}"] += 1
        except ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.code not in (1000, 1001):
                self.errors[f"visitor socket closed {exc.rcvd.code}"] += 1

    async def agent_reader(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                if frame.get("type") == "message.created":
                    ref = frame["payload"].get("client_msg_id", "")
                    if ref in self.sent_at and ref not in self.delivered_at:
                        self.delivered_at[ref] = now
                        if len(self.delivered_at) == len(self.sent_at):
                            self.all_delivered.set()
                elif frame.get("type") == "error":
                    self.errors[f"agent error {frame.get('code')}"] += 1
        except ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.code not in (1000, 1001):
                self.errors[f"agent socket closed {exc.rcvd.code}"] += 1


async def _start_chat(target: Target, token: str, gate: asyncio.Semaphore) -> tuple[ClientConnection, int]:
    async with gate:
        ws, _ready = await widget_open(target, token)
        try:
            await ws.send(json.dumps({"type": "chat.start"}))
            started = await expect(ws, {"chat.started"}, 15)
        except BaseException:
            ws.transport.abort()
            raise
        return ws, int(started["payload"]["conversation"])


async def _agent(target: Target, cookie: str, conversations: list[int]) -> ClientConnection:
    ws = await open_socket(target, "/ws/staff/", cookie=cookie)
    try:
        hello = await expect(ws, {"hello"}, 15)
        if not hello["payload"].get("is_agent"):
            raise RuntimeError(f"the staff socket did not sign in as an agent: {hello}")
        for conversation in conversations:
            await ws.send(json.dumps({"type": "conversation.subscribe", "conversation": conversation}))
        pending = set(conversations)
        deadline = time.monotonic() + 60
        while pending:
            frame = await expect(ws, {"subscribed"}, max(1.0, deadline - time.monotonic()))
            pending.discard(frame["payload"]["conversation"])
    except BaseException:
        ws.transport.abort()
        raise
    return ws


def _layer_rtt(rate: float, duration_s: float, start_at: float) -> tuple[list[float], int]:
    """group_send -> receive on a group of one, on a loop of its own in a thread of this process."""
    return asyncio.run(asyncio.wait_for(_layer_probe(rate, duration_s, start_at), duration_s + 60))


async def _layer_probe(rate: float, duration_s: float, start_at: float) -> tuple[list[float], int]:
    from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers

    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)  # the settings' Redis layer, new connections
    group = f"bench-rtt-{os.getpid()}"
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    received: dict[int, float] = {}

    async def receive() -> None:
        while True:
            message = await layer.receive(channel)
            received[message["i"]] = time.perf_counter()

    receiver = asyncio.create_task(receive())
    sent: dict[int, float] = {}
    try:
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        t0 = time.perf_counter()
        for i in range(int(rate * duration_s)):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent[i] = time.perf_counter()
            await layer.group_send(group, {"type": "bench.rtt", "i": i})
        deadline = time.perf_counter() + 5
        while len(received) < len(sent) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
    finally:
        receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)
        await layer.group_discard(group, channel)
        await layer.close_pools()
    rtts = [(received[i] - t) * 1000 for i, t in sent.items() if i in received]
    return rtts, len(sent) - len(rtts)


async def run_deliver(
    target: Target,
    tokens: list[str],
    agent_cookies: list[str],
    *,
    rate: float,
    warmup_s: float,
    measure_s: float,
    drain_s: float,
    prefix: str,
) -> DeliverResult:
    run = _Run(prefix)
    result = DeliverResult()
    visitors: list[ClientConnection] = []
    agents: list[ClientConnection] = []
    readers: list[asyncio.Task[None]] = []
    measured: set[str] = set()
    observed_until = 0.0
    try:
        t0 = time.perf_counter()
        gate = asyncio.Semaphore(OPEN_CONCURRENCY)
        opened = await asyncio.gather(*(_start_chat(target, token, gate) for token in tokens), return_exceptions=True)
        failures = [o for o in opened if isinstance(o, BaseException)]
        visitors = [o[0] for o in opened if not isinstance(o, BaseException)]
        conversations = [o[1] for o in opened if not isinstance(o, BaseException)]
        if failures:
            await close_all(visitors, 5)
            raise RuntimeError(f"{len(failures)} of {len(tokens)} visitors could not start a chat: {failures[0]!r}")
        progress(
            f"{len(visitors)} widget sockets open, each with a chat started, in {time.perf_counter() - t0:.1f}s "
            f"(permessage-deflate: {negotiated_extensions(visitors[0])})"
        )

        t0 = time.perf_counter()
        slices = [conversations[i : i + MAX_FOLLOWED] for i in range(0, len(conversations), MAX_FOLLOWED)]
        if len(slices) > len(agent_cookies):
            raise RuntimeError(f"{len(slices)} agent sockets needed, {len(agent_cookies)} agents signed in")
        agents = list(await asyncio.gather(*(_agent(target, agent_cookies[i], s) for i, s in enumerate(slices))))
        progress(
            f"{len(agents)} agent sockets subscribed to {len(conversations)} conversations "
            f"in {time.perf_counter() - t0:.1f}s"
        )
        readers = [asyncio.create_task(run.visitor_reader(ws)) for ws in visitors]
        readers += [asyncio.create_task(run.agent_reader(ws)) for ws in agents]

        total = int(rate * (warmup_s + measure_s))
        start = time.perf_counter() + 0.2
        window_start = start + warmup_s
        probe = asyncio.create_task(asyncio.to_thread(_layer_rtt, rate, measure_s, window_start))
        progress(
            f"sending {total} messages at {rate:.0f}/s round robin over {len(visitors)} visitors "
            f"({warmup_s:.0f}s warm-up, then {measure_s:.0f}s measured; the channel-layer probe runs alongside)"
        )
        max_lag = 0.0
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                max_lag = max(max_lag, -delay)
            ref = f"{prefix}{i}"
            frame = json.dumps({"type": "message.send", "body": f"bench message {i}", "client_msg_id": ref})
            run.sent_at[ref] = time.perf_counter()
            if due >= window_start:
                measured.add(ref)
            try:
                await visitors[i % len(visitors)].send(frame)
            except ConnectionClosed:
                run.errors["send on a closed socket"] += 1
        send_end = time.perf_counter()
        elapsed = send_end - start
        result.max_lag_ms = max_lag * 1000
        result.achieved_rate = total / elapsed
        result.ack_rate = sum(1 for t in run.acked_at.values() if t <= send_end) / elapsed
        try:
            await asyncio.wait_for(run.all_delivered.wait(), drain_s)
        except TimeoutError:
            pass
        observed_until = time.perf_counter()
        result.rtt_ms, result.rtt_lost = await asyncio.wait_for(probe, 60)
    finally:
        await close_all(agents + visitors)
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)

    result.sent = len(run.sent_at)
    result.latencies_ms = [
        (run.delivered_at.get(r, observed_until) - run.sent_at[r]) * 1000 for r in measured if r in run.sent_at
    ]
    result.censored = sum(1 for r in measured if r not in run.delivered_at)
    result.ack_ms = [(run.acked_at[r] - run.sent_at[r]) * 1000 for r in measured if r in run.acked_at]
    result.undelivered = sum(1 for r in run.sent_at if r not in run.delivered_at)
    result.unacked = sum(1 for r in run.sent_at if r not in run.acked_at)
    result.errors = run.errors
    return result


def describe(result: DeliverResult) -> list[str]:
    lines = [
        f"sent {result.sent} at {result.achieved_rate:.0f}/s (largest sender lag {result.max_lag_ms:.0f}ms), "
        f"acks came back at {result.ack_rate:.0f}/s meanwhile; "
        f"not delivered to an agent: {result.undelivered}; not acked: {result.unacked}",
        f"deliver latency over {len(result.latencies_ms)} measured messages"
        + (
            f" ({result.censored} never delivered, counted as late as the wait: LOWER BOUNDS)"
            if result.censored
            else ""
        )
        + f": p50 {pct(result.latencies_ms, 50):.1f}ms, "
        f"p90 {pct(result.latencies_ms, 90):.1f}ms, p99 {pct(result.latencies_ms, 99):.1f}ms, "
        f"max {max(result.latencies_ms, default=float('nan')):.1f}ms",
        f"ack latency (sender's own ack): p50 {pct(result.ack_ms, 50):.1f}ms, p99 {pct(result.ack_ms, 99):.1f}ms",
        f"channel-layer round trip over {len(result.rtt_ms)} group_sends: p50 {pct(result.rtt_ms, 50):.2f}ms, "
        f"p99 {pct(result.rtt_ms, 99):.2f}ms, lost {result.rtt_lost}",
    ]
    if result.errors:
        lines.append("errors: " + ", ".join(f"{k} x{v}" for k, v in result.errors.most_common()))
    return lines
