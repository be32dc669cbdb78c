"""The subdomain allow-list. Schema names are derived from a valid subdomain, never taken as given."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SUBDOMAIN_PATTERN = re.compile(r"^[a-z][a-z0-9-]{2,29}\Z")

RESERVED_SUBDOMAINS = frozenset(
    {
        "www",
        "admin",
        "api",
        "public",
        "static",
        "media",
        "reseller",
        "resellers",
        "platform",
        "app",
        "apps",
        "assets",
        "auth",
        "login",
        "logout",
        "signup",
        "register",
        "account",
        "accounts",
        "billing",
        "blog",
        "cdn",
        "dashboard",
        "docs",
        "help",
        "support",
        "status",
        "mail",
        "email",
        "smtp",
        "imap",
        "pop",
        "ftp",
        "ns1",
        "ns2",
        "dns",
        "root",
        "system",
        "sys",
        "test",
        "staging",
        "dev",
        "localhost",
        "ws",
        "wss",
        "socket",
        "stun",
        "turn",
        "sip",
        "webhook",
        "webhooks",
        "wechat",
        "pg",
        "postgres",
        "information-schema",
        "template",
        "tenant-template",
        "internal",
        "healthz",
        "readyz",
        "metrics",
    }
)


def normalize_subdomain(raw: object) -> str:
    """Trim and lowercase plain ASCII input. Anything non-ASCII is left as is, to be refused:
    lowercasing first would turn look-alikes such as the Kelvin sign into ASCII letters."""
    value = str(raw or "").strip()
    return value.lower() if value.isascii() else value


def validate_subdomain(value: str) -> None:
    if not value.isascii():
        raise ValidationError(
            _("Use only the letters a-z, digits and hyphens; other characters look alike and are refused."),
            code="non_ascii",
        )
    if not SUBDOMAIN_PATTERN.match(value):
        raise ValidationError(
            _("3 to 30 characters: a lowercase letter first, then lowercase letters, digits or hyphens."),
            code="invalid",
        )
    if value.endswith("-") or "--" in value:
        raise ValidationError(_("A subdomain cannot end with a hyphen or contain two in a row."), code="invalid")
    if value in RESERVED_SUBDOMAINS:
        raise ValidationError(_("This subdomain is reserved. Please choose another."), code="reserved")


def schema_name_for(subdomain: str) -> str:
    """The PostgreSQL schema of a tenant, made by the platform from a validated subdomain."""
    validate_subdomain(subdomain)
    return "t_" + subdomain.replace("-", "_")


def validate_origin(value: str) -> None:
    """A browser origin: http(s)://host[:port], nothing after it."""
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
        or not value.isascii()
    ):
        raise ValidationError(
            _("Enter an origin such as https://shop.example.cn (scheme and host, optional port, no path)."),
            code="invalid_origin",
        )
