"""Reads for the APP channel: an APP user's conversation, a customer's APP user id."""

from __future__ import annotations

from conversations.models import Conversation
from conversations.selectors import conversation_current_for
from customers.models import ChannelIdentity, Customer, IdentityKind
from customers.services.identity import surviving


def app_user_conversation(namespace: str, app_user_id: str) -> Conversation | None:
    """The APP user's open conversation, else their latest one, else None (never wrote yet)."""
    return conversation_current_for(kind=IdentityKind.APP_USER, namespace=namespace, external_id=app_user_id)


def app_user_id_of(customer: Customer, namespace: str) -> str | None:
    """The customer's APP user id in ``namespace``; the newest when a merge left them with several."""
    return (
        ChannelIdentity.objects.filter(customer=surviving(customer), kind=IdentityKind.APP_USER, namespace=namespace)
        .order_by("-created_at", "-pk")
        .values_list("external_id", flat=True)
        .first()
    )


def app_user_identities(customer_id: int) -> list[tuple[str, str]]:
    """(namespace, app user id) of every APP identity of the customer."""
    return list(
        ChannelIdentity.objects.filter(customer_id=customer_id, kind=IdentityKind.APP_USER).values_list(
            "namespace", "external_id"
        )
    )
