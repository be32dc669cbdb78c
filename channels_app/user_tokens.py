"""Signed tokens for a shop's APP users: the shop backend asks for one, the APP uses it.

The token says "APP user U of channel C", signed with the site secret and salted with the
tenant's schema, so a token of one tenant is worthless on another. It expires by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from callcenter.core.tenancy import current_schema, tenant_key
from channels_app.models import Channel, ChannelKind

TOKEN_MAX_AGE_S = 24 * 3600
KEYWORD = b"appuser"


def _salt() -> str:
    return f"app-user-token:{current_schema()}"


def app_user_token_issue(*, channel: Channel, app_user_id: str) -> str:
    return signing.dumps({"c": channel.pk, "u": app_user_id}, salt=_salt(), compress=True)


@dataclass
class AppUserPrincipal:
    channel: Channel
    app_user_id: str
    is_authenticated: bool = True
    is_anonymous: bool = False

    @property
    def pk(self) -> str:  # what rate limits count by
        return tenant_key(self.channel.pk, "app-user", self.app_user_id)

    def get_username(self) -> str:
        return f"app-user:{self.app_user_id}"


def app_user_token_read(token: str) -> AppUserPrincipal | None:
    try:
        data = signing.loads(token, salt=_salt(), max_age=TOKEN_MAX_AGE_S)
    except signing.BadSignature:  # also covers expiry
        return None
    channel = Channel.objects.filter(pk=data.get("c"), kind=ChannelKind.APP, is_active=True).first()
    if channel is None or not isinstance(data.get("u"), str):
        return None
    return AppUserPrincipal(channel=channel, app_user_id=data["u"])


class AppUserTokenAuthentication(BaseAuthentication):
    """``Authorization: AppUser <token>``."""

    def authenticate(self, request: Request) -> tuple[AppUserPrincipal, str] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2 or len(parts[1]) > 1000:
            raise AuthenticationFailed(_("Send exactly: Authorization: AppUser <token>."))
        token = parts[1].decode("latin1")
        principal = app_user_token_read(token)
        if principal is None:
            raise AuthenticationFailed(_("Invalid or expired APP user token."))
        return principal, token

    def authenticate_header(self, request: Request) -> str:
        return "AppUser"


class IsAppUser(BasePermission):
    """A request made with a valid APP user token."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, AppUserPrincipal)


class AppUserTokenScheme(OpenApiAuthenticationExtension):
    target_class = "channels_app.user_tokens.AppUserTokenAuthentication"
    name = "appUserToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "AppUser <token from POST /api/v1/app/user-tokens/>",
        }
