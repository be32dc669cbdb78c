"""Routing rules: which queue a new contact goes to, and with what priority boost.

Rules are tried in order; the first whose every condition holds wins. An empty condition
matches anything. Plain data in and out, like the engine: the admin stores rules, the routing
worker turns them into these and asks ``rule_match``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time

WEEKDAYS = range(7)  # Monday is 0, as datetime.weekday()


@dataclass(frozen=True)
class Hours:
    """Open from ``start`` to ``end`` (local time) on ``days``; an ``end`` before ``start`` runs past midnight."""

    start: time
    end: time
    days: frozenset[int] = frozenset(WEEKDAYS)

    def open_at(self, moment: datetime) -> bool:
        clock = moment.time()
        if self.start <= self.end:
            return moment.weekday() in self.days and self.start <= clock < self.end
        # Overnight: the evening part belongs to the day it started, the morning part to the day before.
        if clock >= self.start:
            return moment.weekday() in self.days
        return clock < self.end and (moment.weekday() - 1) % 7 in self.days


@dataclass(frozen=True)
class Facts:
    """What is known about a new contact when it is routed."""

    channel: str
    tier: str = ""
    topic: str = ""
    language: str = ""
    first_message: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class Rule:
    id: int
    queue_id: int
    priority_boost: int = 0
    tiers: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()  # any of them in the first message
    hours: Hours | None = None  # only while open (None: always)
    outside_hours: bool = False  # the rule applies when ``hours`` are closed instead

    def conditions(self, facts: Facts) -> list[tuple[str, bool]]:
        """Each condition this rule sets, and whether the facts meet it: what explains a match."""
        checks: list[tuple[str, bool]] = []
        if self.tiers:
            checks.append(("tier", facts.tier in self.tiers))
        if self.topics:
            checks.append(("topic", facts.topic in self.topics))
        if self.channels:
            checks.append(("channel", facts.channel in self.channels))
        if self.languages:
            checks.append(("language", facts.language in self.languages))
        if self.keywords:
            text = normalize_text(facts.first_message)
            checks.append(("keyword", any(normalize_text(word) in text for word in self.keywords if word)))
        if self.hours is not None:
            is_open = facts.at is not None and self.hours.open_at(facts.at)
            checks.append(("hours", is_open != self.outside_hours))
        return checks


@dataclass(frozen=True)
class Match:
    rule: Rule | None
    queue_id: int
    priority_boost: int
    tried: tuple[tuple[int, tuple[tuple[str, bool], ...]], ...] = field(default_factory=tuple)


def normalize_text(text: str) -> str:
    """Full-width letters and digits to half-width, lower case: "ＶＩＰ 退货" finds "vip 退货"."""
    return unicodedata.normalize("NFKC", text).casefold()


def rule_match(rules: Sequence[Rule], facts: Facts, *, default_queue_id: int) -> Match:
    """The first rule that matches, with every rule tried before it and why it failed."""
    tried: list[tuple[int, tuple[tuple[str, bool], ...]]] = []
    for rule in rules:
        checks = tuple(rule.conditions(facts))
        tried.append((rule.id, checks))
        if all(ok for _name, ok in checks):
            return Match(rule, rule.queue_id, rule.priority_boost, tuple(tried))
    return Match(None, default_queue_id, 0, tuple(tried))


def rules_in_order(rules: Iterable[tuple[int, Rule]]) -> list[Rule]:
    """Rules sorted by their position (then id), as the admin orders them."""
    return [rule for _position, rule in sorted(rules, key=lambda pair: (pair[0], pair[1].id))]
