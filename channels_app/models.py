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


class WeChatInboxMessage(models.Model):
    """One message or event WeChat pushed to a channel's webhook, stored before any work is done.

    WeChat retries a push it got no answer to within 5 s, three times: ``dedupe_key`` (the
    MsgId, or sender + time + event for events) makes every retry land on the same row.
    """

    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="wechat_inbox", verbose_name=_("channel")
    )
    dedupe_key = models.CharField(_("deduplication key"), max_length=200)
    # The namespace of ``openid`` when it arrived; the channel's settings may change later.
    app_id = models.CharField(_("AppID"), max_length=64)
    openid = models.CharField(_("openid"), max_length=128)
    msg_type = models.CharField(_("message type"), max_length=20)
    payload = models.JSONField(_("payload"), default=dict)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("WeChat inbox message")
        verbose_name_plural = _("WeChat inbox messages")
        constraints = [
            models.UniqueConstraint(fields=["channel", "dedupe_key"], name="wechat_inbox_unique_dedupe_key"),
        ]

    def __str__(self) -> str:
        return f"{self.msg_type} {self.openid} ({self.dedupe_key})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")


class OutboundDelivery(models.Model):
    """Something that must reach a channel's far end (a WeChat user, the shop's webhook): an outbox row.

    It is written in the same transaction as the message it carries, then sent by a task with
    retries and backoff; a periodic sweep picks up rows whose task was lost. ``dedupe_key`` keeps
    one row per message and channel however often the enqueue runs, and the far end gets it as
    a delivery id so it can drop repeats too.
    """

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("channel"))
    message = models.ForeignKey(
        "conversations.Message",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("message"),
    )
    event = models.CharField(_("event"), max_length=40)
    payload = models.JSONField(_("payload"), default=dict)
    dedupe_key = models.CharField(_("deduplication key"), max_length=120)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outbound delivery")
        verbose_name_plural = _("outbound deliveries")
        constraints = [
            models.UniqueConstraint(fields=["channel", "dedupe_key"], name="outbound_delivery_unique_dedupe_key"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"), name="outbound_delivery_due")
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.channel_id} ({self.status})"
