"""The category to suggest for a text, from the tenant's active categories and their keywords."""

from __future__ import annotations

from tickets.domain.classifier import Suggestion, category_suggest
from tickets.models import Category


def category_suggest_for(text: str) -> tuple[Category, Suggestion] | None:
    categories = {c.code: c for c in Category.objects.filter(is_active=True).exclude(keywords=[])}
    found = category_suggest(text, {code: c.keywords for code, c in categories.items()})
    return None if found is None else (categories[found.code], found)
