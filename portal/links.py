"""Links an agent sends so a customer opens their ticket in the portal, or in the shop's APP (M19).

``portal_ticket_link`` makes ``/portal/l/<token>/``: the token is signed with the server's secret,
salted with the tenant's schema (a link of one tenant means nothing on another), and names the
ticket, its customer and an expiry. The link is not a sign-in: whoever opens it still signs in,
and only the ticket's customer is let through.

``portal_ticket_app_link`` wraps that link into the shop's APP deep link, from the APP channel's
setting ``portal_deep_link_template`` (e.g. ``myshop://service?url={url}``): the absolute portal
URL, percent-encoded, replaces ``{url}``. A template of any other shape is ignored (None).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import quote

from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from callcenter.core.tenancy import current_schema, require_tenant
from channels_app.models import Channel, ChannelKind
from tenants.selectors import tenant_primary_url
from tickets.models import Ticket

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


def portal_ticket_link(*, ticket: Ticket, ttl_s: int = DEFAULT_TTL_S) -> str:
    """The path (``/portal/l/<token>/``) that opens ``ticket`` in the portal until ``ttl_s`` from now."""
    token = signing.dumps({"t": ticket.pk, "c": ticket.customer_id, "e": int(time.time()) + ttl_s}, salt=_salt())
    return reverse("portal:link", args=[token])


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


def portal_ticket_app_link(*, ticket: Ticket, channel: Channel) -> str | None:
    """The APP deep link that opens ``ticket``'s portal link, or None when the channel has no usable template."""
    config = channel.config if isinstance(channel.config, dict) else {}
    template = config.get(DEEP_LINK_CONFIG)
    if channel.kind != ChannelKind.APP or not channel.is_active or deep_link_template_error(template) is not None:
        return None
    assert isinstance(template, str)  # checked above
    url = tenant_primary_url(require_tenant()) + portal_ticket_link(ticket=ticket).lstrip("/")
    return template.replace("{url}", quote(url, safe=""))
