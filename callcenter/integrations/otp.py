"""Delivering one-time sign-in codes to a phone (SMS) or an e-mail address.

The portal builds the code and the text; a ``CodeSender`` only carries it. Which sender runs is
the setting ``PORTAL_CODE_SENDER`` (a dotted path to a class taking no arguments):

- ``ConsoleCodeSender`` (the default; development and tests): logs the code, sends nothing.
- ``EmailCodeSender``: e-mail through Django's ``send_mail`` (``EMAIL_*`` settings).
- ``SmsCodeSender``: the base of an SMS provider's sender; subclass it and write ``send_sms``.
- ``EmailAndSmsCodeSender``: e-mail as above, SMS through the ``SmsCodeSender`` subclass named by
  ``PORTAL_SMS_SENDER``.

A sender says which kinds of address it serves (``kinds``); anything that goes wrong is a
``CodeSendError``. Codes are never logged except by the console sender, which exists to show them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Protocol

import structlog
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.utils.module_loading import import_string

log = structlog.get_logger(__name__)

PHONE = "phone"
EMAIL = "email"


class CodeSendError(Exception):
    """The code could not be handed to the provider; the caller may tell the person to retry."""


class CodeSender(Protocol):
    kinds: ClassVar[frozenset[str]]

    def send_code(self, *, kind: str, to: str, code: str, subject: str, text: str) -> None:
        """Deliver ``text`` (which contains ``code``) to ``to``, an E.164 phone or an e-mail address."""
        ...


def mask(kind: str, to: str) -> str:
    """Enough of an address to recognise it, not enough to learn it: +86138****5678, c***@example.cn."""
    if kind == EMAIL:
        local, _, domain = to.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{to[:-8]}****{to[-4:]}" if len(to) > 8 else "****"


class ConsoleCodeSender:
    """Development: the code goes to the log (look for ``otp.console_code``), nowhere else."""

    kinds: ClassVar[frozenset[str]] = frozenset({PHONE, EMAIL})

    def send_code(self, *, kind: str, to: str, code: str, subject: str, text: str) -> None:
        log.info("otp.console_code", kind=kind, to=to, code=code)


class EmailCodeSender:
    kinds: ClassVar[frozenset[str]] = frozenset({EMAIL})

    def send_code(self, *, kind: str, to: str, code: str, subject: str, text: str) -> None:
        if kind != EMAIL:
            raise CodeSendError(f"{type(self).__name__} sends e-mail only")
        try:
            send_mail(subject, text, None, [to], fail_silently=False)
        except Exception as exc:  # SMTP, DNS, timeouts: whatever the mail backend raises
            log.warning("otp.email_failed", to=mask(kind, to), error=type(exc).__name__)
            raise CodeSendError("the e-mail could not be sent") from exc


class SmsCodeSender(ABC):
    """Base of a real SMS provider (Aliyun, Tencent Cloud SMS...): write ``send_sms``.

    ``send_sms`` must time out (a few seconds: the customer is waiting on the page) and raise
    ``CodeSendError`` for any failure. Chinese providers usually want an approved template and
    its parameters rather than free text; such a subclass uses ``code`` and ignores ``text``.
    """

    kinds: ClassVar[frozenset[str]] = frozenset({PHONE})

    def send_code(self, *, kind: str, to: str, code: str, subject: str, text: str) -> None:
        if kind != PHONE:
            raise CodeSendError(f"{type(self).__name__} sends SMS only")
        self.send_sms(phone=to, code=code, text=text)

    @abstractmethod
    def send_sms(self, *, phone: str, code: str, text: str) -> None: ...


class EmailAndSmsCodeSender:
    """E-mail through Django, SMS through the ``SmsCodeSender`` subclass in ``PORTAL_SMS_SENDER``."""

    kinds: ClassVar[frozenset[str]] = frozenset({PHONE, EMAIL})

    def __init__(self) -> None:
        self.email = EmailCodeSender()
        path = settings.PORTAL_SMS_SENDER
        if not path:
            raise ImproperlyConfigured("EmailAndSmsCodeSender needs PORTAL_SMS_SENDER (an SmsCodeSender subclass).")
        self.sms: SmsCodeSender = import_string(path)()

    def send_code(self, *, kind: str, to: str, code: str, subject: str, text: str) -> None:
        sender: CodeSender = self.email if kind == EMAIL else self.sms
        sender.send_code(kind=kind, to=to, code=code, subject=subject, text=text)


class LocmemCodeSender:
    """Tests: what would have been sent is kept in ``LocmemCodeSender.outbox``, newest last."""

    kinds: ClassVar[frozenset[str]] = frozenset({PHONE, EMAIL})
    outbox: ClassVar[list[dict[str, str]]] = []

    def send_code(self, *, kind: str, to: str, code: str, subject: str, text: str) -> None:
        self.outbox.append({"kind": kind, "to": to, "code": code, "subject": subject, "text": text})


def code_sender() -> CodeSender:
    """The configured sender (read on every call, so tests can switch it with ``settings``)."""
    sender: CodeSender = import_string(settings.PORTAL_CODE_SENDER)()
    return sender
