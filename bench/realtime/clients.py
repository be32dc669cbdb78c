"""Socket and HTTP clients of the server under test: widget visitors, agents, the agents' REST API.

Connections go to 127.0.0.1:<port> and name the tenant in the Host header
(``benchchat.<BASE_DOMAIN>:<port>``); the Origin is the tenant's own host, as for a widget on
the tenant's page. Like a browser, the clients offer permessage-deflate and send no pings of
their own (they do answer the server's).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import math
import socket
import time
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

LOOPBACK = "127.0.0.1"


class ProtocolError(Exception):
    """The server answered something the benchmark did not expect (an error frame, a close)."""


@dataclass(frozen=True)
class Target:
    port: int
    hostname: str
    channel_id: int

    @property
    def host_header(self) -> str:
        return f"{self.hostname}:{self.port}"

    @property
    def origin(self) -> str:
        return f"http://{self.host_header}"

    def uri(self, path: str) -> str:
        return f"ws://{self.host_header}{path}"

    @property
    def widget_path(self) -> str:
        return f"/ws/widget/?channel={self.channel_id}"


async def open_socket(
    target: Target,
    path: str,
    *,
    cookie: str | None = None,
    rcvbuf: int | None = None,
    max_queue: int = 16,
    open_timeout: float = 15.0,
) -> ClientConnection:
    """A WebSocket to the server; ``rcvbuf`` shrinks the kernel's receive buffer (a slow reader)."""
    options: dict[str, Any] = {
        "origin": Origin(target.origin),
        "proxy": None,
        "ping_interval": None,
        "open_timeout": open_timeout,
        "close_timeout": 5,
        "max_queue": max_queue,
        "user_agent_header": "callcenter-bench",
    }
    if cookie:
        options["additional_headers"] = {"Cookie": cookie}
    if rcvbuf is None:
        return await connect(target.uri(path), host=LOOPBACK, port=target.port, **options)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before connecting: no autotuning
    sock.setblocking(False)
    try:
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (LOOPBACK, target.port)), open_timeout)
    except BaseException:
        sock.close()
        raise
    return await connect(target.uri(path), sock=sock, **options)


def negotiated_extensions(ws: ClientConnection) -> str:
    response = ws.response
    return (response.headers.get("Sec-WebSocket-Extensions") if response else None) or "none"


async def recv_json(ws: ClientConnection, timeout: float) -> dict[str, Any]:
    raw = await asyncio.wait_for(ws.recv(), timeout)
    frame = json.loads(raw)
    if not isinstance(frame, dict):
        raise ProtocolError(f"not a JSON object: {str(raw)[:200]}")
    return frame


async def expect(ws: ClientConnection, types: set[str], timeout: float) -> dict[str, Any]:
    """The next frame of one of ``types``, skipping events; an error frame raises."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no {sorted(types)} frame within {timeout:.0f}s")
        frame = await recv_json(ws, remaining)
        if frame.get("type") in types:
            return frame
        if frame.get("type") == "error":
            raise ProtocolError(f"error frame while waiting for {sorted(types)}: {frame}")


async def widget_open(
    target: Target, token: str, *, since: int | None = None, timeout: float = 15.0, **options: Any
) -> tuple[ClientConnection, dict[str, Any]]:
    """A visitor's socket after ``hello`` was accepted: (socket, the ``ready`` payload)."""
    ws = await open_socket(target, target.widget_path, open_timeout=timeout, **options)
    try:
        hello: dict[str, Any] = {"type": "hello", "token": token}
        if since is not None:
            hello["since"] = since
        await ws.send(json.dumps(hello))
        ready = await expect(ws, {"ready"}, timeout)
    except BaseException:
        ws.transport.abort()
        raise
    return ws, ready["payload"]


async def close_all(sockets: list[ClientConnection], timeout: float = 20.0) -> None:
    """Close handshakes for all, then abort whatever has not closed in time."""
    if not sockets:
        return
    try:
        await asyncio.wait_for(asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True), timeout)
    except TimeoutError:
        pass
    for ws in sockets:
        ws.transport.abort()


def http_get_json(target: Target, path: str, cookie: str, timeout: float = 10.0) -> tuple[int, Any]:
    """GET on the tenant's host with the agent's session cookie (blocking: run it in a thread)."""
    conn = http.client.HTTPConnection(LOOPBACK, target.port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": target.host_header, "Cookie": cookie, "Accept": "application/json"})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = body[:200].decode(errors="replace")
    return response.status, data


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 4,000 samples is the 3,960th smallest)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]
