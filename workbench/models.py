"""The workbench's own data (tenant schema): canned responses, internal notes on conversations,
wrap-up codes and the wrap-up of each ended conversation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from callcenter.core.models import BilingualNamed


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


class ConversationNote(models.Model):
    """An internal note on a conversation: agents and supervisors read it, the customer never does."""

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.PROTECT, related_name="+", verbose_name=_("conversation")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("text"), max_length=2000)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="workbench_note_conv_created")]
        verbose_name = _("conversation note")
        verbose_name_plural = _("conversation notes")

    def __str__(self) -> str:
        return f"#{self.conversation_id} {self.body[:40]}"


class WrapUpCode(BilingualNamed):
    """How a conversation ended, chosen by the agent when ending it (问题已解决, 已转工单...)."""

    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta(BilingualNamed.Meta):
        ordering = ["position", "code"]
        verbose_name = _("wrap-up code")
        verbose_name_plural = _("wrap-up codes")


class ConversationWrapUp(models.Model):
    """The agent's wrap-up of one conversation: its code and an optional short note."""

    conversation = models.OneToOneField(
        "conversations.Conversation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("conversation"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    code = models.ForeignKey(WrapUpCode, on_delete=models.PROTECT, related_name="+", verbose_name=_("wrap-up code"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("conversation wrap-up")
        verbose_name_plural = _("conversation wrap-ups")

    def __str__(self) -> str:
        return f"#{self.conversation_id} {self.code}"
