"""DRF authentication for a channel's backend: ``Authorization: Bearer chk_...``.

Keys live in the tenant's own schema, so a key is only ever looked up on its tenant's host:
tenant A's key presented on tenant B's host finds nothing there and is refused.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from callcenter.core.tenancy import current_tenant, tenant_key
from channels_app.models import Channel, ChannelApiKey, ChannelKind
from channels_app.services.keys import channel_api_key_authenticate


class ChannelPrincipal:
    """``request.user`` for a request made with a channel key."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, channel: Channel, key: ChannelApiKey, tenant_id: int) -> None:
        self.channel = channel
        self.key = key
        # What rate limits count by. Channel ids repeat in every schema, so the tenant is part of it.
        self.pk = tenant_key(tenant_id, f"channel-{channel.pk}")
        self.id = self.pk

    def get_username(self) -> str:
        return f"channel:{self.channel.pk}/{self.key.prefix}"

    def __str__(self) -> str:
        return self.get_username()


class ChannelKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[ChannelPrincipal, ChannelApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Send exactly: Authorization: Bearer <token>."))
        tenant = current_tenant()
        if tenant is None:  # channels live in tenant schemas only
            raise AuthenticationFailed(_("Invalid or revoked token."))
        key = channel_api_key_authenticate(raw=parts[1].decode("latin1"))
        if key is None:
            raise AuthenticationFailed(_("Invalid or revoked token."))
        return ChannelPrincipal(key.channel, key, tenant.pk), key

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"


class ChannelKeyScheme(OpenApiAuthenticationExtension):
    """How /api/schema/ describes ChannelKeyAuthentication."""

    target_class = "channels_app.authentication.ChannelKeyAuthentication"
    name = "channelKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A channel API key: Bearer chk_..."}


def channel_of(request: Request) -> Channel | None:
    user = getattr(request, "user", None)
    return user.channel if isinstance(user, ChannelPrincipal) else None


class IsAppChannel(BasePermission):
    """A request made with a live key of one of the tenant's APP channels (its shop backend)."""

    message = _("This API takes a key of an APP channel.")

    def has_permission(self, request: Request, view: Any) -> bool:
        channel = channel_of(request)
        return channel is not None and channel.kind == ChannelKind.APP
