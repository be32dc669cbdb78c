"""Socket events of the APP channel: the per-APP-user group and ``conversation.opened``."""

from __future__ import annotations

import hashlib

from callcenter.core.realtime import publish
from callcenter.core.tenancy import group_name


def app_user_group(tenant_id: int, namespace: str, app_user_id: str) -> str:
    """Every /ws/app/ socket of one APP user: ``t{tenant}.appuser.{digest}``.

    The user is (namespace, app user id), the same key that finds their customer
    (``channel_app_user_namespace``), so two APP channels sharing a namespace share the user.
    Ids may hold any characters and be 128 long; group names may not, so they are hashed.
    """
    digest = hashlib.sha256(f"{namespace}\n{app_user_id}".encode()).hexdigest()[:32]
    return group_name(tenant_id, "appuser", digest)


def conversation_opened(tenant_id: int, namespace: str, app_user_id: str, conversation_id: int) -> None:
    """Tell the user's sockets to follow a new conversation. Called after the opening commit."""
    publish(app_user_group(tenant_id, namespace, app_user_id), "conversation.opened", {"conversation": conversation_id})
