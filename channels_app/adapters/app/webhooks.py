"""The APP channel's webhook: settings, signatures, and the outbox sender that POSTs one delivery.

``Channel.config`` of an APP channel may hold ``webhook_url`` and ``webhook_secret``. Every
delivery is a JSON POST signed with HMAC-SHA256 over ``f"{timestamp}.{body}"``; the shop checks
it with ``webhook_signature_verify`` (or the recipe in docs/channels.md) and drops repeats by
``X-CC-Delivery``, which stays the same across retries of one delivery.

Only the standard library is used. Redirects are never followed, and unless
``settings.APP_WEBHOOK_ALLOW_PRIVATE`` is on, a URL whose host resolves to a private, loopback,
link-local or otherwise non-public address is refused, and the connection goes to the address
that was checked (no second DNS lookup a rebinding attacker could answer differently).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import structlog
from django.conf import settings
from django.utils.translation import gettext as _

from channels_app.models import Channel, OutboundDelivery
from channels_app.services.outbox import DeliveryFailed, DeliveryRetry

log = structlog.get_logger(__name__)

URL_KEY = "webhook_url"
SECRET_KEY = "webhook_secret"
MIN_SECRET_CHARS = 16
MAX_URL_CHARS = 2000
CONNECT_TIMEOUT_S = 3.0
TOTAL_TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 4096
SIGNATURE_TOLERANCE_S = 300
USER_AGENT = "callcenter-webhook/1"
RETRY_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret: str


# --- settings -------------------------------------------------------------------------------


def _http_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "APP_WEBHOOK_ALLOW_HTTP", False))


def _private_allowed() -> bool:
    return bool(getattr(settings, "APP_WEBHOOK_ALLOW_PRIVATE", False))


def address_is_public(address: str) -> bool:
    """A globally routable unicast address: not private, loopback, link-local, CGNAT, multicast..."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def webhook_url_problem(url: object) -> str | None:
    """Why ``url`` cannot be a webhook URL (a translated sentence), or None. No DNS lookup here."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_CHARS:
        return _("Enter the webhook URL as text, at most %(max)d characters.") % {"max": MAX_URL_CHARS}
    parts = urlsplit(url)
    if parts.scheme == "http" and not _http_allowed():
        return _("The webhook URL must start with https://.")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("The webhook URL must be an https:// address with a host name.")
    if parts.username is not None or parts.password is not None:
        return _("The webhook URL must not contain a user name or password.")
    try:
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError:
        return _("The webhook URL has an invalid port.")
    host = parts.hostname.rstrip(".").lower()
    if not _private_allowed():
        if host == "localhost" or host.endswith(".localhost"):
            return _("The webhook URL must point at a public address.")
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass  # a name: checked again, after resolving it, on every send
        else:
            if not address_is_public(host):
                return _("The webhook URL must point at a public address.")
    return None


def webhook_config_errors(config: dict[str, Any]) -> dict[str, str]:
    """Problems with an APP channel's webhook settings, by config key. No URL means no webhook: fine."""
    url, secret = config.get(URL_KEY), config.get(SECRET_KEY)
    if url in (None, ""):
        return {}
    errors: dict[str, str] = {}
    problem = webhook_url_problem(url)
    if problem:
        errors[URL_KEY] = problem
    if not isinstance(secret, str) or len(secret) < MIN_SECRET_CHARS:
        errors[SECRET_KEY] = _("Set a webhook secret of at least %(min)d characters.") % {"min": MIN_SECRET_CHARS}
    return errors


def webhook_config_of(channel: Channel) -> WebhookConfig | None:
    """The channel's webhook, or None when it has none (the APP then reads over REST and the socket)."""
    config = channel.config if isinstance(channel.config, dict) else {}
    url = config.get(URL_KEY)
    if not isinstance(url, str) or not url:
        return None
    secret = config.get(SECRET_KEY)
    return WebhookConfig(url=url, secret=secret if isinstance(secret, str) else "")


# --- signatures -----------------------------------------------------------------------------


def webhook_signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">`` keyed with the channel's webhook secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def webhook_signature_verify(
    secret: str,
    timestamp: int | str,
    body: bytes | str,
    header: str,
    tolerance_s: int = SIGNATURE_TOLERANCE_S,
    *,
    now: float | None = None,
) -> bool:
    """What a shop's receiver runs: the ``X-CC-Signature`` matches and ``X-CC-Timestamp`` is recent.

    ``body`` must be the raw request body, byte for byte, not re-serialized JSON.
    """
    try:
        sent_at = int(str(timestamp))
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance_s:
        return False
    if not secret or not isinstance(header, str) or not header.startswith("sha256="):
        return False
    raw = body.encode() if isinstance(body, str) else body
    return hmac.compare_digest(webhook_signature(secret, sent_at, raw), header)


# --- sending --------------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address checked beforehand; ``Host`` is still the URL's host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS: the certificate is checked against the URL's host name (SNI too)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DeliveryRetry(f"cannot resolve {host}: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise DeliveryRetry(f"cannot resolve {host}")
    if not _private_allowed():
        refused = [a for a in addresses if not address_is_public(a)]
        if refused:
            raise DeliveryFailed(f"{host} resolves to a non-public address ({refused[0]}); refused")
    return addresses


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST once; the HTTP status. Network trouble and timeouts raise DeliveryRetry."""
    problem = webhook_url_problem(url)
    if problem:
        raise DeliveryFailed(f"bad webhook_url: {problem}")
    parts = urlsplit(url)
    assert parts.hostname is not None  # webhook_url_problem checked it
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    address = _resolve(parts.hostname, port)[0]
    conn: http.client.HTTPConnection
    if secure:
        conn = _PinnedHTTPSConnection(
            parts.hostname, port, address=address, timeout=CONNECT_TIMEOUT_S, context=ssl.create_default_context()
        )
    else:
        conn = _PinnedHTTPConnection(parts.hostname, port, address=address, timeout=CONNECT_TIMEOUT_S)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    expired = threading.Event()

    def abort() -> None:  # the total deadline: unblocks a read stuck on a slow receiver
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    deadline = threading.Timer(TOTAL_TIMEOUT_S, abort)
    deadline.daemon = True
    deadline.start()
    too_slow = f"no complete answer within {TOTAL_TIMEOUT_S:g} s"
    try:
        try:
            conn.connect()
        except OSError as exc:  # refused, unreachable, no TCP or TLS handshake within CONNECT_TIMEOUT_S
            raise DeliveryRetry(f"cannot connect: {type(exc).__name__}: {exc}"[:300]) from exc
        conn.sock.settimeout(TOTAL_TIMEOUT_S)
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        if expired.is_set():
            raise DeliveryRetry(too_slow)
        return int(response.status)
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set() or isinstance(exc, TimeoutError):
            raise DeliveryRetry(too_slow) from exc
        raise DeliveryRetry(f"{type(exc).__name__}: {exc}"[:300]) from exc
    finally:
        deadline.cancel()
        conn.close()


def webhook_body(row: OutboundDelivery) -> bytes:
    return json.dumps(
        {"id": row.pk, "event": row.event, "data": row.payload}, ensure_ascii=False, separators=(",", ":")
    ).encode()


def app_webhook_send(row: OutboundDelivery) -> None:
    """The outbox sender for APP channels: returns when the shop answered 2xx."""
    config = webhook_config_of(row.channel)
    if config is None:
        raise DeliveryFailed("the channel has no webhook_url any more")
    if len(config.secret) < MIN_SECRET_CHARS:
        raise DeliveryFailed("the channel's webhook_secret is missing or too short")
    body = webhook_body(row)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-CC-Delivery": str(row.pk),
        "X-CC-Event": row.event,
        "X-CC-Timestamp": str(timestamp),
        "X-CC-Signature": webhook_signature(config.secret, timestamp, body),
    }
    status = _post(config.url, body, headers)
    log.info("app_webhook.answered", delivery=row.pk, status=status, attempts=row.attempts)
    if 200 <= status < 300:
        _message_delivered(row)
        return
    if 300 <= status < 400:
        raise DeliveryFailed(f"HTTP {status}: redirects are not followed; set the final URL")
    if status in RETRY_STATUSES or status >= 500:
        raise DeliveryRetry(f"HTTP {status}")
    if 400 <= status < 500:
        raise DeliveryFailed(f"HTTP {status}")
    raise DeliveryRetry(f"HTTP {status}")


def _message_delivered(row: OutboundDelivery) -> None:
    """The shop has the message: mark it delivered unless something (a read) already did."""
    if row.message_id is None:
        return
    from conversations.services import message_mark_delivered

    message_mark_delivered(message_id=row.message_id)
