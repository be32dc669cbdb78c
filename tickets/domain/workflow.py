"""The ticket status workflow: which moves are allowed, and when a customer's reply reopens.

Plain data in and out (statuses are their string values), so the chat bot and the IVR can ask
the same questions later without the ORM.
"""

from __future__ import annotations

from datetime import datetime, timedelta

NEW, OPEN, WAITING_CUSTOMER, WAITING_THIRD_PARTY, RESOLVED, CLOSED = (
    "new",
    "open",
    "waiting_customer",
    "waiting_third_party",
    "resolved",
    "closed",
)
WORKING = frozenset({NEW, OPEN, WAITING_CUSTOMER, WAITING_THIRD_PARTY})

ALLOWED: dict[str, frozenset[str]] = {
    NEW: frozenset({OPEN, WAITING_CUSTOMER, WAITING_THIRD_PARTY, RESOLVED, CLOSED}),
    OPEN: frozenset({WAITING_CUSTOMER, WAITING_THIRD_PARTY, RESOLVED, CLOSED}),
    WAITING_CUSTOMER: frozenset({OPEN, WAITING_THIRD_PARTY, RESOLVED, CLOSED}),
    WAITING_THIRD_PARTY: frozenset({OPEN, WAITING_CUSTOMER, RESOLVED, CLOSED}),
    RESOLVED: frozenset({OPEN, CLOSED}),  # reopened by an agent, or closed for good
    CLOSED: frozenset(),  # final: a new question after closing is a new ticket
}


def may_move(current: str, wanted: str) -> bool:
    return wanted in ALLOWED.get(current, frozenset())


def status_after_customer_reply(
    current: str, resolved_at: datetime | None, now: datetime, reopen_days: int
) -> str | None:
    """The status a customer's reply moves the ticket to, or None to leave it.

    Waiting for the customer: the ball is back with the team (open). Resolved within
    ``reopen_days``: reopened. Later, or closed: left alone (the reply starts a new ticket).
    """
    if current == WAITING_CUSTOMER:
        return OPEN
    if current == RESOLVED and resolved_at is not None and now - resolved_at <= timedelta(days=reopen_days):
        return OPEN
    return None
