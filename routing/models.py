"""Queues, routing rules and the contacts being routed, with every offer made (tenant schema).

The decision itself is made by the pure engine in ``routing.domain``; these tables hold its
inputs (queues, steps, rules) and its durable state: waiting contacts survive a worker's death,
and a partial unique index makes two live offers for one contact impossible.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from callcenter.core.models import BilingualNamed
from routing.domain.engine import Strategy


class StrategyChoice(models.TextChoices):
    LONGEST_AVAILABLE = Strategy.LONGEST_AVAILABLE.value, _("longest available first")
    LEAST_OCCUPIED = Strategy.LEAST_OCCUPIED.value, _("least occupied first")
    HIGHEST_PROFICIENCY = Strategy.HIGHEST_PROFICIENCY.value, _("highest proficiency first")
    ROUND_ROBIN = Strategy.ROUND_ROBIN.value, _("round robin")


class Queue(BilingualNamed):
    is_default = models.BooleanField(
        _("default queue"), default=False, help_text=_("Where contacts go when no routing rule matches.")
    )
    priority = models.SmallIntegerField(
        _("priority"),
        default=0,
        validators=[MinValueValidator(-100), MaxValueValidator(100)],
        help_text=_("Higher is served first when an agent could take contacts of several queues."),
    )
    strategy = models.CharField(
        _("agent selection"), max_length=24, choices=StrategyChoice.choices, default=StrategyChoice.LONGEST_AVAILABLE
    )
    sla_seconds = models.PositiveIntegerField(_("answer within (seconds)"), default=20)
    sla_percent = models.PositiveSmallIntegerField(
        _("service-level target (%)"), default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    max_wait_seconds = models.PositiveIntegerField(
        _("maximum wait (seconds)"),
        default=900,
        help_text=_("After this, the contact moves to the fallback queue (or is flagged to supervisors)."),
    )
    fallback_queue = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("fallback queue")
    )
    offer_timeout_seconds = models.PositiveSmallIntegerField(
        _("accept within (seconds)"), default=15, validators=[MinValueValidator(5), MaxValueValidator(120)]
    )
    after_work_seconds = models.PositiveSmallIntegerField(
        _("after-contact work (seconds)"),
        default=15,
        validators=[MaxValueValidator(900)],
        help_text=_("Time to wrap up after a contact ends before the next offer; 0 for none."),
    )
    # Overflow: while on, agents meeting the overflow requirement also take this queue's contacts.
    overflow_skills = models.CharField(
        _("overflow skills"),
        max_length=200,
        blank=True,
        help_text=_("Skills with minimum levels for overflow agents, e.g. after-sales:1. Empty: any skills."),
    )
    overflow_pools = models.ManyToManyField(
        "agents.Pool", blank=True, related_name="+", verbose_name=_("overflow pools")
    )
    overflow_on_ratio = models.DecimalField(
        _("overflow at (waiting per ready agent)"), max_digits=5, decimal_places=2, default=3
    )
    overflow_off_ratio = models.DecimalField(
        _("back at (waiting per ready agent)"), max_digits=5, decimal_places=2, default=1
    )
    overflow_hold_seconds = models.PositiveIntegerField(_("least time between switches (seconds)"), default=60)
    overflow_active = models.BooleanField(_("overflowing now"), default=False, editable=False)
    overflow_changed_at = models.DateTimeField(_("overflow switched"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-priority", "code"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_queue")
        ]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    @property
    def has_overflow(self) -> bool:
        return self.overflow_pools.exists() or bool(self.overflow_skills.strip())


class QueueStep(models.Model):
    """From ``after_seconds`` of waiting on, the agents this queue's contacts need."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="steps", verbose_name=_("queue"))
    after_seconds = models.PositiveIntegerField(_("after waiting (seconds)"), default=0)
    skills = models.CharField(
        _("skills needed"),
        max_length=200,
        blank=True,
        help_text=_("Skill codes with minimum levels, e.g. vip:1 after-sales:2. Empty: any agent."),
    )
    pools = models.ManyToManyField("agents.Pool", blank=True, related_name="+", verbose_name=_("from pools"))

    class Meta:
        ordering = ["queue", "after_seconds"]
        constraints = [models.UniqueConstraint(fields=["queue", "after_seconds"], name="uniq_step_time")]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self) -> str:
        return f"{self.queue} +{self.after_seconds}s"


class HoursMode(models.TextChoices):
    ANY = "any", _("any time")
    OPEN = "open", _("only within the hours")
    CLOSED = "closed", _("only outside the hours")


class RoutingRule(models.Model):
    """If a new contact meets every condition set here, it goes to ``queue`` with a priority boost."""

    position = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    name = models.CharField(_("name"), max_length=80)
    is_active = models.BooleanField(_("active"), default=True)
    tiers = models.ManyToManyField(
        "customers.MembershipTier", blank=True, related_name="+", verbose_name=_("customer tiers")
    )
    topics = models.TextField(
        _("issue types"), blank=True, help_text=_("One per line: pre-chat topics, APP categories.")
    )
    channels = models.JSONField(_("channels"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    keywords = models.TextField(
        _("keywords in the first message"), blank=True, help_text=_("One per line; any of them matches.")
    )
    hours_mode = models.CharField(_("business hours"), max_length=8, choices=HoursMode.choices, default=HoursMode.ANY)
    hours_start = models.TimeField(_("opens"), null=True, blank=True)
    hours_end = models.TimeField(_("closes"), null=True, blank=True)
    weekdays = models.JSONField(_("open on"), default=list, blank=True)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="rules", verbose_name=_("target queue"))
    priority_boost = models.SmallIntegerField(
        _("priority boost"), default=0, validators=[MinValueValidator(-100), MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name


class ContactStatus(models.TextChoices):
    WAITING = "waiting", _("waiting")
    OFFERED = "offered", _("offered")
    ASSIGNED = "assigned", _("with an agent")
    ENDED = "ended", _("ended")
    ABANDONED = "abandoned", _("abandoned")


LIVE_CONTACT_STATUSES = (ContactStatus.WAITING, ContactStatus.OFFERED, ContactStatus.ASSIGNED)


class RoutedContact(models.Model):
    """One piece of work routed to an agent: today a conversation, later a call too."""

    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routed_contacts",
        verbose_name=_("conversation"),
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    channel_kind = models.CharField(_("channel"), max_length=30)
    media = models.CharField(_("media"), max_length=10, default="chat")  # the capacity it uses: chat or voice
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("queue"))
    priority_boost = models.SmallIntegerField(_("priority boost"), default=0)
    arrived_at = models.DateTimeField(_("arrived"), db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=ContactStatus.choices, default=ContactStatus.WAITING)
    agent = models.ForeignKey(
        "agents.AgentProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="routed_contacts",
        verbose_name=_("agent"),
    )
    # A transfer to a named agent: only that agent is offered the contact.
    target_agent = models.ForeignKey(
        "agents.AgentProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("transferred to"),
    )
    rule = models.ForeignKey(
        RoutingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("rule matched")
    )
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)
    offers_made = models.PositiveSmallIntegerField(_("offers made"), default=0)
    # Agents who declined it: the next offer goes to someone else.
    declined_by = ArrayField(models.IntegerField(), default=list, blank=True, verbose_name=_("declined by"))
    last_position = models.PositiveIntegerField(_("place in line last shown"), null=True, blank=True)
    over_max_wait = models.BooleanField(_("waited past the maximum"), default=False)
    assigned_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=40, blank=True)
    transfer_note = models.CharField(_("transfer note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-arrived_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"],
                condition=Q(status__in=["waiting", "offered", "assigned"]),
                name="one_live_contact_per_conversation",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "queue"], name="routing_contact_status_queue"),
            models.Index(fields=["agent", "status"], name="routing_contact_agent_status"),
        ]
        verbose_name = _("routed contact")
        verbose_name_plural = _("routed contacts")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"


class OfferStatus(models.TextChoices):
    RINGING = "ringing", _("ringing")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    MISSED = "missed", _("missed")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Offer(models.Model):
    """A contact offered to one agent, and why that agent: the step, candidates and their scores."""

    contact = models.ForeignKey(
        RoutedContact, on_delete=models.CASCADE, related_name="offers", verbose_name=_("contact")
    )
    agent = models.ForeignKey(
        "agents.AgentProfile", on_delete=models.CASCADE, related_name="offers", verbose_name=_("agent")
    )
    status = models.CharField(_("status"), max_length=10, choices=OfferStatus.choices, default=OfferStatus.RINGING)
    media = models.CharField(_("media"), max_length=10, default="chat")
    created_at = models.DateTimeField(_("offered"))
    expires_at = models.DateTimeField(_("expires"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision = models.JSONField(_("decision"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["contact"], condition=Q(status="ringing"), name="one_ringing_offer"),
        ]
        indexes = [
            models.Index(fields=["agent", "status"], name="routing_offer_agent_status"),
            models.Index(fields=["status", "expires_at"], name="routing_offer_expiry"),
        ]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")

    def __str__(self) -> str:
        return f"{self.contact_id} → {self.agent_id} ({self.status})"
