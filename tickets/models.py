"""Tickets (tenant schema): numbered per tenant, categorised, tagged, with a status workflow and
a full history of who changed what and when."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from callcenter.core.models import BilingualNamed


class Category(BilingualNamed):
    """The tenant's taxonomy of issues, two levels deep at most (e.g. 售后 › 退换货)."""

    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    keywords = ArrayField(
        models.CharField(max_length=30),
        default=list,
        blank=True,
        size=100,
        verbose_name=_("keywords"),
        help_text=_("Words in a customer's messages that suggest this category, separated by commas."),
    )

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


class BusinessCalendar(BilingualNamed):
    """Working time for SLA clocks: hours per weekday (breaks are the gaps), holidays, 调休 days."""

    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    # Seven lists (Monday first) of ["HH:MM", "HH:MM"] intervals; "24:00" ends at midnight.
    week = models.JSONField(_("working hours"), default=list)
    holidays = ArrayField(models.DateField(), default=list, blank=True, verbose_name=_("holidays"))
    make_up_days = ArrayField(
        models.DateField(),
        default=list,
        blank=True,
        verbose_name=_("make-up working days"),
        help_text=_("Weekend days worked to bridge a holiday (调休); they get Monday's hours."),
    )

    class Meta(BilingualNamed.Meta):
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")


class SlaPolicy(BilingualNamed):
    """Targets for tickets of some customer tiers (all tiers when none is chosen); the first active
    policy in order that matches a ticket's customer applies."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="policies", verbose_name=_("calendar")
    )
    tiers = models.ManyToManyField(
        "customers.MembershipTier", blank=True, related_name="+", verbose_name=_("membership tiers")
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    warn_before_minutes = models.PositiveIntegerField(
        _("warn before (business minutes)"), default=30, validators=[MaxValueValidator(7 * 24 * 60)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta(BilingualNamed.Meta):
        ordering = ["position", "code"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets", verbose_name=_("policy"))
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (business minutes)"), validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (business minutes)"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["policy", "priority"]
        constraints = [models.UniqueConstraint(fields=["policy", "priority"], name="uniq_sla_target_priority")]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")

    def __str__(self) -> str:
        return f"{self.policy} {self.priority}"


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
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # SLA clocks (tickets.services.sla): deadlines in business time, the moments warnings are due,
    # and what happened. The resolution clock stops while the ticket waits for the customer.
    sla_policy = models.ForeignKey(
        SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("SLA policy")
    )
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(_("SLA paused since"), null=True, blank=True)
    sla_paused_seconds = models.FloatField(_("SLA paused (business seconds)"), default=0.0)
    # What the sweep has done: first_response_warned, first_response_breached, resolution_warned...
    sla_done = ArrayField(models.CharField(max_length=30), default=list, blank=True, editable=False)
    # When the sweep next has something to do for this ticket (a warning or a deadline); None: nothing.
    sla_next_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_breached = models.BooleanField(_("SLA breached"), default=False)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        indexes = [
            # Lists are newest first by number; each filter reads its own index in that order and
            # stops after a page (tickets.selectors.ticket_list, bench/tickets).
            models.Index(fields=["assignee", "-number"], name="ticket_assignee_number"),
            models.Index(fields=["team", "-number"], name="ticket_team_number"),
            models.Index(fields=["status", "-number"], name="ticket_status_number"),
            models.Index(fields=["-number"], condition=models.Q(sla_breached=True), name="ticket_breached_number"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_created"),
            models.Index(
                fields=["sla_next_check_at"],
                condition=models.Q(sla_next_check_at__isnull=False),
                name="ticket_sla_next_check",
            ),
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


class Visibility(models.TextChoices):
    PUBLIC = "public", _("reply to the customer")
    INTERNAL = "internal", _("internal note")


class TicketComment(models.Model):
    """A public reply (the customer sees it) or an internal note (only the team does)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments", verbose_name=_("ticket"))
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    author_customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    author_label = models.CharField(_("by (label)"), max_length=60, blank=True)  # "system", a bot
    body = models.TextField(_("text"))
    # The sender's own id for what became this comment (an APP return request): sent twice, stored once.
    external_ref = models.CharField(_("external id"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_comment_ticket_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["external_ref"], condition=~models.Q(external_ref=""), name="uniq_ticket_comment_external_ref"
            )
        ]
        verbose_name = _("ticket comment")
        verbose_name_plural = _("ticket comments")

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.visibility} {self.body[:40]}"

    @property
    def from_customer(self) -> bool:
        return self.author_customer_id is not None


class TicketAttachment(models.Model):
    """A file on a ticket, stored privately; served only to those who may see its comment."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket"))
    comment = models.ForeignKey(
        TicketComment, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("comment")
    )
    storage_key = models.CharField(_("stored as"), max_length=255)
    name = models.CharField(_("file name"), max_length=100)
    content_type = models.CharField(_("type"), max_length=60)
    size = models.PositiveIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class TicketRating(models.Model):
    """The customer's rating of how their ticket was handled (CSAT), once per ticket."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating", verbose_name=_("ticket"))
    score = models.PositiveSmallIntegerField(_("score"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("rated"), auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="ticket_rating_score_1_5")
        ]
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")

    def __str__(self) -> str:
        return f"#{self.ticket_id}: {self.score}"


class NotifyEvent(models.TextChoices):
    REPLY = "reply", _("the team replied")
    WAITING_CUSTOMER = "waiting_customer", _("waiting for the customer")
    RESOLVED = "resolved", _("resolved")


class NotificationTemplate(models.Model):
    """What the customer is told when their ticket changes, per event and language (plain text).

    Placeholders: {number}, {subject}, {status}, {reply}, {link}.
    """

    event = models.CharField(_("event"), max_length=20, choices=NotifyEvent.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("e-mail subject"), max_length=120)
    body = models.TextField(_("text"), max_length=2000)

    class Meta:
        ordering = ["event", "language"]
        constraints = [models.UniqueConstraint(fields=["event", "language"], name="uniq_notification_template")]
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")

    def __str__(self) -> str:
        return f"{self.get_event_display()} ({self.language})"
