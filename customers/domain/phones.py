"""Phone numbers to E.164. Chinese numbers are the default: 13812345678, +86 138 1234 5678,
0086-138-1234-5678 and 86 13812345678 are one number."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "CN"
_PHONE_CHARS = set("0123456789+-().")


class InvalidPhoneNumber(ValueError):
    pass


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """The E.164 form (+8613812345678), or InvalidPhoneNumber."""
    text = "".join(ch for ch in str(raw or "") if not ch.isspace())
    # Full-width digits and plus signs are common from Chinese input methods.
    text = text.translate(str.maketrans("０１２３４５６７８９＋－（）", "0123456789+-()"))
    if not text or not set(text) <= _PHONE_CHARS:
        raise InvalidPhoneNumber(f"Not a phone number: {raw!r}")
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.startswith("86") and len(text) == 13 and text[2] == "1":
        text = "+" + text  # 86 + an 11-digit mobile, written without the plus
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"Not a phone number: {raw!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(f"Not a valid phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    number = phonenumbers.parse(e164, None)
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
