"""Agents of one tenant (tenant schema): profiles, skills and the seats they hold."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from callcenter.core.models import BilingualNamed


class Skill(BilingualNamed):
    """A skill tag routing matches on, such as "VIP service" or "after-sales"."""

    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta(BilingualNamed.Meta):
        verbose_name = _("skill")
        verbose_name_plural = _("skills")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams_led",
        verbose_name=_("team lead"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Pool(BilingualNamed):
    """A group of agents queues draw from: an in-house primary pool, an outsourced backup pool..."""

    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta(BilingualNamed.Meta):
        verbose_name = _("agent pool")
        verbose_name_plural = _("agent pools")


class NotReadyReason(BilingualNamed):
    """Why an agent is not taking contacts: break, meeting, training; ``missed`` is set by routing."""

    is_system = models.BooleanField(_("set by the system"), default=False)

    class Meta(BilingualNamed.Meta):
        verbose_name = _("not-ready reason")
        verbose_name_plural = _("not-ready reasons")


class AgentProfile(models.Model):
    """Makes a user an agent: one who takes contacts and holds a seat while signed in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile", verbose_name=_("user")
    )
    display_name = models.CharField(_("display name"), max_length=60)
    employee_no = models.CharField(_("employee number"), max_length=30, blank=True)
    skills: models.ManyToManyField[Skill, AgentSkill] = models.ManyToManyField(
        Skill, through="AgentSkill", blank=True, related_name="agents", verbose_name=_("skills")
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="agents", verbose_name=_("team")
    )
    region = models.CharField(_("region"), max_length=40, blank=True, help_text=_("For example 华东 or South China."))
    pools = models.ManyToManyField(Pool, blank=True, related_name="agents", verbose_name=_("pools"))
    chat_capacity = models.PositiveSmallIntegerField(_("chats at once"), default=3, validators=[MaxValueValidator(20)])
    voice_capacity = models.PositiveSmallIntegerField(_("calls at once"), default=1, validators=[MaxValueValidator(2)])
    voice_blocks_chat = models.BooleanField(
        _("a call blocks chats"),
        default=True,
        help_text=_("No new chat while on a call, and no call while chatting."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return self.display_name

    def capacity(self) -> dict[str, int]:
        return {"chat": self.chat_capacity, "voice": self.voice_capacity}


class AgentSkill(models.Model):
    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="skill_levels")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+", verbose_name=_("skill"))
    level = models.PositiveSmallIntegerField(
        _("proficiency"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)], help_text=_("1 to 5")
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "skill"], name="uniq_agent_skill"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="skill_level_1_to_5"),
        ]
        verbose_name = _("skill level")
        verbose_name_plural = _("skill levels")

    def __str__(self) -> str:
        return f"{self.skill} {self.level}"


class AgentState(models.TextChoices):
    """What the agent chose, or the system set. Reserved and busy are not stored: they follow from
    live offers and contacts in hand, so they cannot get stuck (see AgentStatus.display_state)."""

    OFFLINE = "offline", _("offline")
    AVAILABLE = "available", _("available")
    NOT_READY = "not_ready", _("not ready")
    AFTER_WORK = "after_work", _("after-contact work")


class AgentStatus(models.Model):
    """An agent's live state. One row per agent, locked while routing changes it."""

    agent = models.OneToOneField(
        AgentProfile, on_delete=models.CASCADE, primary_key=True, related_name="status", verbose_name=_("agent")
    )
    state = models.CharField(_("state"), max_length=12, choices=AgentState.choices, default=AgentState.OFFLINE)
    reason = models.ForeignKey(
        NotReadyReason, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("not-ready reason")
    )
    changed_at = models.DateTimeField(_("since"), default=timezone.now)
    # Longest-available routing serves the agent whose turn came longest ago: set on becoming
    # available and on each accepted contact.
    available_since = models.DateTimeField(_("available since"), default=timezone.now)
    after_work_until = models.DateTimeField(_("after-contact work until"), null=True, blank=True)
    last_offer_seq = models.PositiveBigIntegerField(_("last offer number"), default=0)

    class Meta:
        indexes = [models.Index(fields=["state"])]
        verbose_name = _("agent state")
        verbose_name_plural = _("agent states")

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.state}"


class SeatLease(models.Model):
    """A seat held by a signed-in agent. It lapses after settings.SEAT_IDLE_TIMEOUT_S of inactivity."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seat_lease", verbose_name=_("user")
    )
    acquired_at = models.DateTimeField(_("signed in"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last active"), db_index=True)

    class Meta:
        verbose_name = _("seat in use")
        verbose_name_plural = _("seats in use")

    def __str__(self) -> str:
        return str(self.user)
