"""Tickets (tenant schema): numbered per tenant, categorised, tagged, with a status workflow and
a full history of who changed what and when."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from callcenter.core.models import BilingualNamed


class Category(BilingualNamed):
    """The tenant's taxonomy of issues, two levels deep at most (e.g. 售后 › 退换货)."""

    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")


class Priority(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


class Status(models.TextChoices):
    NEW = "new", _("new")
    OPEN = "open", _("open")
    WAITING_CUSTOMER = "waiting_customer", _("waiting for the customer")
    WAITING_THIRD_PARTY = "waiting_third_party", _("waiting for a third party")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")


class TicketCounter(models.Model):
    """The last ticket number handed out; one row, locked while a ticket is created."""

    last_number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.last_number)


class Ticket(models.Model):
    number = models.PositiveBigIntegerField(_("number"), unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="tickets", verbose_name=_("customer")
    )
    conversations = models.ManyToManyField(
        "conversations.Conversation", blank=True, related_name="tickets", verbose_name=_("conversations")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("category")
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        "agents.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets", verbose_name=_("team")
    )
    order_ref = models.CharField(_("order number"), max_length=64, blank=True, db_index=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged", verbose_name=_("merged into")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="ticket_status_updated"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["team", "status"], name="ticket_team_status"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_created"),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"


class TagSource(models.TextChoices):
    MANUAL = "manual", _("by a person")
    AUTOMATIC = "automatic", _("automatic")


class TicketTag(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="tags", verbose_name=_("ticket"))
    name = models.CharField(_("tag"), max_length=40)
    source = models.CharField(_("source"), max_length=10, choices=TagSource.choices, default=TagSource.MANUAL)
    confidence = models.FloatField(
        _("confidence"), default=1.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "name"], name="uniq_ticket_tag")]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class TicketEvent(models.Model):
    """One change to a ticket: who, when, which field, from what to what."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_label = models.CharField(_("by (label)"), max_length=60, blank=True)  # "customer", "system", a bot
    action = models.CharField(_("action"), max_length=30)
    field = models.CharField(_("field"), max_length=30, blank=True)
    old_value = models.JSONField(_("before"), null=True, blank=True)
    new_value = models.JSONField(_("after"), null=True, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["ticket", "at", "id"]
        verbose_name = _("ticket history entry")
        verbose_name_plural = _("ticket history")

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.action} {self.field}"
