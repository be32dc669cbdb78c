"""A Chinese postal address as a value: checked and normalized, plain data in and out.

No ORM and no Django: the customer portal, the chat bot and the IVR all parse what the
customer gave with ``address_parse`` and get either a ``PostalAddress`` or an
``AddressInvalid`` listing every problem by field with a stable code. Each interface turns
the codes into its own words (the services translate them for forms and APIs; the IVR may
speak them), so no wording lives here.

Text is kept as typed except for whitespace: leading and trailing whitespace is dropped and
every run of whitespace (tabs, new lines, the full-width space) becomes one space. Markup is
not refused or "cleaned": it is stored as plain text and escaped wherever it is shown.
Control characters are refused: they are never part of an address, PostgreSQL cannot store
NUL in JSON, and bidirectional overrides can make a label print differently from the data.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from customers.domain.phones import InvalidPhoneNumber, normalize_phone

FIELDS = ("province", "city", "district", "detail", "name", "phone")

# (shortest, longest) in characters, counted after whitespace is collapsed.
LENGTHS: dict[str, tuple[int, int]] = {
    "province": (1, 60),
    "city": (1, 60),
    "district": (1, 60),
    "detail": (5, 200),
    "name": (1, 50),
    "phone": (1, 40),
}

MAINLAND_PREFIX = "+86"

# The 34 provincial-level divisions, by their full official names.
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
PROVINCES_ONLY = (
    "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省", "浙江省", "安徽省",
    "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省",
    "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "台湾省",
)  # fmt: skip
AUTONOMOUS_REGIONS = ("内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区")
SPECIAL_REGIONS = ("香港特别行政区", "澳门特别行政区")
PROVINCES = MUNICIPALITIES + PROVINCES_ONLY + AUTONOMOUS_REGIONS + SPECIAL_REGIONS

# Where the city is commonly the division itself ("北京市 北京市 朝阳区", "香港 香港 九龙城区").
CITY_MAY_BE_PROVINCE = frozenset(MUNICIPALITIES + SPECIAL_REGIONS)

_SHORT_AUTONOMOUS = {"内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏",
                     "宁夏回族自治区": "宁夏", "新疆维吾尔自治区": "新疆"}  # fmt: skip


def _aliases() -> dict[str, str]:
    """Every accepted spelling -> the full name: "北京" and "北京市", "广西", "广西自治区", "香港特区"..."""
    table = {name: name for name in PROVINCES}
    for name in MUNICIPALITIES + PROVINCES_ONLY:
        table[name[:-1]] = name  # 北京市 -> 北京, 黑龙江省 -> 黑龙江
    for name, short in _SHORT_AUTONOMOUS.items():
        table[short] = name
        table[short + "自治区"] = name
    for name in SPECIAL_REGIONS:
        short = name.removesuffix("特别行政区")
        table[short] = name
        table[short + "特区"] = name
    return table


PROVINCE_ALIASES: dict[str, str] = _aliases()

# Right-to-left/left-to-right embeddings, overrides and isolates: they reorder what is shown.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Separators a pasted address may hold; every other "Cc" character is refused.
_LINE_BREAKS = frozenset("\t\n\r\u2028\u2029\x85")


@dataclass(frozen=True)
class AddressProblem:
    """One problem with one field. ``code`` is stable; ``limit`` is the bound a length code broke."""

    field: str
    code: str  # required, not_text, too_short, too_long, control_characters, unknown_province,
    # city_is_province, invalid_phone, not_mainland_phone
    limit: int | None = None


class AddressInvalid(ValueError):
    """Every problem found, not only the first: a form can mark all its fields at once."""

    def __init__(self, problems: list[AddressProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.code}" for p in problems))
        self.problems = problems

    def by_field(self) -> dict[str, list[AddressProblem]]:
        grouped: dict[str, list[AddressProblem]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.field, []).append(problem)
        return grouped


@dataclass(frozen=True)
class PostalAddress:
    province: str  # the full name, e.g. 广西壮族自治区
    city: str
    district: str
    detail: str  # street, number, building, room
    name: str  # the recipient
    phone: str  # as typed (whitespace collapsed)
    phone_e164: str  # +86...

    def as_dict(self) -> dict[str, str]:
        """The shape ``Order.shipping_address`` has when the shop sends it (customers.services.orders)."""
        return {
            "name": self.name,
            "phone": self.phone,
            "province": self.province,
            "city": self.city,
            "district": self.district,
            "detail": self.detail,
            "phone_e164": self.phone_e164,
        }


def collapse_whitespace(text: str) -> str:
    """Strip, and make every run of whitespace one ASCII space. Idempotent."""
    spaced = "".join(" " if (ch in _LINE_BREAKS or unicodedata.category(ch) == "Zs") else ch for ch in text)
    return " ".join(part for part in spaced.split(" ") if part)


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS for ch in text)


def province_canonical(text: str) -> str | None:
    """The full name of a provincial-level division from any accepted spelling, or None."""
    return PROVINCE_ALIASES.get(collapse_whitespace(text).replace(" ", ""))


def _text(raw: Mapping[str, object], field: str, problems: list[AddressProblem]) -> str | None:
    value = raw.get(field)
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.append(AddressProblem(field, "not_text"))
        return None
    text = collapse_whitespace(value)
    shortest, longest = LENGTHS[field]
    if not text:
        problems.append(AddressProblem(field, "required"))
    elif has_control_characters(text):
        problems.append(AddressProblem(field, "control_characters"))
    elif len(text) > longest:
        problems.append(AddressProblem(field, "too_long", longest))
    elif len(text) < shortest:
        problems.append(AddressProblem(field, "too_short", shortest))
    else:
        return text
    return None


def _mainland_phone(text: str, problems: list[AddressProblem]) -> str | None:
    try:
        e164 = normalize_phone(text)
    except InvalidPhoneNumber:
        problems.append(AddressProblem("phone", "invalid_phone"))
        return None
    if not e164.startswith(MAINLAND_PREFIX):
        problems.append(AddressProblem("phone", "not_mainland_phone"))
        return None
    return e164


def address_parse(raw: Mapping[str, object]) -> PostalAddress:
    """Check and normalize an address the customer typed; ``AddressInvalid`` lists every problem.

    Keys other than ``FIELDS`` are ignored (``phone_e164`` of a stored address included: it
    is always computed again from ``phone``), so a stored address parses back to itself.
    """
    problems: list[AddressProblem] = []
    texts = {field: _text(raw, field, problems) for field in FIELDS}
    province = None
    if texts["province"] is not None:
        province = province_canonical(texts["province"])
        if province is None:
            problems.append(AddressProblem("province", "unknown_province"))
    city = texts["city"]
    if province is not None and city is not None and province_canonical(city) == province:
        if province in CITY_MAY_BE_PROVINCE:
            city = province  # "北京" as the city of 北京市 is 北京市
        else:
            problems.append(AddressProblem("city", "city_is_province"))
            city = None
    phone_e164 = _mainland_phone(texts["phone"], problems) if texts["phone"] is not None else None
    if problems:
        raise AddressInvalid(problems)
    assert province is not None and city is not None and phone_e164 is not None  # no problems: all set
    return PostalAddress(
        province=province,
        city=city,
        district=str(texts["district"]),
        detail=str(texts["detail"]),
        name=str(texts["name"]),
        phone=str(texts["phone"]),
        phone_e164=phone_e164,
    )
