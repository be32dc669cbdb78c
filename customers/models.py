"""One customer, one profile (tenant schema): identities on every channel, orders, activity, merges."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class MembershipTier(models.Model):
    """A tenant's own membership levels; routing ranks customers by ``rank`` (higher first)."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=40, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0)

    class Meta:
        ordering = ["rank"]
        verbose_name = _("membership tier")
        verbose_name_plural = _("membership tiers")

    def __str__(self) -> str:
        if self.name_en and not (get_language() or "").startswith("zh"):
            return self.name_en
        return self.name


class Customer(models.Model):
    display_name = models.CharField(_("name"), max_length=100, blank=True)
    tier = models.ForeignKey(
        MembershipTier, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("membership tier")
    )
    phones = ArrayField(models.CharField(max_length=20), default=list, blank=True, verbose_name=_("phone numbers"))
    emails = ArrayField(models.EmailField(), default=list, blank=True, verbose_name=_("e-mails"))
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True, verbose_name=_("tags"))
    attributes = models.JSONField(_("CRM attributes"), default=dict, blank=True)
    consents = models.JSONField(_("consents"), default=dict, blank=True)
    # A merged customer is kept, pointing at the survivor, so the merge can be undone.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["display_name"]), models.Index(fields=["merged_into"])]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.display_name or (self.phones[0] if self.phones else f"#{self.pk}")


class IdentityKind(models.TextChoices):
    WEB_VISITOR = "web_visitor", _("web visitor")
    APP_USER = "app_user", _("APP user")
    WECHAT_OPENID = "wechat_openid", _("WeChat openid")
    WECHAT_UNIONID = "wechat_unionid", _("WeChat unionid")
    PHONE = "phone", _("phone number")
    EMAIL = "email", _("e-mail")


# Kinds that prove who the customer is on their own: they link contacts automatically.
STRONG_KINDS = {IdentityKind.WECHAT_UNIONID, IdentityKind.APP_USER}


class ChannelIdentity(models.Model):
    """(kind, namespace, external id) -> customer. The namespace separates e.g. two WeChat apps' openids."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="identities", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=IdentityKind.choices)
    namespace = models.CharField(_("namespace"), max_length=64, blank=True, default="")
    external_id = models.CharField(_("external id"), max_length=128)
    verified = models.BooleanField(_("verified"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "namespace", "external_id"], name="uniq_identity"),
        ]
        indexes = [models.Index(fields=["customer", "kind"])]
        verbose_name = _("channel identity")
        verbose_name_plural = _("channel identities")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.external_id}"


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("waiting for review")
    MERGED = "merged", _("merged")
    DISMISSED = "dismissed", _("dismissed")


class MergeSuggestion(models.Model):
    """Two profiles that may be one person (same unverified phone, same name): a human decides."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer"))
    candidate = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("possible duplicate")
    )
    reason = models.CharField(_("reason"), max_length=40)
    status = models.CharField(
        _("status"), max_length=12, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    decided_by = models.CharField(_("decided by"), max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "candidate"], condition=Q(status="open"), name="uniq_open_suggestion"
            ),
        ]
        verbose_name = _("merge suggestion")
        verbose_name_plural = _("merge suggestions")

    def __str__(self) -> str:
        return f"{self.customer} ~ {self.candidate} ({self.reason})"


class CustomerMerge(models.Model):
    """What a merge moved, so that un-merge can move exactly that back."""

    survivor = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("kept"))
    merged = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("merged"))
    moved = models.JSONField(_("moved records"), default=dict)
    merged_by = models.CharField(_("merged by"), max_length=150)
    merged_at = models.DateTimeField(_("merged at"), default=timezone.now)
    undone_by = models.CharField(_("undone by"), max_length=150, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        ordering = ["-merged_at"]
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"


class Order(models.Model):
    """An order as the shop's backend reports it. Upserts by order number; older updates are ignored."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer"))
    order_no = models.CharField(_("order number"), max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=40)
    items = models.JSONField(_("items"), default=list)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    shipping_address = models.JSONField(_("shipping address"), default=dict)
    logistics_status = models.CharField(_("logistics status"), max_length=60, blank=True)
    logistics_company = models.CharField(_("carrier"), max_length=60, blank=True)
    tracking_no = models.CharField(_("tracking number"), max_length=64, blank=True)
    placed_at = models.DateTimeField(_("placed"))
    source_updated_at = models.DateTimeField(_("updated at the shop"))
    synced_at = models.DateTimeField(_("synced"), auto_now=True)

    class Meta:
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["customer", "-placed_at"])]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return self.order_no


class ActivityEvent(models.Model):
    """Something the customer did in the shop's APP or site: "viewed order", "submitted return request"."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="activities", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=60)
    occurred_at = models.DateTimeField(_("when"), db_index=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    # The shop's own id for the event: reporting it twice stores it once.
    external_id = models.CharField(_("external id"), max_length=128, unique=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["customer", "-occurred_at"])]
        verbose_name = _("activity event")
        verbose_name_plural = _("activity events")

    def __str__(self) -> str:
        return f"{self.kind} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class CustomerAudit(models.Model):
    """Who changed which profile, and how. Append-only."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.CharField(_("who"), max_length=150)
    action = models.CharField(_("action"), max_length=40)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("customer audit event")
        verbose_name_plural = _("customer audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"
