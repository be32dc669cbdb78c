"""Links an agent sends so a customer opens their ticket in the portal, or in the shop's APP (M19).

``portal_ticket_link`` makes ``/portal/l/<token>/``: the token is signed with the server's secret,
salted with the tenant's schema (a link of one tenant means nothing on another), and names the
ticket, its customer and an expiry. The link is not a sign-in: whoever opens it still signs in,
and only the ticket's customer is let through.

``app_deep_link`` wraps that link into the shop's APP deep link, from the APP channel's
setting ``portal_deep_link_template`` (e.g. ``myshop://service?url={url}``): the absolute portal
URL, percent-encoded, replaces ``{url}``. A template of any other shape is ignored (None).

``portal_ticket_link_issue`` is what the staff API calls: both links, the expiry, and a line
in the ticket's history.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from callcenter.core.tenancy import current_schema, require_tenant
from channels_app.models import Channel, ChannelKind
from tenants.selectors import tenant_primary_url
from tickets.models import Ticket
from tickets.services.history import history_record

DEFAULT_TTL_S = 7 * 24 * 3600
MAX_TOKEN_CHARS = 500
DEEP_LINK_CONFIG = "portal_deep_link_template"
MAX_TEMPLATE_CHARS = 500
# A scheme, then anything without spaces, quotes, angle brackets or braces, and {url} exactly once.
_TEMPLATE = re.compile(r"^[a-z][a-z0-9+.-]{1,31}:[^\s\"'<>{}]*\{url\}[^\s\"'<>{}]*\Z")
# Schemes that would run code or read local files wherever the link is opened.
_REFUSED_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about"})


def _salt() -> str:
    return f"portal-link:{current_schema()}"


def _link_path(ticket: Ticket, expires_at: int) -> str:
    token = signing.dumps({"t": ticket.pk, "c": ticket.customer_id, "e": expires_at}, salt=_salt())
    return reverse("portal:link", args=[token])


def portal_ticket_link(*, ticket: Ticket, ttl_s: int = DEFAULT_TTL_S) -> str:
    """The path (``/portal/l/<token>/``) that opens ``ticket`` in the portal until ``ttl_s`` from now."""
    return _link_path(ticket, int(time.time()) + ttl_s)


@dataclass(frozen=True)
class LinkTarget:
    ticket_id: int
    customer_id: int
    expired: bool


def portal_link_read(token: str) -> LinkTarget | None:
    """What a link names, or None when it was not made by this tenant or was altered."""
    if len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        data = signing.loads(token, salt=_salt())
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(key), int) for key in ("t", "c", "e")):
        return None
    return LinkTarget(ticket_id=data["t"], customer_id=data["c"], expired=data["e"] < time.time())


def deep_link_template_error(template: object) -> str | None:
    """Why ``template`` cannot be a deep-link template, or None when it can (for config validation)."""
    if not isinstance(template, str) or len(template) > MAX_TEMPLATE_CHARS:
        return _("Write the template as text of at most %(max)d characters.") % {"max": MAX_TEMPLATE_CHARS}
    if not _TEMPLATE.match(template) or template.count("{url}") != 1:
        return _(
            "Write it like myshop://service?url={url}: a scheme, no spaces, quotes or other braces, and {url} once."
        )
    if template.split(":", 1)[0] in _REFUSED_SCHEMES:
        return _("This link scheme is not allowed.")
    return None


def _deep_link_template(channel: Channel) -> str | None:
    config = channel.config if isinstance(channel.config, dict) else {}
    template = config.get(DEEP_LINK_CONFIG)
    if channel.kind != ChannelKind.APP or not channel.is_active or deep_link_template_error(template) is not None:
        return None
    assert isinstance(template, str)  # checked above
    return template


def _absolute(path: str) -> str:
    return tenant_primary_url(require_tenant()) + path.lstrip("/")


def app_deep_link(*, url: str, channel: Channel) -> str | None:
    """The APP deep link that opens the absolute ``url``, or None when the channel has no usable template."""
    template = _deep_link_template(channel)
    return None if template is None else template.replace("{url}", quote(url, safe=""))


@dataclass(frozen=True)
class IssuedLink:
    url: str
    app_link: str | None
    expires_at: int  # Unix seconds


def portal_ticket_link_issue(*, ticket: Ticket, actor: Any, ttl_s: int = DEFAULT_TTL_S) -> IssuedLink:
    """A link for an agent to send: absolute, wrapped for the APP when an APP channel has a
    template (the oldest such channel), and noted in the ticket's history without its token."""
    expires_at = int(time.time()) + ttl_s
    url = _absolute(_link_path(ticket, expires_at))
    app_link = None
    for channel in Channel.objects.filter(kind=ChannelKind.APP, is_active=True).order_by("id"):
        app_link = app_deep_link(url=url, channel=channel)
        if app_link is not None:
            break
    history_record(ticket, actor, "portal_link_sent", new={"expires_at": expires_at, "app": app_link is not None})
    return IssuedLink(url=url, app_link=app_link, expires_at=expires_at)
