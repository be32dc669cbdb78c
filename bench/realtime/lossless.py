"""No message lost: 10,000 widget messages over 100 conversations, with sockets dropped and an agent paused.

Visitors send their messages on a schedule (at most a few without an ack at a time). Their
sockets are dropped (the TCP connection aborted, as a network would) right after a send now and
then, at random moments, and when an ack takes too long; a visitor then reconnects with
``hello {since}`` and sends every message that had no ack again, with the same client_msg_id.

One agent socket follows all 100 conversations. It reads with a tiny kernel receive buffer and
stops reading for a while: the server cannot write to it, its consumer stops taking events off
the channel layer, and once the consumer's queue is full the layer drops events. The kernel and
server buffers hold a few thousand frames, more than the chat itself sends in the pause, so the
bench also publishes typing indicators straight to the agent's own group through the channel
layer while it is paused. The agent notices a gap in a conversation's sequence numbers, and
after the pause it resyncs every conversation, with GET
/api/v1/conversations/<id>/messages/?since=<last seq seen in order> and its session cookie.

Lost = messages a visitor sent that are not in the database or that the agent never saw (by
socket or resync), plus duplicate rows. Checked against the database after the run.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from bench.env import progress
from bench.realtime.clients import ProtocolError, Target, close_all, expect, http_get_json, open_socket, widget_open

MAX_IN_FLIGHT = 3
ACK_TIMEOUT_S = 20.0
DROP_AFTER_SEND_P = 0.01  # drop the socket 0-30 ms after a send: the ack may or may not come
RANDOM_DROPS_PER_S = 0.5  # and, across all visitors, at random moments
AGENT_RCVBUF = 4096
RESYNC_PAGE = 200
CONNECT_ERRORS = (OSError, TimeoutError, ConnectionClosed, InvalidHandshake, ProtocolError)


@dataclass
class Tally:
    sent: set[str] = field(default_factory=set)
    acked: dict[str, int] = field(default_factory=dict)  # client_msg_id -> seq the ack said
    not_sent: int = 0
    disconnects: Counter[str] = field(default_factory=Counter)
    resends: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    # the agent
    agent_seen: set[str] = field(default_factory=set)
    agent_socket: set[str] = field(default_factory=set)
    gaps: int = 0
    resyncs: Counter[str] = field(default_factory=Counter)
    recovered: int = 0
    agent_reconnects: int = 0
    pause_s: float = 0.0
    fillers: int = 0
    fillers_received: int = 0
    send_s: float = 0.0
    socket_events: Counter[str] = field(default_factory=Counter)  # message.created on the agent socket, by phase
    phase: str = "before the pause"


def _frame(ref: str) -> str:
    return json.dumps({"type": "message.send", "body": f"lossless test {ref}", "client_msg_id": ref})


class Visitor:
    def __init__(self, tally: Tally, target: Target, token: str) -> None:
        self.tally = tally
        self.target = target
        self.token = token
        self.ws: ClientConnection | None = None
        self.conversation = 0
        self.last_seq = 0
        self.unacked: dict[str, float] = {}  # client_msg_id -> when last sent
        self.wake = asyncio.Event()
        self.reader: asyncio.Task[None] | None = None
        self.fruitless = 0  # reconnects since the last ack: the backoff grows with them

    async def start_chat(self) -> None:
        ws, _ready = await widget_open(self.target, self.token)
        await ws.send(json.dumps({"type": "chat.start"}))
        started = await expect(ws, {"chat.started"}, 20)
        self.conversation = int(started["payload"]["conversation"])
        self._attach(ws)

    def _attach(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.reader = asyncio.create_task(self._read(ws))

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                kind, payload = frame.get("type"), frame.get("payload") or {}
                if kind == "message.ack":
                    ref = payload["client_msg_id"]
                    self.tally.acked.setdefault(ref, payload["seq"])
                    self.unacked.pop(ref, None)
                    self.last_seq = max(self.last_seq, payload["seq"])
                    self.fruitless = 0
                    self.wake.set()
                elif kind == "message.created":
                    self.last_seq = max(self.last_seq, payload.get("seq", 0))
                elif kind == "messages":
                    for item in payload.get("items", []):
                        self.last_seq = max(self.last_seq, item["seq"])
                elif kind == "error":
                    self.tally.errors[f"visitor got error {frame.get('code')}"] += 1
        except ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.code not in (1000, 1001):
                self.tally.errors[f"visitor socket closed by the server ({exc.rcvd.code})"] += 1
        finally:
            if self.ws is ws:
                self.ws = None
            self.wake.set()

    def drop(self, why: str, ws: ClientConnection | None = None) -> None:
        """Abort the TCP connection (only ``ws`` if given and still the current one)."""
        current = self.ws
        if current is None or (ws is not None and ws is not current):
            return
        self.ws = None
        current.transport.abort()
        self.tally.disconnects[why] += 1
        self.wake.set()

    async def _reconnect(self) -> None:
        # Like a browser widget: back off when reconnecting does not help (0.1 s, doubling, up to 5 s).
        if self.fruitless:
            await asyncio.sleep(min(5.0, 0.05 * 2**self.fruitless) * random.uniform(0.5, 1.5))
        self.fruitless += 1
        for attempt in range(30):
            try:
                ws, _ready = await widget_open(self.target, self.token, since=self.last_seq, timeout=20)
            except CONNECT_ERRORS as exc:
                self.tally.errors[f"reconnect failed: {type(exc).__name__}"] += 1
                await asyncio.sleep(min(2.0, 0.1 * (attempt + 1)))
                continue
            self._attach(ws)
            for ref in list(self.unacked):  # the same client_msg_id: the server answers with the first one
                try:
                    await ws.send(_frame(ref))
                except ConnectionClosed:
                    return
                self.unacked[ref] = time.monotonic()
                self.tally.resends += 1
            return
        raise RuntimeError("a visitor could not reconnect in 30 attempts")

    async def run(self, refs: list[str], times: list[float], stop_sending: float, give_up: float) -> None:
        i = 0
        loop = asyncio.get_running_loop()
        while time.monotonic() < give_up:
            if self.ws is None:
                await self._reconnect()
                continue
            now = time.monotonic()
            if i < len(refs) and now >= stop_sending:
                self.tally.not_sent += len(refs) - i
                refs = refs[:i]
            if i < len(refs) and now >= times[i] and len(self.unacked) < MAX_IN_FLIGHT:
                ref, ws = refs[i], self.ws
                i += 1
                self.unacked[ref] = now
                self.tally.sent.add(ref)
                try:
                    await ws.send(_frame(ref))
                except ConnectionClosed:
                    continue
                if random.random() < DROP_AFTER_SEND_P:
                    loop.call_later(random.uniform(0, 0.03), self.drop, "right after a send", ws)
                continue
            if i >= len(refs) and not self.unacked:
                return
            if self.unacked and now - min(self.unacked.values()) > ACK_TIMEOUT_S:
                self.drop("no ack in time")
                continue
            wait = min(1.0, times[i] - now) if i < len(refs) else 1.0
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), max(0.001, wait))
            except TimeoutError:
                pass
        self.tally.errors["visitor gave up with messages unacked"] += len(self.unacked)

    async def close(self) -> None:
        if self.ws is not None:
            await close_all([self.ws], 5)
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)


class Agent:
    """One agent socket on all the conversations, with gap detection and resync over the REST API."""

    def __init__(self, tally: Tally, target: Target, cookie: str, conversations: list[int]) -> None:
        self.tally = tally
        self.target = target
        self.cookie = cookie
        self.conversations = conversations
        self.seen: dict[int, set[int]] = defaultdict(set)
        self.contiguous: dict[int, int] = dict.fromkeys(conversations, 0)
        self.reading = asyncio.Event()
        self.reading.set()
        self.resyncing: dict[int, asyncio.Task[None]] = {}
        self.again: set[int] = set()
        self.ws: ClientConnection | None = None
        self.task: asyncio.Task[None] | None = None
        self.stopping = False

    async def connect(self) -> None:
        ws = await open_socket(self.target, "/ws/staff/", cookie=self.cookie, rcvbuf=AGENT_RCVBUF, max_queue=4)
        try:
            await expect(ws, {"hello"}, 20)
            for conversation in self.conversations:
                await ws.send(json.dumps({"type": "conversation.subscribe", "conversation": conversation}))
            pending = set(self.conversations)
            while pending:
                frame = await expect(ws, {"subscribed"}, 30)
                pending.discard(frame["payload"]["conversation"])
        except BaseException:
            ws.transport.abort()
            raise
        self.ws = ws

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self.stopping:
            ws = self.ws
            assert ws is not None
            try:
                while True:
                    if not self.reading.is_set():
                        await self.reading.wait()
                    frame = json.loads(await ws.recv())
                    kind = frame.get("type")
                    if kind == "message.created":
                        self.tally.socket_events[self.tally.phase] += 1
                        self.note(frame["payload"], via_socket=True)
                    elif kind == "typing":
                        self.tally.fillers_received += 1
            except ConnectionClosed as exc:
                if self.stopping:
                    return
                code = exc.rcvd.code if exc.rcvd else "no close frame"
                self.tally.errors[f"agent socket closed by the server ({code})"] += 1
            # Reconnect, follow everything again, and resync what was missed meanwhile.
            self.tally.agent_reconnects += 1
            for attempt in range(30):
                try:
                    await self.connect()
                    break
                except CONNECT_ERRORS as exc:
                    self.tally.errors[f"agent reconnect failed: {type(exc).__name__}"] += 1
                    await asyncio.sleep(min(2.0, 0.1 * (attempt + 1)))
            else:
                self.tally.errors["the agent gave up reconnecting"] += 1
                return
            self.resync_all("after a reconnect")

    def note(self, item: dict[str, Any], *, via_socket: bool) -> None:
        conversation, seq, ref = item["conversation"], item["seq"], item.get("client_msg_id", "")
        if via_socket:
            self.tally.agent_socket.add(ref)
        seen = self.seen[conversation]
        if seq in seen or seq <= self.contiguous.get(conversation, 0):
            return
        seen.add(seq)
        self.tally.agent_seen.add(ref)
        if not via_socket:
            self.tally.recovered += 1
        upto = self.contiguous[conversation]
        while upto + 1 in seen:
            upto += 1
            seen.discard(upto)
        self.contiguous[conversation] = upto
        if via_socket and seq > upto:  # something below this one never came
            self.tally.gaps += 1
            self.resync(conversation, "gap in the sequence")

    def resync(self, conversation: int, why: str) -> None:
        if conversation in self.resyncing:
            self.again.add(conversation)
            return
        task = asyncio.create_task(self._resync(conversation, why))
        self.resyncing[conversation] = task

        def done(_task: asyncio.Task[None]) -> None:
            self.resyncing.pop(conversation, None)
            if conversation in self.again and not self.stopping:
                self.again.discard(conversation)
                self.resync(conversation, why)

        task.add_done_callback(done)

    def resync_all(self, why: str) -> None:
        for conversation in self.conversations:
            self.resync(conversation, why)

    async def _resync(self, conversation: int, why: str) -> None:
        failures = 0
        while failures < 5:
            since = self.contiguous[conversation]
            path = f"/api/v1/conversations/{conversation}/messages/?since={since}&limit={RESYNC_PAGE}"
            try:
                status, data = await asyncio.to_thread(http_get_json, self.target, path, self.cookie, 20.0)
            except OSError as exc:
                status, data = 0, repr(exc)
            self.tally.resyncs[why] += 1
            if status != 200 or not isinstance(data, list):
                failures += 1
                self.tally.errors[f"resync answered {status}"] += 1
                await asyncio.sleep(0.5)
                continue
            for item in data:
                self.note(item, via_socket=False)
            if len(data) < RESYNC_PAGE:
                return

    async def settle(self, timeout_s: float) -> None:
        """Let running resyncs finish."""
        deadline = time.monotonic() + timeout_s
        while self.resyncing and time.monotonic() < deadline:
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        self.stopping = True
        self.reading.set()
        for task in list(self.resyncing.values()):
            task.cancel()
        if self.ws is not None:
            await close_all([self.ws], 5)
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


async def _publish_fillers(group: str, rate: float, until: float, tally: Tally, publishers: int = 8) -> None:
    """Typing indicators to the paused agent's own group, through this process's channel layer.

    Each carries 200 random characters: permessage-deflate would otherwise squeeze identical
    frames to a few bytes, and the kernel's buffers would swallow the whole pause.
    """
    from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers

    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)

    async def publisher(k: int) -> None:
        t0, i = time.monotonic(), 0
        while time.monotonic() < until:
            delay = t0 + i * publishers / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await layer.group_send(
                group,
                {
                    "type": "realtime.event",
                    "event": "typing",
                    "payload": {
                        "conversation": 0,
                        "sender_type": "customer",
                        "is_typing": True,
                        "filler": secrets.token_urlsafe(150),
                    },
                },
            )
            tally.fillers += 1
            i += 1

    try:
        await asyncio.gather(*(publisher(k) for k in range(publishers)))
    finally:
        await layer.close_pools()


async def _chaos(visitors: list[Visitor], per_s: float, until: Callable[[], bool]) -> None:
    while not until():
        await asyncio.sleep(random.expovariate(per_s))
        connected = [v for v in visitors if v.ws is not None]
        if connected:
            random.choice(connected).drop("at a random moment")


async def run_lossless(
    target: Target,
    tokens: list[str],
    agent_cookie: str,
    agent_group: str,
    *,
    per_visitor: int,
    rate: float,
    pause_s: float,
    pause_after_fraction: float,
    filler_rate: float,
    send_budget_s: float,
    prefix: str,
) -> Tally:
    tally = Tally()
    visitors = [Visitor(tally, target, token) for token in tokens]
    agent: Agent | None = None
    workers: list[asyncio.Task[None]] = []
    try:
        t0 = time.perf_counter()
        gate = asyncio.Semaphore(20)

        async def start(v: Visitor) -> None:
            async with gate:
                await v.start_chat()

        await asyncio.gather(*(start(v) for v in visitors))
        agent = Agent(tally, target, agent_cookie, [v.conversation for v in visitors])
        await agent.connect()
        agent.start()
        progress(
            f"{len(visitors)} visitors chatting, one agent socket (receive buffer {AGENT_RCVBUF} bytes) "
            f"following all {len(visitors)} conversations, in {time.perf_counter() - t0:.1f}s"
        )

        total = per_visitor * len(visitors)
        period = len(visitors) / rate
        start_at = time.monotonic() + 0.5
        stop_sending = start_at + send_budget_s
        give_up = stop_sending + 60
        for n, visitor in enumerate(visitors):
            offset = random.uniform(0, period)
            refs = [f"{prefix}{n:03d}-{k:03d}" for k in range(per_visitor)]
            times = [start_at + offset + k * period for k in range(per_visitor)]
            workers.append(asyncio.create_task(visitor.run(refs, times, stop_sending, give_up)))
        progress(
            f"sending {total} messages, about {rate:.0f}/s offered ({per_visitor} per visitor), at most "
            f"{MAX_IN_FLIGHT} unacked per visitor; drops: {DROP_AFTER_SEND_P:.0%} of sends, "
            f"{RANDOM_DROPS_PER_S}/s at random moments; the agent pauses {pause_s:.0f}s "
            f"once {pause_after_fraction:.0%} are acked"
        )
        sending = asyncio.gather(*workers)
        chaos = asyncio.create_task(_chaos(visitors, RANDOM_DROPS_PER_S, sending.done))

        # The paused consumer.
        while len(tally.acked) < pause_after_fraction * total and not sending.done():
            await asyncio.sleep(0.1)
        if not sending.done():
            paused_at = time.monotonic()
            acked_before = len(tally.acked)
            agent.reading.clear()
            tally.phase = "backlog after the pause"
            progress(f"agent socket paused after {len(tally.acked)} acks; filler typing events at {filler_rate:.0f}/s")
            await _publish_fillers(agent_group, filler_rate, paused_at + pause_s, tally)
            agent.reading.set()
            tally.pause_s = time.monotonic() - paused_at
            progress(
                f"agent socket reads again after {tally.pause_s:.1f}s ({len(tally.acked) - acked_before} messages "
                f"acked meanwhile, {tally.fillers} filler events published)"
            )
            await asyncio.sleep(2.0)  # it reads the backlog, then resyncs: it knows it stalled
            tally.phase = "after the pause"
            agent.resync_all("after the pause")

        await sending
        tally.send_s = time.monotonic() - start_at
        chaos.cancel()
        await asyncio.gather(chaos, return_exceptions=True)
        progress(
            f"visitors done in {tally.send_s:.0f}s: {len(tally.sent)} messages sent, {len(tally.acked)} acked; "
            f"waiting for the agent"
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not set(tally.acked) <= tally.agent_seen:
            await asyncio.sleep(0.2)
        await agent.settle(10)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        if agent is not None:
            await agent.close()
        await asyncio.gather(*(v.close() for v in visitors), return_exceptions=True)
    return tally
