"""One conversation per customer at a time, whatever the channel; messages numbered in order."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("open")
    RESOLVED = "resolved", _("resolved")


class Conversation(models.Model):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="conversations", verbose_name=_("customer")
    )
    first_channel = models.ForeignKey(
        "channels_app.Channel", on_delete=models.PROTECT, related_name="+", verbose_name=_("started on")
    )
    last_channel = models.ForeignKey(
        "channels_app.Channel", on_delete=models.PROTECT, related_name="+", verbose_name=_("last channel")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ConversationStatus.choices, default=ConversationStatus.OPEN
    )
    topic = models.CharField(_("topic"), max_length=60, blank=True)
    # The sequence number of the newest message; clients resync with since=<seq>.
    last_seq = models.PositiveIntegerField(_("last sequence number"), default=0)
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True, db_index=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at"]
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(status="open"), name="one_open_conversation"),
        ]
        indexes = [models.Index(fields=["customer", "-opened_at"])]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer}"


class MessageKind(models.TextChoices):
    TEXT = "text", _("text")
    IMAGE = "image", _("image")
    VOICE = "voice", _("voice")
    VIDEO = "video", _("video")
    FILE = "file", _("file")
    EVENT = "event", _("event")
    CALL = "call", _("call")  # a phone or video call's entry in the thread, when telephony arrives


class Direction(models.TextChoices):
    INBOUND = "in", _("from the customer")
    OUTBOUND = "out", _("to the customer")


class SenderType(models.TextChoices):
    CUSTOMER = "customer", _("customer")
    AGENT = "agent", _("agent")
    SYSTEM = "system", _("system")


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.PROTECT, related_name="messages", verbose_name=_("conversation")
    )
    seq = models.PositiveIntegerField(_("sequence number"))
    channel = models.ForeignKey(
        "channels_app.Channel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("channel"),
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    sender_type = models.CharField(_("sender"), max_length=10, choices=SenderType.choices)
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    body = models.TextField(_("text"), blank=True)
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    # The sender's own id for this message: sending it twice stores it once.
    client_msg_id = models.CharField(_("client message id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="uniq_message_seq"),
            models.UniqueConstraint(
                fields=["conversation", "client_msg_id"], condition=~Q(client_msg_id=""), name="uniq_client_msg_id"
            ),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"
