"""A thin client of WeChat's server API: access tokens, customer-service messages, media, OAuth2.

Plain HTTP through the standard library, with the base URLs from settings (``WECHAT_API_BASE``,
``WECHAT_OPEN_BASE``) so tests point them at a local fake server. Every failure is a
``WeChatApiError``: ``retryable`` says whether trying again later can help (network, HTTP 5xx,
-1 "system busy", quotas, an access token WeChat no longer accepts), ``token_invalid`` whether
a fresh access token should be fetched first. Anything else (45015: the 48-hour reply window
has closed, 40003: not an openid of this app, 48001: no permission...) is permanent.

This module knows nothing of tenants or caches: ``channels_app.adapters.wechat.tokens`` keeps
the access token, and callers decide what an error means to them. Secrets and tokens are never
logged; WeChat puts them in the query string, so only paths are.
"""

from __future__ import annotations

import http.client
import json
import secrets
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import structlog
from django.conf import settings

log = structlog.get_logger(__name__)

CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 10.0
MAX_JSON_BYTES = 1024 * 1024
# WeChat's temporary media: images up to 10 MB, voice 2 MB, video 10 MB.
MAX_MEDIA_BYTES = 20 * 1024 * 1024

# The access token was replaced, expired or is not one: fetch a new one and try once more.
TOKEN_INVALID = frozenset({40001, 40014, 42001})
# Worth trying again later: system busy, the daily and per-minute API quotas.
RETRYABLE = frozenset({-1, 45009, 45011}) | TOKEN_INVALID
# What operators see next to the errcode (WeChat's own errmsg follows it).
HINTS = {
    -1: "system busy",
    40001: "access token invalid",
    40003: "not an openid of this app",
    40007: "invalid media_id",
    40013: "invalid AppID",
    40014: "access token invalid",
    40029: "invalid OAuth code",
    40125: "invalid AppSecret",
    40163: "OAuth code already used",
    40164: "server IP address not on the app's allow list",
    42001: "access token expired",
    43004: "the user has not followed the account",
    45002: "content too long",
    45009: "daily API quota reached",
    45011: "API called too often",
    45015: "reply window of 48 hours closed",
    45047: "too many replies since the user's last message",
    48001: "no permission for this API",
}


class WeChatApiError(Exception):
    """WeChat refused or could not be reached. ``errcode`` is None for network and HTTP errors."""

    def __init__(
        self,
        message: str,
        *,
        errcode: int | None = None,
        errmsg: str = "",
        retryable: bool = False,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.errcode = errcode
        self.errmsg = errmsg
        self.retryable = retryable
        self.http_status = http_status

    @property
    def token_invalid(self) -> bool:
        return self.errcode in TOKEN_INVALID

    @classmethod
    def from_errcode(cls, errcode: int, errmsg: str) -> WeChatApiError:
        hint = HINTS.get(errcode)
        label = f"WeChat errcode {errcode}" + (f" ({hint})" if hint else "")
        return cls(f"{label}: {errmsg}", errcode=errcode, errmsg=errmsg, retryable=errcode in RETRYABLE)


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int


@dataclass(frozen=True)
class Media:
    content: bytes
    content_type: str


@dataclass(frozen=True)
class OAuthToken:
    """What an OAuth2 code is worth: the user's openid, and for snsapi_userinfo a token to ask more."""

    access_token: str
    openid: str
    scope: str
    unionid: str
    expires_in: int


@dataclass(frozen=True)
class _Response:
    status: int
    content_type: str
    body: bytes


def _connection(base: str) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WeChatApiError(f"WECHAT_API_BASE is not an http(s) URL: {base!r}")
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=CONNECT_TIMEOUT_S, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=CONNECT_TIMEOUT_S)
    return conn, parts.path.rstrip("/")


def _request(
    method: str,
    path: str,
    query: dict[str, str],
    *,
    body: bytes | None = None,
    content_type: str = "",
    max_bytes: int = MAX_JSON_BYTES,
) -> _Response:
    """One HTTP exchange: 3 s to connect, 10 s for each read; network trouble is retryable."""
    conn, prefix = _connection(settings.WECHAT_API_BASE)
    target = f"{prefix}{path}?{urlencode(query)}"
    headers = {"Accept": "application/json", "User-Agent": "callcenter-wechat/1"}
    if body is not None:
        headers["Content-Type"] = content_type
    try:
        conn.connect()
        if conn.sock is not None:
            conn.sock.settimeout(READ_TIMEOUT_S)
        conn.request(method, target, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read(max_bytes + 1)
        status, got_type = response.status, response.getheader("Content-Type", "")
    except (OSError, http.client.HTTPException) as exc:  # timeouts are OSErrors
        log.info("wechat_api.unreachable", path=path, error=type(exc).__name__)
        raise WeChatApiError(f"WeChat unreachable: {type(exc).__name__}", retryable=True) from exc
    finally:
        conn.close()
    if len(data) > max_bytes:
        raise WeChatApiError("WeChat's answer is too large", retryable=False, http_status=status)
    if status >= 500 or status in (408, 429):
        log.info("wechat_api.http_error", path=path, status=status)
        raise WeChatApiError(f"WeChat answered HTTP {status}", retryable=True, http_status=status)
    if status != 200:
        log.info("wechat_api.http_error", path=path, status=status)
        raise WeChatApiError(f"WeChat answered HTTP {status}", retryable=False, http_status=status)
    return _Response(status=status, content_type=got_type.split(";")[0].strip().lower(), body=data)


def _json_of(response: _Response, path: str) -> dict[str, Any]:
    """The JSON object WeChat answered, or the error its ``errcode`` names."""
    try:
        data = json.loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        # A proxy's error page or a cut answer: nothing says WeChat refused, so try again later.
        raise WeChatApiError("WeChat's answer is not JSON", retryable=True, http_status=response.status) from exc
    if not isinstance(data, dict):
        raise WeChatApiError("WeChat's answer is not a JSON object", retryable=True, http_status=response.status)
    errcode = data.get("errcode", 0)
    if errcode not in (0, None, "0"):
        try:
            code = int(errcode)
        except (TypeError, ValueError):
            code = -1
        error = WeChatApiError.from_errcode(code, str(data.get("errmsg", ""))[:200])
        log.info("wechat_api.refused", path=path, errcode=code, retryable=error.retryable)
        raise error
    return data


def _call(method: str, path: str, query: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    return _json_of(_request(method, path, query, **kwargs), path)


def _text(data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value:
        raise WeChatApiError(f"WeChat's answer has no {field}", retryable=True)
    return value


def _int(data: dict[str, Any], field: str, default: int) -> int:
    try:
        return int(data.get(field, default))
    except (TypeError, ValueError):
        return default


def json_body(payload: dict[str, Any]) -> bytes:
    """WeChat wants raw UTF-8: ``\\u4f60`` escapes would be shown to the customer as they are."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- the API --------------------------------------------------------------------------------


def access_token_fetch(*, app_id: str, app_secret: str) -> AccessToken:
    """A new access token (each one replaces the last; the old one keeps working for 5 minutes)."""
    data = _call("GET", "/cgi-bin/token", {"grant_type": "client_credential", "appid": app_id, "secret": app_secret})
    return AccessToken(token=_text(data, "access_token"), expires_in=_int(data, "expires_in", 7200))


def custom_message_send(*, access_token: str, message: dict[str, Any]) -> None:
    """A customer-service message: ``{"touser", "msgtype", "text"|"image"...}``."""
    _call(
        "POST",
        "/cgi-bin/message/custom/send",
        {"access_token": access_token},
        body=json_body(message),
        content_type="application/json; charset=utf-8",
    )


def text_message(openid: str, content: str) -> dict[str, Any]:
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


def image_message(openid: str, media_id: str) -> dict[str, Any]:
    return {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}}


def media_upload(*, access_token: str, media_type: str, filename: str, content: bytes, content_type: str) -> str:
    """Upload temporary media (kept 3 days by WeChat); returns its media_id."""
    boundary = "----callcenter" + secrets.token_hex(12)
    safe_name = quote(filename, safe="._-") or "file"
    body = b"".join(
        [
            f"--{boundary}\r\n".encode(),
            f'Content-Disposition: form-data; name="media"; filename="{safe_name}"\r\n'.encode(),
            f"Content-Type: {content_type}\r\n\r\n".encode(),
            content,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    data = _call(
        "POST",
        "/cgi-bin/media/upload",
        {"access_token": access_token, "type": media_type},
        body=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    return _text(data, "media_id")


def media_download(*, access_token: str, media_id: str) -> Media:
    """The bytes of temporary media (a customer's voice or image message)."""
    path = "/cgi-bin/media/get"
    response = _request("GET", path, {"access_token": access_token, "media_id": media_id}, max_bytes=MAX_MEDIA_BYTES)
    # Errors come back as JSON (sometimes labelled text/plain); media never does.
    if response.content_type in ("application/json", "text/plain", "text/json", ""):
        data = _json_of(response, path)
        raise WeChatApiError(f"WeChat answered JSON, not media: {sorted(data)[:5]}", retryable=False)
    return Media(content=response.body, content_type=response.content_type)


def oauth_code_exchange(*, app_id: str, app_secret: str, code: str) -> OAuthToken:
    data = _call(
        "GET",
        "/sns/oauth2/access_token",
        {"appid": app_id, "secret": app_secret, "code": code, "grant_type": "authorization_code"},
    )
    unionid = data.get("unionid")
    return OAuthToken(
        access_token=_text(data, "access_token"),
        openid=_text(data, "openid"),
        scope=str(data.get("scope", "")),
        unionid=unionid if isinstance(unionid, str) else "",
        expires_in=_int(data, "expires_in", 7200),
    )


def oauth_userinfo(*, access_token: str, openid: str) -> dict[str, Any]:
    """The user's profile for an snsapi_userinfo token: nickname, headimgurl, unionid (if bound)."""
    return _call("GET", "/sns/userinfo", {"access_token": access_token, "openid": openid, "lang": "zh_CN"})


def oauth_authorize_url(*, app_id: str, redirect_uri: str, scope: str, state: str) -> str:
    """The page WeChat shows the user; the parameters must be in this order, then #wechat_redirect."""
    query = urlencode(
        [
            ("appid", app_id),
            ("redirect_uri", redirect_uri),
            ("response_type", "code"),
            ("scope", scope),
            ("state", state),
        ]
    )
    return f"{settings.WECHAT_OPEN_BASE.rstrip('/')}/connect/oauth2/authorize?{query}#wechat_redirect"
