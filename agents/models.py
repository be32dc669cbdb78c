"""Agents of one tenant (tenant schema): profiles, skills and the seats they hold."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Skill(models.Model):
    """A skill tag routing matches on, such as "VIP service" or "after-sales"."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        if self.name_en and not (get_language() or "").startswith("zh"):
            return self.name_en
        return self.name


class AgentProfile(models.Model):
    """Makes a user an agent: one who takes contacts and holds a seat while signed in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile", verbose_name=_("user")
    )
    display_name = models.CharField(_("display name"), max_length=60)
    employee_no = models.CharField(_("employee number"), max_length=30, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="agents", verbose_name=_("skills"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return self.display_name


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
