"""Canned responses' text: which variables it may use, and filling them in. Pure: text in, text out.

A variable is a name in braces, e.g. ``您好 {customer_name}，您的订单 {order_no} 已发货。``. Only the
names in ``VARIABLES`` are allowed (checked when a response is saved). When a value is not
known (a customer without orders has no ``{order_no}``), the placeholder stays as written, so the
agent sees it in the compose box and fills it in before sending.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

VARIABLES = ("customer_name", "order_no", "ticket_no", "agent_name", "shop_name")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def variables_unknown(body: str) -> list[str]:
    """The variable names in ``body`` that are not allowed, in order of first use."""
    unknown: list[str] = []
    for name in _PLACEHOLDER.findall(body):
        if name not in VARIABLES and name not in unknown:
            unknown.append(name)
    return unknown


def canned_fill(body: str, values: Mapping[str, str | None]) -> str:
    """``body`` with every known variable that has a value replaced, in one pass (a value that
    itself looks like ``{order_no}`` is not filled again)."""

    def replace(match: re.Match[str]) -> str:
        value = values.get(match[1])
        return value if value else match[0]

    return _PLACEHOLDER.sub(replace, body)
