"""Channel API keys: made with the raw key shown once, revoked, and touched when used."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from callcenter.core.tenancy import require_tenant
from channels_app.models import Channel, ChannelApiKey
from channels_app.selectors import KEY_PREFIX, channel_api_key_lookup, hash_key
from tenants.services.audit import audit_record

# last_used_at is written at most this often per key, not on every request.
TOUCH_INTERVAL_S = 60


def channel_api_key_create(*, channel: Channel, name: str, actor: str = "") -> tuple[ChannelApiKey, str]:
    """A new key for ``channel``. The raw key is returned once; only its SHA-256 is stored."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ChannelApiKey.objects.create(
            channel=channel, name=(name or "API")[:80], prefix=raw[:12], key_hash=hash_key(raw)
        )
        audit_record(
            actor=actor,
            action="channel.api_key_created",
            tenant=require_tenant(),
            channel=channel.pk,
            key=key.pk,
            prefix=key.prefix,
        )
    return key, raw


def channel_api_key_revoke(*, key: ChannelApiKey, actor: str = "") -> ChannelApiKey:
    """Revoke ``key`` (idempotent: a revoked key keeps its first revocation time)."""
    with transaction.atomic():
        updated = ChannelApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if updated:
            audit_record(
                actor=actor,
                action="channel.api_key_revoked",
                tenant=require_tenant(),
                channel=key.channel_id,
                key=key.pk,
                prefix=key.prefix,
            )
        key.refresh_from_db(fields=["revoked_at"])
    return key


def channel_api_key_authenticate(*, raw: str) -> ChannelApiKey | None:
    """The live key behind ``raw`` (see ``channel_api_key_lookup``), noting when it was last used."""
    key = channel_api_key_lookup(raw)
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > TOUCH_INTERVAL_S:
        ChannelApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
