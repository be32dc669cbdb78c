"""Chinese postal addresses (customers.domain.addresses): plain data, no database."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customers.domain.addresses import (
    CITY_MAY_BE_PROVINCE,
    FIELDS,
    PROVINCES,
    AddressInvalid,
    PostalAddress,
    address_parse,
    collapse_whitespace,
    province_canonical,
)

GOOD = {
    "province": "广东省",
    "city": "深圳市",
    "district": "南山区",
    "detail": "深南大道10000号 腾讯大厦 3栋 1201室",
    "name": "张三",
    "phone": "138 1234 5678",
}


def problems(raw: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(AddressInvalid) as caught:
        address_parse(raw)
    return {field: [p.code for p in found] for field, found in caught.value.by_field().items()}


def test_a_good_address_is_normalized_into_the_stored_shape() -> None:
    raw = {
        **GOOD,
        "province": " 广东 ",
        "detail": "  深南大道10000号\n腾讯大厦\t3栋\u3000\u30001201室 ",
        "phone": "+86 (138) 1234-5678",
        "extra": "ignored",
    }
    address = address_parse(raw)
    assert address == PostalAddress(
        province="广东省",
        city="深圳市",
        district="南山区",
        detail="深南大道10000号 腾讯大厦 3栋 1201室",
        name="张三",
        phone="+86 (138) 1234-5678",
        phone_e164="+8613812345678",
    )
    assert address.as_dict() == {
        "name": "张三",
        "phone": "+86 (138) 1234-5678",
        "province": "广东省",
        "city": "深圳市",
        "district": "南山区",
        "detail": "深南大道10000号 腾讯大厦 3栋 1201室",
        "phone_e164": "+8613812345678",
    }


def test_there_are_34_provincial_level_divisions() -> None:
    assert len(PROVINCES) == len(set(PROVINCES)) == 34
    for name in PROVINCES:
        assert province_canonical(name) == name


@pytest.mark.parametrize(
    ("given_name", "full"),
    [
        ("北京", "北京市"),
        ("上海", "上海市"),
        ("广西", "广西壮族自治区"),
        ("广西自治区", "广西壮族自治区"),
        ("内蒙古", "内蒙古自治区"),
        ("新疆", "新疆维吾尔自治区"),
        ("宁夏", "宁夏回族自治区"),
        ("西藏", "西藏自治区"),
        ("黑龙江", "黑龙江省"),
        ("香港", "香港特别行政区"),
        ("澳门特区", "澳门特别行政区"),
        ("台湾", "台湾省"),
        (" 广 东 省 ", "广东省"),
    ],
)
def test_common_short_forms_become_the_full_name(given_name: str, full: str) -> None:
    assert province_canonical(given_name) == full
    assert address_parse({**GOOD, "province": given_name, "city": "某市"}).province == full


@pytest.mark.parametrize("bad", ["广东市", "加州", "北京省", "中国", "<b>广东</b>"])
def test_anything_else_is_not_a_province(bad: str) -> None:
    assert problems({**GOOD, "province": bad}) == {"province": ["unknown_province"]}


def test_a_municipality_may_be_its_own_city_a_province_may_not() -> None:
    beijing = address_parse({**GOOD, "province": "北京", "city": "北京", "district": "朝阳区"})
    assert (beijing.province, beijing.city) == ("北京市", "北京市")
    assert address_parse({**GOOD, "province": "北京市", "city": "市辖区"}).city == "市辖区"
    assert address_parse({**GOOD, "province": "香港", "city": "香港"}).city == "香港特别行政区"
    assert "北京市" in CITY_MAY_BE_PROVINCE and "广东省" not in CITY_MAY_BE_PROVINCE
    assert problems({**GOOD, "city": "广东"}) == {"city": ["city_is_province"]}


def test_every_missing_field_is_reported_at_once() -> None:
    assert problems({}) == {field: ["required"] for field in FIELDS}
    assert problems({**GOOD, "name": "   ", "district": None}) == {"name": ["required"], "district": ["required"]}


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("province", "省" * 61, "too_long"),
        ("city", "市" * 61, "too_long"),
        ("district", "区" * 61, "too_long"),
        ("detail", "一二三四", "too_short"),
        ("detail", "路" * 201, "too_long"),
        ("name", "名" * 51, "too_long"),
        ("phone", "1" * 41, "too_long"),
        ("city", 12, "not_text"),
        ("detail", ["深南大道"], "not_text"),
    ],
)
def test_lengths_and_types(field: str, value: Any, code: str) -> None:
    assert problems({**GOOD, field: value}) == {field: [code]}


def test_lengths_count_characters_after_collapsing_whitespace() -> None:
    assert address_parse({**GOOD, "detail": "路" * 200}).detail == "路" * 200
    assert address_parse({**GOOD, "detail": " 1 2 3 "}).detail == "1 2 3"  # 5 characters
    assert problems({**GOOD, "detail": " 1   2 "}) == {"detail": ["too_short"]}
    assert address_parse({**GOOD, "name": "李"}).name == "李"


@pytest.mark.parametrize(
    "bad", ["深南大道\x00100号", "深南大道\x07100号", "\x1b[31m深南大道100号", "深南大道\u202e号001"]
)
def test_control_characters_are_refused(bad: str) -> None:
    assert problems({**GOOD, "detail": bad}) == {"detail": ["control_characters"]}


def test_markup_is_kept_as_typed_text() -> None:
    typed = '<script>alert("x")</script> 深南大道 & <img src=x onerror=alert(1)>'
    assert address_parse({**GOOD, "detail": typed, "name": "<b>张三</b>"}).detail == typed


@pytest.mark.parametrize(
    ("phone", "e164"),
    [("13812345678", "+8613812345678"), ("0086-138-1234-5678", "+8613812345678"),
     ("１３８１２３４５６７８", "+8613812345678"), ("010-12345678", "+861012345678"),
     ("0755 8765 4321", "+8675587654321")],
)  # fmt: skip
def test_mainland_mobiles_and_landlines(phone: str, e164: str) -> None:
    assert address_parse({**GOOD, "phone": phone}).phone_e164 == e164


@pytest.mark.parametrize(
    ("phone", "code"),
    [("+852 9123 4567", "not_mainland_phone"), ("+1 650 253 0000", "not_mainland_phone"),
     ("12345", "invalid_phone"), ("138-abcd-5678", "invalid_phone"), ("<script>13812345678", "invalid_phone")],
)  # fmt: skip
def test_other_phone_numbers_are_refused(phone: str, code: str) -> None:
    assert problems({**GOOD, "phone": phone}) == {"phone": [code]}


# --- properties -------------------------------------------------------------------------------

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
spaced_words = st.lists(
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=8), min_size=1, max_size=6
)
gaps = st.sampled_from([" ", "  ", "\t", "\n", "\u3000", "\xa0", " \r\n "])


@given(texts)
def test_collapsing_whitespace_is_idempotent(text: str) -> None:
    once = collapse_whitespace(text)
    assert collapse_whitespace(once) == once
    # Other control characters (form feed, escape...) stay, to be refused by address_parse.
    assert once == once.strip(" ") and "  " not in once and "\n" not in once and "\u3000" not in once


@given(
    province=st.sampled_from([*PROVINCES, "北京", "广西", "新疆", "香港", "黑龙江"]),
    detail=st.tuples(spaced_words, gaps).map(lambda parts: parts[1].join(parts[0])),
    name=spaced_words.map(" ".join),
    phone=st.sampled_from(["13812345678", "+86 139 0000 1111", "010-12345678", "０２１－６２３４５６７８"]),
)
def test_parsing_a_parsed_address_gives_it_back(province: str, detail: str, name: str, phone: str) -> None:
    raw = {**GOOD, "province": province, "city": "某市", "detail": detail + " 100号", "name": name[:50], "phone": phone}
    first = address_parse(raw)
    assert address_parse(first.as_dict()) == first  # normalization is idempotent
    assert first.phone_e164.startswith("+86")


@given(st.dictionaries(st.sampled_from(FIELDS), st.one_of(texts, st.none(), st.integers())))
def test_any_input_gives_an_address_or_field_problems_never_a_crash(raw: dict[str, Any]) -> None:
    try:
        address = address_parse(raw)
    except AddressInvalid as exc:
        assert exc.problems and {p.field for p in exc.problems} <= set(FIELDS)
    else:
        assert address.province in PROVINCES and address.phone_e164.startswith("+86")
