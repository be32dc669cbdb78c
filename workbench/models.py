"""The workbench's own data (tenant schema): canned responses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CannedScope(models.TextChoices):
    TENANT = "tenant", _("everyone")
    TEAM = "team", _("a team")
    PERSONAL = "personal", _("personal")


class CannedResponse(models.Model):
    """A reply an agent inserts by typing ``/`` and part of its shortcut or title.

    Who sees it follows the scope: everyone in the tenant, one team's members, or its owner.
    """

    scope = models.CharField(_("for"), max_length=10, choices=CannedScope.choices, default=CannedScope.PERSONAL)
    team = models.ForeignKey(
        "agents.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_responses",
        verbose_name=_("owner"),
    )
    shortcut = models.CharField(
        _("shortcut"), max_length=30, help_text=_("Typed after / to find it, e.g. 退款 or refund. No spaces.")
    )
    title = models.CharField(_("title"), max_length=80)
    body = models.TextField(
        _("text"),
        max_length=2000,
        help_text=_(
            "May use {customer_name}, {order_no}, {ticket_no}, {agent_name} and {shop_name}; "
            "they are filled in for the conversation at hand."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["shortcut"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="tenant", team__isnull=True, owner__isnull=True))
                | Q(scope="team", team__isnull=False, owner__isnull=True)
                | Q(scope="personal", team__isnull=True, owner__isnull=False),
                name="canned_scope_holder",
            ),
            models.UniqueConstraint(fields=["shortcut"], condition=Q(scope="tenant"), name="canned_tenant_shortcut"),
            models.UniqueConstraint(
                fields=["team", "shortcut"], condition=Q(scope="team"), name="canned_team_shortcut"
            ),
            models.UniqueConstraint(
                fields=["owner", "shortcut"], condition=Q(scope="personal"), name="canned_personal_shortcut"
            ),
        ]

    def __str__(self) -> str:
        return f"/{self.shortcut} {self.title}"
