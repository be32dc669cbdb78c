"""The small text format queues use for skill requirements: ``vip:2 after-sales:1``.

A code alone means level 1. Codes and levels are checked against the tenant's skills by the
admin form; this module only reads and writes the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_ITEM = re.compile(r"^([a-z0-9][a-z0-9_-]*)(?::([1-5]))?$")
MIN_LEVEL, MAX_LEVEL = 1, 5


class RequirementError(ValueError):
    """``token`` is what could not be read."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def parse_requirements(text: str) -> dict[str, int]:
    """``"vip:2, after-sales"`` -> ``{"vip": 2, "after-sales": 1}``; commas, spaces and 、 separate."""
    required: dict[str, int] = {}
    for token in re.split(r"[\s,，、;；]+", text.strip().lower()):
        if not token:
            continue
        token = token.replace("：", ":")
        match = _ITEM.match(token)
        if match is None:
            raise RequirementError(token)
        required[match.group(1)] = int(match.group(2) or MIN_LEVEL)
    return required


def format_requirements(required: Mapping[str, int]) -> str:
    return " ".join(f"{code}:{level}" for code, level in sorted(required.items()))
