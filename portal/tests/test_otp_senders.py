"""The code senders of callcenter/integrations/otp.py."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from structlog.testing import capture_logs

from callcenter.integrations.otp import (
    CodeSendError,
    ConsoleCodeSender,
    EmailAndSmsCodeSender,
    EmailCodeSender,
    SmsCodeSender,
    code_sender,
    mask,
)


class RecordingSms(SmsCodeSender):
    sent: ClassVar[list[dict[str, str]]] = []

    def send_sms(self, *, phone: str, code: str, text: str) -> None:
        self.sent.append({"phone": phone, "code": code, "text": text})


def send(sender: Any, kind: str, to: str) -> None:
    sender.send_code(kind=kind, to=to, code="123456", subject="Your code", text="Code: 123456")


def test_the_console_sender_logs_the_code() -> None:
    with capture_logs() as logs:
        send(ConsoleCodeSender(), "phone", "+8613812345678")
    assert logs[0]["event"] == "otp.console_code" and logs[0]["code"] == "123456"


def test_the_email_sender_sends_mail_and_only_mail(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send(EmailCodeSender(), "email", "li@example.cn")
    [message] = mail.outbox
    assert message.to == ["li@example.cn"] and message.subject == "Your code" and "123456" in message.body
    with pytest.raises(CodeSendError):
        send(EmailCodeSender(), "phone", "+8613812345678")


def test_a_failing_mail_server_is_a_send_error(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with pytest.raises(CodeSendError):
        send(EmailCodeSender(), "email", "li@example.cn")


def test_email_and_sms_go_their_own_ways(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PORTAL_SMS_SENDER = "portal.tests.test_otp_senders.RecordingSms"
    settings.PORTAL_CODE_SENDER = "callcenter.integrations.otp.EmailAndSmsCodeSender"
    RecordingSms.sent.clear()
    sender = code_sender()
    send(sender, "phone", "+8613812345678")
    send(sender, "email", "li@example.cn")
    assert RecordingSms.sent == [{"phone": "+8613812345678", "code": "123456", "text": "Code: 123456"}]
    assert [m.to for m in mail.outbox] == [["li@example.cn"]]
    with pytest.raises(CodeSendError):
        send(RecordingSms(), "email", "li@example.cn")
    settings.PORTAL_SMS_SENDER = ""
    with pytest.raises(ImproperlyConfigured):
        EmailAndSmsCodeSender()


def test_addresses_are_masked() -> None:
    assert mask("phone", "+8613812345678") == "+86138****5678"
    assert mask("email", "li.ming@example.cn") == "l***@example.cn"
