"""Suggesting a ticket's category from what the customer wrote: keyword evidence, no model.

Each category has keywords (the tenant's to edit). A keyword found in the text (case-folded;
Chinese needs no word splitting for this) is evidence for its category, weighted by its length
in characters, since a longer phrase is more specific (``七天无理由`` says more than ``退``).
The suggestion is the category with the most evidence; its confidence is its share of all the
evidence found, so 1.0 means no other category matched at all. No keyword found: no suggestion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Suggestion:
    code: str
    confidence: float
    matched: tuple[str, ...]


def category_suggest(text: str, keywords: Mapping[str, Sequence[str]]) -> Suggestion | None:
    folded = text.casefold()
    scores: dict[str, float] = {}
    matched: dict[str, list[str]] = {}
    for code, words in keywords.items():
        for word in words:
            needle = word.strip().casefold()
            if needle and needle in folded:
                scores[code] = scores.get(code, 0.0) + len(needle)
                matched.setdefault(code, []).append(word.strip())
    if not scores:
        return None
    # The highest score wins; a tie goes to the category listed first.
    best = max(scores, key=lambda code: (scores[code], -list(keywords).index(code)))
    return Suggestion(code=best, confidence=round(scores[best] / sum(scores.values()), 2), matched=tuple(matched[best]))
