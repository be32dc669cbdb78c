"""Signed visitor tokens: "visitor V of widget channel C of this tenant", kept in the browser.

A visitor is anonymous until they give a name or phone; the token is their only key, so it is
signed with the site secret and salted with the tenant's schema (worthless on another tenant)
and the channel is inside it (worthless on another widget). It lasts 180 days, like a shop's
"remember me".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core import signing

from callcenter.core.tenancy import current_schema
from channels_app.models import Channel

TOKEN_MAX_AGE_S = 180 * 24 * 3600
MAX_TOKEN_CHARS = 400


@dataclass(frozen=True)
class Visitor:
    channel: Channel
    visitor_id: str

    @property
    def key(self) -> str:
        """What rate limits and logs call this visitor."""
        return f"visitor:{self.channel.pk}:{self.visitor_id}"


def _salt() -> str:
    return f"widget-visitor:{current_schema()}"


def visitor_token_issue(*, channel: Channel) -> tuple[str, str]:
    """A new visitor id and its token."""
    visitor_id = secrets.token_urlsafe(16)
    return visitor_id, signing.dumps({"c": channel.pk, "v": visitor_id}, salt=_salt())


def visitor_token_read(token: object, *, channel: Channel) -> Visitor | None:
    """The visitor behind ``token`` if it was issued for ``channel`` of this tenant and is not too old."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        data = signing.loads(token, salt=_salt(), max_age=TOKEN_MAX_AGE_S)
    except signing.BadSignature:  # also expiry
        return None
    if not isinstance(data, dict) or data.get("c") != channel.pk or not isinstance(data.get("v"), str):
        return None
    return Visitor(channel=channel, visitor_id=data["v"])
