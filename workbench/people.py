"""How the desk names a colleague: their agent display name, else their username."""

from __future__ import annotations

from typing import Any


def person_name(user: Any) -> str:
    """``""`` for a user who no longer exists (their notes and wrap-ups stay)."""
    if user is None:
        return ""
    profile = getattr(user, "agent_profile", None)  # a missing profile raises an AttributeError subclass
    return str(profile.display_name) if profile is not None and profile.display_name else str(user.get_username())
