"""Routing rules: first match wins, every condition explained, Chinese keywords, business hours."""

from __future__ import annotations

from datetime import datetime, time

from routing.domain.rules import Facts, Hours, Rule, normalize_text, rule_match, rules_in_order

WORKDAYS = frozenset(range(5))
OFFICE = Hours(time(9), time(21), WORKDAYS)
VIP_RETURNS = Rule(1, queue_id=10, priority_boost=2, tiers=frozenset({"vip"}), topics=frozenset({"退换货"}))
RETURNS_BY_WORDS = Rule(2, queue_id=11, keywords=("退货", "换货", "return"))
NIGHT = Rule(3, queue_id=12, hours=OFFICE, outside_hours=True)
RULES = [VIP_RETURNS, RETURNS_BY_WORDS, NIGHT]
TUESDAY_NOON = datetime(2026, 11, 24, 12, 0)


def test_a_vip_return_matches_the_first_rule_with_its_boost() -> None:
    match = rule_match(RULES, Facts("web_widget", tier="vip", topic="退换货", at=TUESDAY_NOON), default_queue_id=99)
    assert (match.rule, match.queue_id, match.priority_boost) == (VIP_RETURNS, 10, 2)
    assert match.tried == ((1, (("tier", True), ("topic", True))),)


def test_keywords_match_in_any_width_and_case_and_the_misses_are_explained() -> None:
    facts = Facts("wechat_official", tier="normal", first_message="我想ＲＥＴＵＲＮ这件，可以退货吗", at=TUESDAY_NOON)
    match = rule_match(RULES, facts, default_queue_id=99)
    assert match.queue_id == 11
    assert match.tried[0] == (1, (("tier", False), ("topic", False)))
    assert normalize_text("ＶＩＰ") == "vip"


def test_outside_business_hours_and_the_default_queue() -> None:
    saturday = datetime(2026, 11, 28, 12, 0)
    late = datetime(2026, 11, 24, 22, 30)
    for moment in (saturday, late):
        assert rule_match(RULES, Facts("app", at=moment), default_queue_id=99).queue_id == 12
    fallback = rule_match(RULES, Facts("app", at=TUESDAY_NOON), default_queue_id=99)
    assert fallback.rule is None and fallback.queue_id == 99 and len(fallback.tried) == 3


def test_overnight_hours_belong_to_the_day_they_start() -> None:
    night_shift = Hours(time(22), time(6), frozenset({4}))  # Friday night
    assert night_shift.open_at(datetime(2026, 11, 27, 23, 0))  # Friday 23:00
    assert night_shift.open_at(datetime(2026, 11, 28, 5, 59))  # Saturday 05:59, still Friday's shift
    assert not night_shift.open_at(datetime(2026, 11, 28, 23, 0))  # Saturday night
    assert not night_shift.open_at(datetime(2026, 11, 27, 5, 0))  # Friday morning: Thursday's shift


def test_rules_keep_the_admins_order() -> None:
    assert rules_in_order([(2, NIGHT), (1, RETURNS_BY_WORDS), (0, VIP_RETURNS)]) == RULES
