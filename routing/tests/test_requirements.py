from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.domain.requirements import RequirementError, format_requirements, parse_requirements


def test_codes_with_and_without_levels() -> None:
    assert parse_requirements("vip:2, after-sales") == {"vip": 2, "after-sales": 1}


def test_chinese_separators_and_full_width_colon() -> None:
    assert parse_requirements("vip：3、logistics；pre-sales:2") == {"vip": 3, "logistics": 1, "pre-sales": 2}


def test_empty_means_any_agent() -> None:
    assert parse_requirements("  ") == {}


@pytest.mark.parametrize("bad", ["vip:6", "vip:0", "VIP!", "vip:two", ":3"])
def test_unreadable_tokens_are_named(bad: str) -> None:
    with pytest.raises(RequirementError) as caught:
        parse_requirements(f"after-sales {bad}")
    assert caught.value.token == bad.lower()


codes = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)


@given(st.dictionaries(codes, st.integers(1, 5), max_size=5))
def test_format_then_parse_gives_back_the_same(required: dict[str, int]) -> None:
    assert parse_requirements(format_requirements(required)) == required
