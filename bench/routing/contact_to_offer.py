"""Contact to offer: a widget visitor's first message -> ``offer.created`` on the chosen agent's staff socket.

Agents: one ``/ws/staff/`` socket each, signed in with a session cookie and already available
(their ``hello`` must say so). They send the desk's heartbeat (``ping`` every ``ping_s``, spread
evenly over the agents) and accept each offer after a human-like pause, as a desk would; an
offer left ringing would ring out after 15 s, set its agent not ready and route the contact
again, which is another workload than the one measured here.

Visitors: one new widget visitor per contact, on an open-loop schedule at ``rate`` per second.
Each opens its socket (``hello`` -> ``ready``) a little before its turn, then at its turn sends
``message.send`` with a first message no routing rule matches (so the default queue, which
takes any agent). Latency is from that send to the first ``offer.created`` for the same
conversation on any agent socket; the conversation id comes back in the visitor's
``message.ack``. The visitor stays connected (a customer waits for an answer).

Contacts due in the first ``warmup_s`` are routed like the others but not measured. A measured
contact never offered by the end of the drain counts as late as it was waited for: the
percentiles are then lower bounds (``censored`` says how many).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from bench.env import progress
from bench.realtime.clients import Target, close_all, expect, open_socket, percentile, widget_open

AGENT_OPEN_CONCURRENCY = 40
VISITOR_LEAD_S = 1.0  # a visitor's socket opens this long before its first message is due
FIRST_MESSAGE = "你好，请问现在有人在吗？"  # no default rule's keyword or topic: queue `general`
SEQUENTIAL_WARMUP = 5  # first contacts one at a time: the worker's boot and first-task costs

CpuProbe = Callable[[], dict[str, float]]  # CPU seconds so far, per process group
BacklogProbe = Callable[[], int]  # tasks waiting in the broker's routing queue


@dataclass
class OfferRun:
    sent: int = 0  # measured contacts whose first message went out
    not_sent: int = 0  # measured contacts whose socket never opened
    latencies_ms: list[float] = field(default_factory=list)  # per measured contact, censored included
    censored: int = 0
    offered: int = 0  # measured contacts with an offer on some agent socket
    unacked: int = 0
    ack_ms: list[float] = field(default_factory=list)
    max_send_lag_ms: float = 0.0
    achieved_rate: float = 0.0
    window_s: float = 0.0
    offers_in_window: int = 0  # first offers that reached a desk while the measured contacts were sent
    backlog_at_end: int = 0  # routing tasks still waiting in the broker when the last contact was sent
    reoffers: int = 0  # offer.created for a conversation already offered (a ring-out, a decline)
    accepted: int = 0
    withdrawn: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    agents_offered: int = 0  # distinct agent sockets that got at least one offer
    most_offers_one_agent: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)  # CPU seconds per process group in the window
    # (conversation, sent at, offered at) on the wall clock, for the server-side breakdown
    timeline: list[tuple[int, float, float]] = field(default_factory=list)
    warmup_ms: list[float] = field(default_factory=list)


class _Run:
    def __init__(self, target: Target, prefix: str, accept_delay_s: tuple[float, float]) -> None:
        self.target = target
        self.prefix = prefix
        self.accept_delay_s = accept_delay_s
        self.rng = random.Random(7)
        self.sent_at: dict[int, float] = {}  # contact -> perf_counter when its first message went out
        self.sent_wall: dict[int, float] = {}
        self.acked_at: dict[int, float] = {}
        self.conversation_of: dict[int, int] = {}
        self.offered_at: dict[int, float] = {}  # conversation -> perf_counter of its first offer.created
        self.offered_wall: dict[int, float] = {}
        self.offers_per_desk: Counter[int] = Counter()
        self.reoffers = 0
        self.accepted = 0
        self.withdrawn: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.not_sent: set[int] = set()
        self.max_lag = 0.0
        self.visitors: list[ClientConnection] = []
        self.tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)  # a reference, or the loop may collect a running task
        task.add_done_callback(self.tasks.discard)

    async def desk_reader(self, desk: int, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                now, wall = time.perf_counter(), time.time()
                frame = json.loads(raw)
                kind, payload = frame.get("type"), frame.get("payload") or {}
                if kind == "offer.created":
                    conversation = payload["conversation"]
                    if conversation in self.offered_at:
                        self.reoffers += 1
                    else:
                        self.offered_at[conversation], self.offered_wall[conversation] = now, wall
                        self.offers_per_desk[desk] += 1
                    self.spawn(self._accept(ws, payload["offer"]))
                elif kind == "offer.accepted":
                    self.accepted += 1
                elif kind == "offer.withdrawn":
                    self.withdrawn[str(payload.get("reason"))] += 1
                elif kind == "error":
                    self.errors[f"agent error {frame.get('code')}"] += 1
        except ConnectionClosed as exc:
            if exc.rcvd is None or exc.rcvd.code not in (1000, 1001):
                self.errors[f"agent socket closed {exc.rcvd.code if exc.rcvd else 'without a close frame'}"] += 1

    async def _accept(self, ws: ClientConnection, offer: int) -> None:
        await asyncio.sleep(self.rng.uniform(*self.accept_delay_s))
        try:
            await ws.send(json.dumps({"type": "offer.accept", "offer": offer}))
        except ConnectionClosed:
            self.errors["accept on a closed agent socket"] += 1

    async def heartbeat(self, desks: list[ClientConnection], ping_s: float) -> None:
        """The desk's ``ping`` every ``ping_s`` per socket, spread evenly: presence and seat upkeep."""
        interval = ping_s / len(desks)
        next_at = time.perf_counter()
        while True:
            for ws in desks:
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                try:
                    await ws.send('{"type": "ping"}')
                except ConnectionClosed:
                    pass

    async def visitor(self, contact: int, token: str, due: float) -> None:
        await asyncio.sleep(max(0.0, due - VISITOR_LEAD_S - time.perf_counter()))
        try:
            ws, _ready = await widget_open(self.target, token, timeout=20)
        except Exception as exc:
            self.not_sent.add(contact)
            self.errors[f"visitor open failed: {type(exc).__name__}"] += 1
            return
        self.visitors.append(ws)
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            self.max_lag = max(self.max_lag, -delay)  # open loop: a late visitor writes at once
        frame = {"type": "message.send", "body": FIRST_MESSAGE, "client_msg_id": f"{self.prefix}{contact}"}
        self.sent_at[contact], self.sent_wall[contact] = time.perf_counter(), time.time()
        try:
            await ws.send(json.dumps(frame, ensure_ascii=False))
            async for raw in ws:  # the ack, then whatever the waiting customer is told
                reply = json.loads(raw)
                if reply.get("type") == "message.ack" and contact not in self.acked_at:
                    self.acked_at[contact] = time.perf_counter()
                    self.conversation_of[contact] = int(reply["payload"]["conversation"])
                elif reply.get("type") == "error":
                    self.errors[f"visitor error {reply.get('code')}"] += 1
        except ConnectionClosed as exc:
            if exc.rcvd is None or exc.rcvd.code not in (1000, 1001):
                self.errors[f"visitor socket closed {exc.rcvd.code if exc.rcvd else 'without a close frame'}"] += 1

    def offer_of(self, contact: int) -> float | None:
        conversation = self.conversation_of.get(contact)
        return None if conversation is None else self.offered_at.get(conversation)


async def _desk(target: Target, cookie: str, gate: asyncio.Semaphore) -> ClientConnection:
    async with gate:
        ws = await open_socket(target, "/ws/staff/", cookie=cookie, open_timeout=60)
        try:
            hello = (await expect(ws, {"hello"}, 60))["payload"]
        except BaseException:
            ws.transport.abort()
            raise
    agent = hello.get("agent") or {}
    if not hello.get("is_agent") or agent.get("state") != "available":
        ws.transport.abort()
        raise RuntimeError(f"the staff socket is not an available agent: is_agent={hello.get('is_agent')}, {agent}")
    return ws


async def open_desks(target: Target, cookies: list[str]) -> list[ClientConnection]:
    t0 = time.perf_counter()
    gate = asyncio.Semaphore(AGENT_OPEN_CONCURRENCY)
    opened = await asyncio.gather(*(_desk(target, cookie, gate) for cookie in cookies), return_exceptions=True)
    desks = [ws for ws in opened if not isinstance(ws, BaseException)]
    failures = [exc for exc in opened if isinstance(exc, BaseException)]
    if failures:
        await close_all(desks, 10)
        raise RuntimeError(f"{len(failures)} of {len(cookies)} agent sockets did not open: {failures[0]!r}")
    progress(f"{len(desks)} agent staff sockets open, each an available agent, in {time.perf_counter() - t0:.1f}s")
    return desks


async def _sequential_warmup(run: _Run, tokens: list[str]) -> list[float]:
    """One contact at a time, each waited for: proves the path and pays the cold costs, unmeasured."""
    latencies = []
    for i, token in enumerate(tokens):
        contact = -1 - i
        run.spawn(run.visitor(contact, token, time.perf_counter() + VISITOR_LEAD_S))
        deadline = time.perf_counter() + 60
        while run.offer_of(contact) is None:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"warm-up contact {i} got no offer in 60s: {dict(run.errors)}")
            await asyncio.sleep(0.01)
        latencies.append((run.offer_of(contact) or 0.0) - run.sent_at[contact])
    return [1000 * s for s in latencies]


async def run_contact_to_offer(
    target: Target,
    tokens: list[str],
    agent_cookies: list[str],
    *,
    rate: float,
    warmup_s: float,
    measure_s: float,
    drain_s: float,
    ping_s: float,
    accept_delay_s: tuple[float, float],
    cpu_probe: CpuProbe,
    backlog_probe: BacklogProbe,
    prefix: str,
) -> OfferRun:
    """``tokens``: SEQUENTIAL_WARMUP + rate * (warmup_s + measure_s) fresh visitors, at least."""
    total = int(rate * (warmup_s + measure_s))
    if len(tokens) < SEQUENTIAL_WARMUP + total:
        raise ValueError(f"{SEQUENTIAL_WARMUP + total} visitor tokens needed, {len(tokens)} given")
    run = _Run(target, prefix, accept_delay_s)
    result = OfferRun()
    desks: list[ClientConnection] = []
    try:
        desks = await open_desks(target, agent_cookies)
        for i, ws in enumerate(desks):
            run.spawn(run.desk_reader(i, ws))
        if ping_s > 0:
            run.spawn(run.heartbeat(desks, ping_s))
        result.warmup_ms = await _sequential_warmup(run, tokens[:SEQUENTIAL_WARMUP])
        progress(
            f"{SEQUENTIAL_WARMUP} warm-up contacts, one at a time: "
            + ", ".join(f"{ms:.0f}" for ms in result.warmup_ms)
            + "ms (not measured)"
        )

        start = time.perf_counter() + VISITOR_LEAD_S + 0.5
        window_start = start + warmup_s
        measured = [i for i in range(total) if start + i / rate >= window_start]
        progress(
            f"{total} new contacts at {rate:g}/s ({warmup_s:g}s unmeasured, then {measure_s:g}s measured: "
            f"{len(measured)} contacts); agents accept after {accept_delay_s[0]:g}-{accept_delay_s[1]:g}s"
            + (f", ping every {ping_s:g}s" if ping_s > 0 else ", no heartbeat")
        )
        for i in range(total):
            run.spawn(run.visitor(i, tokens[SEQUENTIAL_WARMUP + i], start + i / rate))
        await asyncio.sleep(max(0.0, window_start - time.perf_counter()))
        cpu_before, t_before = cpu_probe(), time.perf_counter()
        await asyncio.sleep(max(0.0, start + total / rate - time.perf_counter()))
        cpu_after, t_after = cpu_probe(), time.perf_counter()
        result.backlog_at_end = backlog_probe()
        result.window_s = t_after - t_before
        result.offers_in_window = sum(1 for t in run.offered_at.values() if t_before <= t < t_after)
        result.cpu_s = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}

        drain_until = time.perf_counter() + drain_s
        while time.perf_counter() < drain_until:
            pending = [i for i in measured if i not in run.not_sent and run.offer_of(i) is None]
            if not pending:
                break
            await asyncio.sleep(0.05)
        observed_until = time.perf_counter()
        sent_times = sorted(t for i, t in run.sent_at.items() if i >= 0)
        if len(sent_times) > 1:
            result.achieved_rate = (len(sent_times) - 1) / (sent_times[-1] - sent_times[0])
    finally:
        for task in list(run.tasks):  # readers, heartbeat, pending accepts: nothing more is sent
            task.cancel()
        await asyncio.gather(*run.tasks, return_exceptions=True)
        await close_all(run.visitors + desks)

    for i in measured:
        if i not in run.sent_at:
            result.not_sent += 1
            continue
        result.sent += 1
        offered = run.offer_of(i)
        if offered is None:
            result.censored += 1
        else:
            result.offered += 1
            conversation = run.conversation_of[i]
            result.timeline.append((conversation, run.sent_wall[i], run.offered_wall[conversation]))
        result.latencies_ms.append(1000 * ((offered or observed_until) - run.sent_at[i]))
        if i in run.acked_at:
            result.ack_ms.append(1000 * (run.acked_at[i] - run.sent_at[i]))
        else:
            result.unacked += 1
    result.max_send_lag_ms = 1000 * run.max_lag
    result.reoffers, result.accepted = run.reoffers, run.accepted
    result.withdrawn, result.errors = run.withdrawn, run.errors
    result.agents_offered = len(run.offers_per_desk)
    result.most_offers_one_agent = max(run.offers_per_desk.values(), default=0)
    return result


def describe(result: OfferRun) -> list[str]:
    lat = result.latencies_ms
    lines = [
        f"{result.sent} measured contacts sent at {result.achieved_rate:.1f}/s (largest send lag "
        f"{result.max_send_lag_ms:.0f}ms), {result.not_sent} never sent (socket did not open), "
        f"{result.unacked} never acked; {result.offered} offered, {result.censored} never offered"
        + (" (counted as late as waited for: the percentiles are LOWER BOUNDS)" if result.censored else ""),
        f"contact -> offer.created: p50 {percentile(lat, 50):.0f}ms, p90 {percentile(lat, 90):.0f}ms, "
        f"p99 {percentile(lat, 99):.0f}ms, max {max(lat, default=float('nan')):.0f}ms; the visitor's own ack: "
        f"p50 {percentile(result.ack_ms, 50):.0f}ms, p99 {percentile(result.ack_ms, 99):.0f}ms",
        f"routing kept pace at {result.offers_in_window / max(result.window_s, 1e-9):.1f} offers/s while "
        f"{result.achieved_rate:.1f} contacts/s came in; {result.backlog_at_end} routing tasks waiting in the broker "
        f"when the last contact was sent",
        f"offers went to {result.agents_offered} agents (at most {result.most_offers_one_agent} to one); "
        f"{result.accepted} accepted, {result.reoffers} offered again, withdrawn: {dict(result.withdrawn) or 0}",
    ]
    if result.cpu_s and result.window_s:
        shares = ", ".join(f"{name} {100 * cpu / result.window_s:.0f}%" for name, cpu in result.cpu_s.items())
        lines.append(f"CPU over the {result.window_s:.1f}s of sending, as % of one core: {shares}")
    if result.errors:
        lines.append("errors: " + ", ".join(f"{k} x{v}" for k, v in result.errors.most_common()))
    return lines


PARTS = {  # what each part of the breakdown holds, for the line that names the largest
    "web": "the web server storing the first message and opening the conversation",
    "to round": "getting to a routing round: the Celery hop, the wait in the routing queue, contact_enqueue",
    "round and out": "the round (its lock wait, reading the agents, storing the offer) and the channel layer",
}


def server_breakdown(schema: str, timeline: list[tuple[int, float, float]]) -> dict[str, list[float]]:
    """Where the time went, in ms per offered contact, from the rows' own timestamps (one clock).

    web: the visitor's send -> the conversation row (``opened_at``, in the widget's transaction);
    to round: -> the round's clock (``Offer.created_at``, read as the round starts, before its
    lock): the commit, the Celery hop, the worker picking the task up, ``contact_enqueue``;
    round and out: -> offer.created on the agent socket: the lock wait, the round, its commit,
    the channel layer and the agent's server process.
    """
    from django.db.models import Min
    from django_tenants.utils import schema_context

    from conversations.models import Conversation
    from routing.models import Offer

    parts: dict[str, list[float]] = {name: [] for name in PARTS}
    ids = [conversation for conversation, _, _ in timeline]
    with schema_context(schema):
        opened = dict(Conversation.objects.filter(pk__in=ids).values_list("pk", "opened_at"))
        offered = dict(
            Offer.objects.filter(contact__conversation_id__in=ids)
            .values("contact__conversation_id")
            .annotate(first=Min("created_at"))
            .values_list("contact__conversation_id", "first")
        )
    for conversation, sent, arrived in timeline:
        if conversation in opened and conversation in offered:
            opened_ts, offered_ts = opened[conversation].timestamp(), offered[conversation].timestamp()
            parts["web"].append(1000 * (opened_ts - sent))
            parts["to round"].append(1000 * (offered_ts - opened_ts))
            parts["round and out"].append(1000 * (arrived - offered_ts))
    return parts


def describe_breakdown(parts: dict[str, list[float]], result: OfferRun) -> list[str]:
    if not any(parts.values()):
        return ["no contact was offered: no breakdown"]
    lines = [
        f"where the time went, over the {len(parts['web'])} offered contacts (rows' timestamps): "
        + "; ".join(
            f"{name} p50 {percentile(values, 50):.0f}ms p99 {percentile(values, 99):.0f}ms"
            for name, values in parts.items()
        )
    ]
    largest = max(parts, key=lambda name: percentile(parts[name], 50))
    lines.append(f"LIMIT: the largest part is '{largest}': {PARTS[largest]}")
    pace = result.offers_in_window / max(result.window_s, 1e-9)
    if result.achieved_rate and pace < 0.9 * result.achieved_rate:
        lines.append(
            f"LIMIT: routing made {pace:.1f} offers/s against {result.achieved_rate:.1f} new contacts/s: the "
            f"contacts queue up ({result.backlog_at_end} routing tasks waiting at the end of sending), so the "
            "latency grows with the run and the offered ratio is what the drain caught"
        )
    return lines
