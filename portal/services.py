"""Signing customers in to the portal with a one-time code sent to their phone or e-mail.

Sending never looks at customers: a code goes to any well-formed address, so the answer is the
same whether or not someone has it (no account enumeration). Only a right code tells who it is:
the customer who has the address (a phone or e-mail identity, else the profile's own lists), or
a new customer made through ``contact_resolve`` with a verified identity.

Codes: 6 digits, kept only as keyed hashes, valid ``PORTAL_CODE_TTL_S``, good once; the newest
code of an address is the only one that counts; ``PORTAL_CODE_MAX_ATTEMPTS`` wrong tries kill
it. The Redis limits in ``portal.limits`` come on top (sending rate, lockouts).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from callcenter.core.errors import ServiceError
from callcenter.core.tenancy import current_schema, require_tenant
from callcenter.integrations.otp import EMAIL, PHONE, CodeSendError, code_sender, mask
from customers.domain.phones import InvalidPhoneNumber, normalize_phone
from customers.models import ChannelIdentity, Customer, IdentityKind
from customers.services.identity import Contact, contact_resolve, surviving
from portal import limits
from portal.models import SignInCode

log = structlog.get_logger("callcenter.portal")

CODE_DIGITS = 6
MAX_ADDRESS_CHARS = 254


class TooManyRequests(ServiceError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, reason: str = "locked") -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.reason = reason  # "locked", or what send_wait refused: "interval", "address", "network"


class CodeRefused(ServiceError):
    """The code was wrong, expired, used up or never asked for."""

    code = "code_refused"


class CodeNotSent(ServiceError):
    status_code = 503
    code = "code_not_sent"


@dataclass(frozen=True)
class Destination:
    """Where a code goes: ``kind`` "phone" (E.164) or "email" (lower case)."""

    kind: str
    value: str

    @property
    def digest(self) -> str:
        """A keyed hash of the address: what the database and the counters know of it."""
        return salted_hmac(
            f"portal.destination:{current_schema()}", f"{self.kind}:{self.value}", algorithm="sha256"
        ).hexdigest()

    @property
    def masked(self) -> str:
        return mask(self.kind, self.value)


def destination_parse(raw: str) -> Destination:
    """A phone number in any usual Chinese spelling, or an e-mail address; else ValidationError."""
    text = (raw or "").strip()
    if "@" in text:
        email = text.lower()
        try:
            validate_email(email)
        except ValidationError:
            email = ""
        if email and len(email) <= MAX_ADDRESS_CHARS:
            return Destination(EMAIL, email)
    else:
        try:
            return Destination(PHONE, normalize_phone(text))
        except InvalidPhoneNumber:
            pass
    raise ValidationError(
        {"destination": [_("Enter a mobile number such as 138 1234 5678, or an e-mail address.")]}, code="invalid"
    )


def _code_digest(destination_digest: str, code: str) -> str:
    return salted_hmac(
        f"portal.sign-in-code:{current_schema()}", f"{destination_digest}:{code}", algorithm="sha256"
    ).hexdigest()


def _minutes(seconds: int) -> int:
    return max(1, (seconds + 59) // 60)


def _locked_out(seconds: int) -> TooManyRequests:
    minutes = _minutes(seconds)
    message = ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    return TooManyRequests(message, retry_after=seconds)


def _send_refused(reason: str, seconds: int) -> TooManyRequests:
    if reason == "interval":
        message = ngettext(
            "A code was just sent. You can ask for another one in %(seconds)d second.",
            "A code was just sent. You can ask for another one in %(seconds)d seconds.",
            seconds,
        ) % {"seconds": seconds}
    else:
        minutes = _minutes(seconds)
        message = ngettext(
            "Too many codes were asked for. Try again in %(minutes)d minute.",
            "Too many codes were asked for. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    return TooManyRequests(message, retry_after=seconds, reason=reason)


def sign_in_code_send(*, destination: Destination, ip: str) -> None:
    """Send a new code to ``destination``; it replaces any earlier one. Raises TooManyRequests."""
    sender = code_sender()
    if destination.kind not in sender.kinds:
        message = (
            _("Sign-in by text message is not available. Use your e-mail address.")
            if destination.kind == PHONE
            else _("Sign-in by e-mail is not available. Use your mobile number.")
        )
        raise ValidationError({"destination": [message]}, code="unsupported")
    digest = destination.digest
    locked = limits.locked_for(digest, ip)
    if locked:
        raise _locked_out(locked)
    refused = limits.send_wait(digest, ip)
    if refused is not None:
        log.info("portal.code_send_refused", reason=refused[0], destination=digest[:12], ip=ip)
        raise _send_refused(*refused)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    ttl = settings.PORTAL_CODE_TTL_S
    row = SignInCode.objects.create(
        destination_digest=digest,
        code_digest=_code_digest(digest, code),
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    minutes = _minutes(ttl)
    text = ngettext(
        "%(name)s: your sign-in code is %(code)s. It is valid for %(minutes)d minute. Never tell it to anyone, "
        "not even to our staff.",
        "%(name)s: your sign-in code is %(code)s. It is valid for %(minutes)d minutes. Never tell it to anyone, "
        "not even to our staff.",
        minutes,
    ) % {"name": require_tenant().name, "code": code, "minutes": minutes}
    try:
        sender.send_code(
            kind=destination.kind, to=destination.value, code=code, subject=_("Your sign-in code"), text=text
        )
    except CodeSendError:
        SignInCode.objects.filter(pk=row.pk).delete()
        limits.send_gate_release(digest)
        log.warning("portal.code_send_failed", kind=destination.kind, destination=digest[:12])
        raise CodeNotSent(_("The code could not be sent just now. Try again in a moment.")) from None
    log.info("portal.code_sent", kind=destination.kind, destination=digest[:12], ip=ip)


def sign_in_code_verify(*, destination: Destination, code: str, ip: str) -> Customer:
    """The customer ``code`` proves ``destination`` belongs to. Raises CodeRefused or TooManyRequests."""
    digest = destination.digest
    locked = limits.locked_for(digest, ip)
    if locked:
        raise _locked_out(locked)
    row = SignInCode.objects.filter(destination_digest=digest).order_by("-created_at", "-id").first()
    now = timezone.now()
    if row is None or row.used_at is not None:
        raise CodeRefused(_("Ask for a new code."), code="code_missing")
    if row.expires_at <= now:
        raise CodeRefused(_("This code has expired. Ask for a new one."), code="code_expired")
    max_attempts = settings.PORTAL_CODE_MAX_ATTEMPTS
    if row.attempts >= max_attempts:
        raise CodeRefused(_("Too many wrong tries for this code. Ask for a new one."), code="code_dead")
    if constant_time_compare(_code_digest(digest, code), row.code_digest):
        # One conditional UPDATE: of two submits racing with the right code, only one signs in.
        taken = SignInCode.objects.filter(
            pk=row.pk, used_at__isnull=True, attempts__lt=max_attempts, expires_at__gt=now
        ).update(used_at=now)
        if taken != 1:
            raise CodeRefused(_("Ask for a new code."), code="code_missing")
        limits.failures_clear(digest)
        customer = _customer_for(destination)
        log.info("portal.sign_in", method="code", kind=destination.kind, customer=customer.pk, ip=ip)
        return customer
    SignInCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
    attempts = SignInCode.objects.filter(pk=row.pk).values_list("attempts", flat=True).first() or max_attempts
    log.info("portal.code_wrong", destination=digest[:12], attempts=attempts, ip=ip)
    if limits.failure_record(digest, ip):
        log.warning("portal.lockout", destination=digest[:12], ip=ip)
        raise _locked_out(settings.PORTAL_LOCKOUT_S)
    left = max_attempts - attempts
    if left <= 0:
        raise CodeRefused(_("Too many wrong tries for this code. Ask for a new one."), code="code_dead")
    raise CodeRefused(
        ngettext(
            "That code is not right. %(left)d try left.",
            "That code is not right. %(left)d tries left.",
            left,
        )
        % {"left": left},
        code="code_wrong",
    )


def _customer_for(destination: Destination) -> Customer:
    """Who has this address: its identity's customer, else the oldest live profile listing it, else new."""
    kind = IdentityKind.PHONE if destination.kind == PHONE else IdentityKind.EMAIL
    if not ChannelIdentity.objects.filter(kind=kind, namespace="", external_id=destination.value).exists():
        listed = Customer.objects.filter(merged_into__isnull=True)
        listed = (
            listed.filter(phones__contains=[destination.value])
            if destination.kind == PHONE
            else listed.filter(emails__contains=[destination.value])
        )
        found = listed.order_by("pk").first()
        if found is not None:
            return found
    # contact_resolve finds the identity's owner (following merges) or makes the customer, and
    # marks the address verified: the code has just proved it.
    if destination.kind == PHONE:
        contact = Contact(kind=kind, external_id=destination.value, phone=destination.value, phone_verified=True)
    else:
        # The main identity is linked unverified; the same id in extra_ids marks it verified.
        contact = Contact(
            kind=kind, external_id=destination.value, email=destination.value, extra_ids=[(kind, destination.value)]
        )
    return surviving(contact_resolve(contact).customer)


def sign_in_codes_purge(*, keep: timedelta = timedelta(days=1)) -> int:
    """Delete codes that expired more than ``keep`` ago (kept that long to look into a complaint)."""
    deleted, _by_model = SignInCode.objects.filter(expires_at__lt=timezone.now() - keep).delete()
    return deleted
