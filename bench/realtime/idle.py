"""What idle sockets cost: 1,000 widget sockets after ``hello``, then the server's CPU over a quiet window.

The server's CPU time (user + system, all threads) comes from /proc/<pid>/stat before and after
the window; as a share of one core, scaled to 1,000 sockets. The clients send nothing in the
window and no pings of their own, like browsers; they answer the server's keepalive pings.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection
from websockets.protocol import State

from bench.env import progress
from bench.realtime.clients import Target, close_all, widget_open
from bench.realtime.servers import AsgiServer

OPEN_CONCURRENCY = 40


@dataclass
class IdleResult:
    opened: int
    failed: int
    open_s: float
    window_s: float
    cpu_s: float
    alive_after: int
    rss_before_mb: float
    rss_after_mb: float

    @property
    def cpu_pct(self) -> float:
        return 100 * self.cpu_s / self.window_s

    @property
    def pct_per_1000(self) -> float:
        return self.cpu_pct * 1000 / max(1, self.opened)


async def run_idle(
    target: Target, tokens: list[str], server: AsgiServer, *, idle_s: float, settle_s: float
) -> IdleResult:
    sockets: list[ClientConnection] = []
    failed = 0
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)
    rss_before = server.rss_mb()

    async def one(token: str) -> ClientConnection:
        async with gate:
            ws, _ready = await widget_open(target, token)
            return ws

    try:
        t0 = time.perf_counter()
        opened = await asyncio.gather(*(one(token) for token in tokens), return_exceptions=True)
        sockets = [o for o in opened if isinstance(o, ClientConnection)]
        errors = [o for o in opened if not isinstance(o, ClientConnection)]
        failed = len(errors)
        open_s = time.perf_counter() - t0
        progress(
            f"{len(sockets)} widget sockets open after hello in {open_s:.1f}s ({len(sockets) / open_s:.0f}/s)"
            + (f"; {failed} failed, e.g. {errors[0]!r}" if errors else "")
        )
        await asyncio.sleep(settle_s)
        progress(f"idle window of {idle_s:.0f}s starts ({sum(ws.state is State.OPEN for ws in sockets)} sockets open)")
        cpu0, w0 = server.cpu_seconds(), time.perf_counter()
        await asyncio.sleep(idle_s)
        cpu1, w1 = server.cpu_seconds(), time.perf_counter()
        alive = sum(ws.state is State.OPEN for ws in sockets)
        rss_after = server.rss_mb()
    finally:
        await close_all(sockets)
    return IdleResult(
        opened=len(sockets),
        failed=failed,
        open_s=open_s,
        window_s=w1 - w0,
        cpu_s=cpu1 - cpu0,
        alive_after=alive,
        rss_before_mb=rss_before,
        rss_after_mb=rss_after,
    )
