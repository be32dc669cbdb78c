"""Identity resolution: every inbound contact finds its one customer, or becomes a new one.

Strong keys link automatically: an identity already seen, a WeChat unionid, an APP user id,
and a verified phone number. Weak matches (the same unverified phone, the same name) never
link on their own; they become merge suggestions that a person reviews.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction

from callcenter.core.tenancy import current_schema
from customers.domain.phones import InvalidPhoneNumber, normalize_phone
from customers.models import (
    ChannelIdentity,
    Customer,
    IdentityKind,
    MembershipTier,
    MergeSuggestion,
)

MAX_MERGE_HOPS = 20


@dataclass(frozen=True)
class Contact:
    """Who an inbound contact says it is. ``kind``/``external_id`` is the channel's own id."""

    kind: str
    external_id: str
    namespace: str = ""
    display_name: str = ""
    phone: str = ""
    phone_verified: bool = False
    wechat_unionid: str = ""
    email: str = ""
    tier_code: str = ""
    extra_ids: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Resolution:
    customer: Customer
    created: bool
    suggestions: list[MergeSuggestion]


def surviving(customer: Customer) -> Customer:
    """Follow merges to the profile that holds everything now."""
    hops = 0
    while customer.merged_into_id is not None and hops < MAX_MERGE_HOPS:
        customer = Customer.objects.get(pk=customer.merged_into_id)
        hops += 1
    return customer


def same_person(a: Customer, b: Customer) -> bool:
    """The two profiles are one customer, also when one was merged into the other since."""
    return a.pk == b.pk or surviving(a).pk == surviving(b).pk


def _identity_owner(kind: str, namespace: str, external_id: str) -> Customer | None:
    found = (
        ChannelIdentity.objects.select_related("customer")
        .filter(kind=kind, namespace=namespace, external_id=external_id)
        .first()
    )
    return surviving(found.customer) if found else None


def _phone_of(contact: Contact) -> str:
    if not contact.phone:
        return ""
    try:
        return normalize_phone(contact.phone)
    except InvalidPhoneNumber:
        return ""  # a malformed phone is ignored for matching, never fatal to the contact


def _find_strong(contact: Contact, phone: str) -> Customer | None:
    candidates = [(contact.kind, contact.namespace, contact.external_id)]
    if contact.wechat_unionid:
        candidates.append((IdentityKind.WECHAT_UNIONID, "", contact.wechat_unionid))
    candidates += [(kind, "", ext) for kind, ext in contact.extra_ids]
    for kind, namespace, external_id in candidates:
        owner = _identity_owner(kind, namespace, external_id)
        if owner is not None:
            return owner
    if phone and contact.phone_verified:
        verified = (
            ChannelIdentity.objects.select_related("customer")
            .filter(kind=IdentityKind.PHONE, external_id=phone, verified=True)
            .first()
        )
        if verified is not None:
            return surviving(verified.customer)
    return None


def _link(customer: Customer, kind: str, namespace: str, external_id: str, verified: bool) -> None:
    identity, created = ChannelIdentity.objects.get_or_create(
        kind=kind,
        namespace=namespace,
        external_id=external_id,
        defaults={"customer": customer, "verified": verified},
    )
    if not created and verified and not identity.verified and identity.customer_id == customer.pk:
        ChannelIdentity.objects.filter(pk=identity.pk).update(verified=True)


def _weak_suggestions(customer: Customer, phone: str, name: str) -> list[MergeSuggestion]:
    """Other profiles with the same phone (unverified) or the same name, as review items."""
    others: dict[int, str] = {}
    if phone:
        for cid in (
            ChannelIdentity.objects.filter(kind=IdentityKind.PHONE, external_id=phone)
            .exclude(customer=customer)
            .values_list("customer_id", flat=True)
        ):
            others.setdefault(cid, "same_phone")
        for cid in (
            Customer.objects.filter(phones__contains=[phone], merged_into__isnull=True)
            .exclude(pk=customer.pk)
            .values_list("pk", flat=True)
        ):
            others.setdefault(cid, "same_phone")
    if name:
        for cid in (
            Customer.objects.filter(display_name=name, merged_into__isnull=True)
            .exclude(pk=customer.pk)
            .values_list("pk", flat=True)[:20]
        ):
            others.setdefault(cid, "same_name")
    # A phone identity may still point at a merged profile: suggest only live ones.
    live = set(Customer.objects.filter(pk__in=list(others), merged_into__isnull=True).values_list("pk", flat=True))
    made = []
    for cid, reason in others.items():
        if cid not in live:
            continue
        suggestion, created = MergeSuggestion.objects.get_or_create(
            customer=customer, candidate_id=cid, status="open", defaults={"reason": reason}
        )
        if created:
            made.append(suggestion)
    return made


def contact_resolve(contact: Contact) -> Resolution:
    """The customer behind ``contact``, creating and linking as needed. Safe under concurrency."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _resolve_once(contact)
        except IntegrityError:
            # Another contact created the same identity at the same moment: read theirs.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _lock_keys(contact: Contact, phone: str) -> None:
    """Serialize contacts that share any key, so two first contacts cannot both create a customer."""
    keys = {f"{contact.kind}:{contact.namespace}:{contact.external_id}"}
    if contact.wechat_unionid:
        keys.add(f"unionid:{contact.wechat_unionid}")
    keys.update(f"{kind}::{ext}" for kind, ext in contact.extra_ids)
    if phone:
        keys.add(f"phone:{phone}")
    with connection.cursor() as cursor:
        for key in sorted(keys):  # one order everywhere: no deadlocks
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"identity:{current_schema()}:{key}"])


def _resolve_once(contact: Contact) -> Resolution:
    phone = _phone_of(contact)
    _lock_keys(contact, phone)
    customer = _find_strong(contact, phone)
    created = customer is None
    if customer is None:
        tier = MembershipTier.objects.filter(code=contact.tier_code or "normal").first()
        customer = Customer.objects.create(
            display_name=contact.display_name[:100],
            tier=tier,
            phones=[phone] if phone else [],
            emails=[contact.email] if contact.email else [],
        )
    else:
        changed = []
        if phone and phone not in customer.phones:
            customer.phones = [*customer.phones, phone]
            changed.append("phones")
        if contact.display_name and not customer.display_name:
            customer.display_name = contact.display_name[:100]
            changed.append("display_name")
        if changed:
            customer.save(update_fields=[*changed, "updated_at"])
    _link(customer, contact.kind, contact.namespace, contact.external_id, verified=contact.kind in ("app_user",))
    if contact.wechat_unionid:
        _link(customer, IdentityKind.WECHAT_UNIONID, "", contact.wechat_unionid, verified=True)
    for kind, external_id in contact.extra_ids:
        _link(customer, kind, "", external_id, verified=True)
    if phone:
        _link(customer, IdentityKind.PHONE, "", phone, verified=contact.phone_verified)
    suggestions = _weak_suggestions(customer, phone, contact.display_name)
    return Resolution(customer=customer, created=created, suggestions=suggestions)
