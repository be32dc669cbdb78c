"""Signing a company up: validate, hold the subdomain, and queue provisioning."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.core.errors import ConflictError
from tenants.models import Domain, Plan, Reseller, Signup, SignupStatus, Tenant
from tenants.validators import normalize_subdomain, schema_name_for, validate_subdomain

# A signup queued or provisioning this long lost its task (e.g. a broker restart) and may be retried.
STALE_AFTER = timedelta(minutes=10)


class _PasswordOwner:
    """What the password validators compare a password against."""

    def __init__(self, email: str, company_name: str) -> None:
        self.email = email
        self.username = email
        self.first_name = company_name


def _clean(
    *,
    company_name: str,
    subdomain: str,
    admin_email: str,
    admin_password: str,
    plan_code: str,
    reseller: Reseller | None,
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = " ".join(str(company_name or "").split())
    if not name:
        errors["company_name"] = [_("Enter your company name.")]
    elif len(name) > 120:
        errors["company_name"] = [_("At most 120 characters.")]

    sub = normalize_subdomain(subdomain)
    try:
        validate_subdomain(sub)
    except ValidationError as exc:
        errors["subdomain"] = list(exc.messages)

    email = str(admin_email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["admin_email"] = [_("Enter a valid e-mail address.")]

    try:
        validate_password(str(admin_password or ""), user=cast(Any, _PasswordOwner(email, name)))
    except ValidationError as exc:
        errors["admin_password"] = list(exc.messages)

    plans = Plan.objects.all() if reseller else Plan.objects.filter(is_public=True)
    plan = plans.filter(code=str(plan_code or "")).first()
    if plan is None:
        errors["plan"] = [_("Choose one of the plans offered.")]

    if errors:
        raise ValidationError(errors)
    return {"company_name": name, "subdomain": sub, "admin_email": email, "plan": plan}


def _subdomain_taken(subdomain: str) -> bool:
    host = f"{subdomain}.{settings.BASE_DOMAIN}"
    return (
        Tenant.objects.filter(subdomain=subdomain).exists()
        or Tenant.objects.filter(schema_name=schema_name_for(subdomain)).exists()
        or Domain.objects.filter(domain=host).exists()
    )


def signup_submit(
    *,
    company_name: str,
    subdomain: str,
    admin_email: str,
    admin_password: str,
    plan_code: str,
    reseller: Reseller | None = None,
    language: str = "zh-hans",
    actor: str = "",
    ip: str | None = None,
) -> Signup:
    """Record a signup and queue its provisioning. Raises ValidationError or ConflictError."""
    from tenants.services.audit import audit_record
    from tenants.tasks import provision_signup

    data = _clean(
        company_name=company_name,
        subdomain=subdomain,
        admin_email=admin_email,
        admin_password=admin_password,
        plan_code=plan_code,
        reseller=reseller,
    )
    taken = ConflictError(
        _("This subdomain is already taken. Please choose another."), code="subdomain_taken", field="subdomain"
    )
    if _subdomain_taken(data["subdomain"]):
        raise taken
    try:
        with transaction.atomic():
            signup = Signup.objects.create(
                **data,
                admin_password_hash=make_password(admin_password),
                reseller=reseller,
                language=language if language in ("zh-hans", "en") else "zh-hans",
            )
            audit_record(
                actor=actor or data["admin_email"],
                action="signup.submitted",
                reseller=reseller,
                ip=ip,
                signup=str(signup.pk),
                subdomain=data["subdomain"],
                plan=data["plan"].code,
            )
            provision_signup.delay_on_commit(str(signup.pk))
    except IntegrityError as exc:
        # Another signup holds this subdomain: the partial unique index picked exactly one winner.
        raise taken from exc
    return signup


def signup_retry(*, signup: Signup, actor: str = "") -> Signup:
    """Queue a failed signup again. Its subdomain must still be free."""
    from tenants.services.audit import audit_record
    from tenants.tasks import provision_signup

    stale = signup.status in (SignupStatus.PENDING, SignupStatus.PROVISIONING) and (
        timezone.now() - signup.updated_at > STALE_AFTER
    )
    if signup.status != SignupStatus.FAILED and not stale:
        raise ConflictError(_("Only a failed signup can be retried."), code="not_failed")
    if not signup.admin_password_hash:
        raise ConflictError(_("This signup can no longer be retried; please sign up again."), code="expired")
    if _subdomain_taken(signup.subdomain):
        raise ConflictError(_("This subdomain is already taken. Please choose another."), code="subdomain_taken")
    try:
        with transaction.atomic():
            Signup.objects.filter(pk=signup.pk).update(
                status=SignupStatus.PENDING, failure_reason="", progress=0, updated_at=timezone.now()
            )
            audit_record(actor=actor or signup.admin_email, action="signup.retried", signup=str(signup.pk))
            provision_signup.delay_on_commit(str(signup.pk))
    except IntegrityError as exc:
        raise ConflictError(
            _("This subdomain is already taken. Please choose another."), code="subdomain_taken"
        ) from exc
    signup.refresh_from_db()
    return signup
