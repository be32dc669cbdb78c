"""The public schema: plans, resellers, tenants and their domains, signups, burst seats, audit."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from tenants.validators import validate_origin


class Plan(models.Model):
    """What a tenant pays for: seats, features and storage."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (English)"), max_length=80)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    max_agents = models.PositiveIntegerField(_("concurrent agent seats"))
    storage_quota_gb = models.PositiveIntegerField(_("storage quota (GB)"))
    features = models.JSONField(_("features"), default=list, blank=True)
    monthly_price_cny = models.DecimalField(_("monthly price (CNY)"), max_digits=10, decimal_places=2)
    is_public = models.BooleanField(_("offered at signup"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "max_agents"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name


class Reseller(models.Model):
    """A partner that sells the call center to its own customers and manages their tenants."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    contact_email = models.EmailField(_("contact e-mail"))
    is_active = models.BooleanField(_("active"), default=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="resellers", verbose_name=_("console users")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("reseller")
        verbose_name_plural = _("resellers")

    def __str__(self) -> str:
        return self.name


class ResellerToken(models.Model):
    """An API key of a reseller. Only a SHA-256 of the key is kept; the key is shown once."""

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("reseller"))
    name = models.CharField(_("label"), max_length=80)
    prefix = models.CharField(_("key prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("reseller API token")
        verbose_name_plural = _("reseller API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class TenantStatus(models.TextChoices):
    PROVISIONING = "provisioning", _("provisioning")
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")


class Tenant(TenantMixin):
    """One company's isolated call center: a PostgreSQL schema and a subdomain."""

    name = models.CharField(_("company name"), max_length=120)
    subdomain = models.CharField(_("subdomain"), max_length=30, unique=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="tenants", verbose_name=_("plan"))
    reseller = models.ForeignKey(
        Reseller,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tenants",
        verbose_name=_("reseller"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TenantStatus.choices, default=TenantStatus.PROVISIONING
    )
    suspended_reason = models.CharField(_("reason for suspension"), max_length=300, blank=True)
    admin_email = models.EmailField(_("admin e-mail"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # Schemas are cloned from the template by tenants.services.provisioning, never made on save().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return f"{self.name} ({self.subdomain})"

    @property
    def is_suspended(self) -> bool:
        return self.status == TenantStatus.SUSPENDED

    def has_feature(self, code: str) -> bool:
        return code in (self.plan.features or [])


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")


class TenantOrigin(models.Model):
    """An extra browser origin allowed to open this tenant's WebSockets (e.g. the shop's site)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="origins", verbose_name=_("tenant"))
    origin = models.CharField(
        _("origin"), max_length=255, validators=[validate_origin], help_text=_("For example https://shop.example.cn")
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "origin"], name="uniq_tenant_origin")]
        verbose_name = _("allowed WebSocket origin")
        verbose_name_plural = _("allowed WebSocket origins")

    def __str__(self) -> str:
        return self.origin


class SignupStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    PROVISIONING = "provisioning", _("provisioning")
    ACTIVE = "active", _("active")
    FAILED = "failed", _("failed")


class Signup(models.Model):
    """A request for a new tenant. It outlives a failed attempt so it can be read and retried."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company_name = models.CharField(_("company name"), max_length=120)
    subdomain = models.CharField(_("subdomain"), max_length=30)
    admin_email = models.EmailField(_("admin e-mail"))
    # A password hash, never the password; cleared once the admin user exists.
    admin_password_hash = models.CharField(max_length=256, blank=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, verbose_name=_("plan"))
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("reseller"))
    status = models.CharField(_("status"), max_length=20, choices=SignupStatus.choices, default=SignupStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(_("step"), max_length=80, blank=True)
    failure_reason = models.TextField(_("why it failed"), blank=True)
    tenant = models.OneToOneField(Tenant, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("tenant"))
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A subdomain is held by at most one live signup; a failed one lets go of it.
            models.UniqueConstraint(
                fields=["subdomain"],
                condition=~Q(status="failed"),
                name="uniq_live_signup_subdomain",
            )
        ]
        verbose_name = _("signup")
        verbose_name_plural = _("signups")

    def __str__(self) -> str:
        return f"{self.company_name} ({self.subdomain}): {self.status}"


class BurstStatus(models.TextChoices):
    PENDING = "pending", _("waiting for approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("cancelled")


class BurstSeatRequest(models.Model):
    """A time-limited seat increase for a promotion, approved by the reseller or the platform."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="burst_requests", verbose_name=_("tenant")
    )
    seats = models.PositiveIntegerField(_("seats during the burst"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=BurstStatus.choices, default=BurstStatus.PENDING)
    requested_by = models.CharField(_("requested by"), max_length=254)
    decided_by = models.CharField(_("decided by"), max_length=254, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="burst_ends_after_start")
        ]
        verbose_name = _("burst seat request")
        verbose_name_plural = _("burst seat requests")

    def __str__(self) -> str:
        return _("%(tenant)s: %(seats)d seats, %(start)s – %(end)s") % {
            "tenant": self.tenant.subdomain,
            "seats": self.seats,
            "start": f"{self.starts_at:%Y-%m-%d}",
            "end": f"{self.ends_at:%Y-%m-%d}",
        }

    def is_in_force(self, at: object = None) -> bool:
        now = at or timezone.now()
        return self.status == BurstStatus.APPROVED and self.starts_at <= now < self.ends_at  # type: ignore[operator]


class UsageSnapshot(models.Model):
    """Periodic usage of one tenant, kept in public so resellers can read it without entering schemas."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="usage_snapshots", verbose_name=_("tenant")
    )
    taken_at = models.DateTimeField(_("measured"), default=timezone.now, db_index=True)
    agents = models.PositiveIntegerField(_("agents"), default=0)
    seats_in_use = models.PositiveIntegerField(_("seats in use"), default=0)
    conversations = models.PositiveIntegerField(_("conversations"), default=0)
    storage_bytes = models.BigIntegerField(_("storage (bytes)"), default=0)

    class Meta:
        ordering = ["-taken_at"]
        get_latest_by = "taken_at"
        verbose_name = _("usage snapshot")
        verbose_name_plural = _("usage snapshots")

    def __str__(self) -> str:
        return f"{self.tenant_id} @ {self.taken_at:%Y-%m-%d %H:%M}"


class AuditEvent(models.Model):
    """Who did what to which tenant. Append-only."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.CharField(_("who"), max_length=254)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("tenant"))
    reseller = models.ForeignKey(Reseller, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("reseller"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"
