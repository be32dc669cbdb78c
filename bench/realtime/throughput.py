"""uvicorn against daphne on the same app: widget ping->pong round trips, and connects.

msgs/s: 50 widget sockets (after hello), each sending ``ping`` and waiting for its ``pong``
before the next, for the window; every round trip counts. A ping goes through the same
consumer path as any frame (size and rate checks with their Redis counters, JSON, the
allow-list) but touches no database. connects/s: 20 clients in a loop of TCP connect,
WebSocket handshake (Host -> tenant, Origin check), ``hello`` with a visitor token, ``ready``,
close handshake.

Both servers run at once, idle while the other is measured; windows alternate between them so
that load from elsewhere on the machine falls on both alike.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bench.realtime.clients import Target, close_all, widget_open

PING = json.dumps({"type": "ping"})


@dataclass
class Tally:
    count: int = 0
    seconds: float = 0.0
    client_cpu_s: float = 0.0  # this (client) process's CPU in the windows: is the client the limit?
    server_cpu_s: float = 0.0
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def describe(self, what: str) -> str:
        return (
            f"{self.count} {what} in {self.seconds:.1f}s = {self.rate:.0f}/s (server CPU "
            f"{1000 * self.server_cpu_s / max(1, self.count):.2f}ms each, "
            f"{100 * self.server_cpu_s / self.seconds:.0f}% of a core; "
            f"client {100 * self.client_cpu_s / self.seconds:.0f}%)"
        )

    def add(self, count: int, seconds: float, client_cpu_s: float) -> None:
        self.count += count
        self.seconds += seconds
        self.client_cpu_s += client_cpu_s


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def open_pingers(target: Target, tokens: list[str]) -> list[ClientConnection]:
    gate = asyncio.Semaphore(20)

    async def one(token: str) -> ClientConnection:
        async with gate:
            return (await widget_open(target, token))[0]

    return list(await asyncio.gather(*(one(token) for token in tokens)))


async def pingpong_window(
    target: Target, tokens: list[str], sockets: list[ClientConnection], duration_s: float, tally: Tally
) -> None:
    """Round trips until the window ends; a socket the server closes is opened again (and counted)."""
    stop = time.perf_counter() + duration_s

    async def loop(k: int) -> int:
        done = 0
        while time.perf_counter() < stop:
            try:
                await sockets[k].send(PING)
                while True:
                    raw = await asyncio.wait_for(sockets[k].recv(), 15)
                    if '"pong"' in raw:
                        break
                done += 1
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else "no close frame"
                tally.failures[f"socket closed by the server ({code}), opened again"] += 1
                sockets[k] = (await widget_open(target, tokens[k]))[0]
        return done

    t0, cpu0 = time.perf_counter(), _cpu()
    counts = await asyncio.gather(*(loop(k) for k in range(len(sockets))))
    tally.add(sum(counts), time.perf_counter() - t0, _cpu() - cpu0)


async def connect_window(target: Target, tokens: list[str], clients: int, duration_s: float, tally: Tally) -> None:
    stop = time.perf_counter() + duration_s

    async def loop(k: int) -> int:
        done = 0
        i = k
        while time.perf_counter() < stop:
            try:
                ws, _ready = await widget_open(target, tokens[i % len(tokens)], timeout=15)
                await ws.close()
                done += 1
            except (OSError, TimeoutError, ConnectionClosed, InvalidStatus) as exc:
                tally.failures[f"connect failed: {type(exc).__name__}"] += 1
                await asyncio.sleep(0.05)
            i += clients
        return done

    t0, cpu0 = time.perf_counter(), _cpu()
    counts = await asyncio.gather(*(loop(k) for k in range(clients)))
    tally.add(sum(counts), time.perf_counter() - t0, _cpu() - cpu0)


async def compare(
    targets: dict[str, Target],
    tokens: list[str],
    *,
    pingers: int,
    connectors: int,
    window_s: float,
    rounds: int,
    server_cpu: dict[str, Callable[[], float]],
) -> dict[str, dict[str, Tally]]:
    """{server: {"msgs": Tally, "connects": Tally}}, windows alternating between the servers."""
    tallies = {name: {"msgs": Tally(), "connects": Tally()} for name in targets}
    sockets: dict[str, list[ClientConnection]] = {}
    try:
        for name, target in targets.items():
            sockets[name] = await open_pingers(target, tokens[:pingers])
        order = list(targets)
        for r in range(rounds):
            for name in order if r % 2 == 0 else order[::-1]:
                cpu0 = server_cpu[name]()
                await pingpong_window(targets[name], tokens, sockets[name], window_s, tallies[name]["msgs"])
                tallies[name]["msgs"].server_cpu_s += server_cpu[name]() - cpu0
        for name in targets:  # the pingers' sockets close before the connect test
            await close_all(sockets.pop(name))
        for r in range(rounds):
            for name in order if r % 2 == 0 else order[::-1]:
                cpu0 = server_cpu[name]()
                await connect_window(targets[name], tokens, connectors, window_s, tallies[name]["connects"])
                tallies[name]["connects"].server_cpu_s += server_cpu[name]() - cpu0
    finally:
        for group in sockets.values():
            await close_all(group)
    return tallies
