"""A stand-in for WeChat's server API: a real HTTP server on 127.0.0.1, with its state in memory.

It answers as WeChat documents: HTTP 200 with ``{"errcode", "errmsg"}`` for errors, access tokens
that expire and that a test can invalidate (the next call with one answers 40001), customer
service messages recorded as sent (text over 2048 bytes refused with 45002, as WeChat does),
temporary media, and the OAuth2 code exchange (each code good once) and userinfo. A test can
script the next answers of any endpoint to fail: an errcode (45015, -1...) or an HTTP status.

    with FakeWeChatApi.running() as api:
        settings.WECHAT_API_BASE = api.url
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels_app.tests.fake_wechat import APP_ID

APP_SECRET = "s3cret"
TEXT_LIMIT_BYTES = 2048
SEND_PATH = "/cgi-bin/message/custom/send"


@dataclass
class Fault:
    errcode: int | None = None
    errmsg: str = "scripted failure"
    http_status: int | None = None


@dataclass
class OAuthGrant:
    openid: str
    scope: str = "snsapi_base"
    unionid: str = ""
    nickname: str = ""
    app_id: str = APP_ID


@dataclass
class FakeWeChatApi:
    apps: dict[str, str] = field(default_factory=lambda: {APP_ID: APP_SECRET})
    expires_in: int = 7200
    token_delay_s: float = 0.0
    url: str = ""
    # What happened, for assertions.
    token_requests: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    raw_sent: list[bytes] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    # State.
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    grants: dict[str, OAuthGrant] = field(default_factory=dict)
    oauth_tokens: dict[str, OAuthGrant] = field(default_factory=dict)
    faults: dict[str, list[Fault | None]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- knobs ---------------------------------------------------------------------------

    def invalidate_tokens(self) -> None:
        """Every token issued so far is refused with 40001 from now on (as after a refresh elsewhere)."""
        with self.lock:
            self.tokens.clear()

    def fail_next(
        self,
        path: str = SEND_PATH,
        *,
        errcode: int | None = None,
        http_status: int | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """The next ``times`` calls of ``path`` fail (after ``after`` calls that are answered normally)."""
        with self.lock:
            self.faults.setdefault(path, []).extend(
                [None] * after + [Fault(errcode=errcode, http_status=http_status) for _ in range(times)]
            )

    def grant(self, code: str, openid: str, **fields: Any) -> None:
        """An OAuth2 code WeChat would hand the browser after the user agreed."""
        with self.lock:
            self.grants[code] = OAuthGrant(openid=openid, **fields)

    def add_media(self, media_id: str, content: bytes, content_type: str) -> None:
        with self.lock:
            self.media[media_id] = (content, content_type)

    def calls(self, path: str) -> int:
        return sum(1 for _, p in self.requests if p == path)

    # --- the server ----------------------------------------------------------------------

    @classmethod
    @contextmanager
    def running(cls, **options: Any) -> Iterator[FakeWeChatApi]:
        api = cls(**options)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.api = api  # type: ignore[attr-defined]
        api.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield api
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        with self.lock:
            self.requests.append((method, path))
            faults = self.faults.get(path)
            fault = faults.pop(0) if faults else None
        if fault is not None:
            if fault.http_status:
                return fault.http_status, "text/html", b"<html>upstream error</html>"
            return _json({"errcode": fault.errcode, "errmsg": fault.errmsg})
        routes = {
            ("GET", "/cgi-bin/token"): self._token,
            ("POST", SEND_PATH): self._send,
            ("POST", "/cgi-bin/media/upload"): self._upload,
            ("GET", "/cgi-bin/media/get"): self._media_get,
            ("GET", "/sns/oauth2/access_token"): self._oauth_exchange,
            ("GET", "/sns/userinfo"): self._userinfo,
        }
        route = routes.get((method, path))
        if route is None:
            return 404, "text/plain", b"not found"
        return route(query, body)

    def _token(self, query: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        app_id = query.get("appid", "")
        with self.lock:
            self.token_requests.append(app_id)
        if self.token_delay_s:
            time.sleep(self.token_delay_s)
        if query.get("grant_type") != "client_credential" or app_id not in self.apps:
            return _json({"errcode": 40013, "errmsg": "invalid appid"})
        if query.get("secret") != self.apps[app_id]:
            return _json({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = "TOKEN_" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = (app_id, time.monotonic() + self.expires_in)
        return _json({"access_token": token, "expires_in": self.expires_in})

    def _app_of(self, query: dict[str, str]) -> tuple[str | None, tuple[int, str, bytes] | None]:
        with self.lock:
            found = self.tokens.get(query.get("access_token", ""))
        if found is None:
            return None, _json(
                {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
            )
        app_id, expires_at = found
        if time.monotonic() > expires_at:
            return None, _json({"errcode": 42001, "errmsg": "access_token expired"})
        return app_id, None

    def _send(self, query: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        app_id, error = self._app_of(query)
        if error is not None:
            return error
        message = json.loads(body.decode("utf-8"))
        if message.get("msgtype") == "text" and len(message["text"]["content"].encode()) > TEXT_LIMIT_BYTES:
            return _json({"errcode": 45002, "errmsg": "content size out of limit"})
        if message.get("msgtype") == "image" and message["image"]["media_id"] not in self.media:
            return _json({"errcode": 40007, "errmsg": "invalid media_id"})
        with self.lock:
            self.sent.append({**message, "app_id": app_id})
            self.raw_sent.append(body)
        return _json({"errcode": 0, "errmsg": "ok"})

    def _upload(self, query: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        _app_id, error = self._app_of(query)
        if error is not None:
            return error
        head, _, rest = body.partition(b"\r\n\r\n")
        content = rest.rsplit(b"\r\n--", 1)[0]
        content_type = ""
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-type:"):
                content_type = line.split(b":", 1)[1].strip().decode()
        if b'name="media"' not in head or not content:
            return _json({"errcode": 41005, "errmsg": "media data missing"})
        media_id = "MEDIA_" + secrets.token_hex(8)
        with self.lock:
            self.media[media_id] = (content, content_type)
            self.uploads.append({"type": query.get("type"), "content": content, "content_type": content_type})
        return _json({"type": query.get("type"), "media_id": media_id, "created_at": int(time.time())})

    def _media_get(self, query: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        _app_id, error = self._app_of(query)
        if error is not None:
            return error
        found = self.media.get(query.get("media_id", ""))
        if found is None:
            # WeChat labels this JSON error text/plain.
            status, _, payload = _json({"errcode": 40007, "errmsg": "invalid media_id"})
            return status, "text/plain", payload
        return 200, found[1], found[0]

    def _oauth_exchange(self, query: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        app_id = query.get("appid", "")
        if app_id not in self.apps or query.get("secret") != self.apps[app_id]:
            return _json({"errcode": 40125, "errmsg": "invalid appsecret"})
        with self.lock:
            grant = self.grants.pop(query.get("code", ""), None)  # a code is good once
        if grant is None or grant.app_id != app_id or query.get("grant_type") != "authorization_code":
            return _json({"errcode": 40029, "errmsg": "invalid code"})
        token = "OAUTH_" + secrets.token_urlsafe(16)
        with self.lock:
            self.oauth_tokens[token] = grant
        answer: dict[str, Any] = {
            "access_token": token,
            "expires_in": 7200,
            "refresh_token": "R_" + token,
            "openid": grant.openid,
            "scope": grant.scope,
        }
        if grant.unionid and grant.scope == "snsapi_userinfo":
            answer["unionid"] = grant.unionid
        return _json(answer)

    def _userinfo(self, query: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        grant = self.oauth_tokens.get(query.get("access_token", ""))
        if grant is None:
            return _json({"errcode": 40001, "errmsg": "invalid credential"})
        if grant.scope != "snsapi_userinfo":
            return _json({"errcode": 48001, "errmsg": "api unauthorized"})
        if query.get("openid") != grant.openid:
            return _json({"errcode": 40003, "errmsg": "invalid openid"})
        info: dict[str, Any] = {
            "openid": grant.openid,
            "nickname": grant.nickname,
            "sex": 0,
            "province": "",
            "city": "",
            "country": "",
            "headimgurl": "",
            "privilege": [],
        }
        if grant.unionid:
            info["unionid"] = grant.unionid
        return _json(info)


def _json(data: dict[str, Any]) -> tuple[int, str, bytes]:
    return 200, "application/json; encoding=utf-8", json.dumps(data, ensure_ascii=False).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        api: FakeWeChatApi = self.server.api  # type: ignore[attr-defined]
        status, content_type, payload = api.handle(method, parts.path, query, body)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet
