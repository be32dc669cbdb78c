"""Channels a tenant connects (tenant schema): the web widget, its APP, WeChat; and their API keys."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    WEB_WIDGET = "web_widget", _("web chat widget")
    APP = "app", _("mobile app")
    WECHAT_OFFICIAL = "wechat_official", _("WeChat official account")
    WECHAT_MINI_PROGRAM = "wechat_mini_program", _("WeChat mini program")
    # "phone" joins with telephony; ``Channel.kind`` is long enough for it and for more.


class Channel(models.Model):
    """One way customers reach the tenant. ``config`` holds the adapter's own settings."""

    kind = models.CharField(_("kind"), max_length=30, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=80)
    is_active = models.BooleanField(_("active"), default=True)
    config = models.JSONField(_("settings"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class ChannelApiKey(models.Model):
    """A key a channel's backend calls the API with. Only a SHA-256 of the key is kept; it is shown once."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("channel"))
    name = models.CharField(_("label"), max_length=80)
    prefix = models.CharField(_("key prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("channel API key")
        verbose_name_plural = _("channel API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
