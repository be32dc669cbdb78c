"""The words the desk's JavaScript shows, translated on the server and handed to the page as JSON.

Keeping them in the Django catalogue means one translation workflow (and one completeness
test) for templates, Python and the desk's scripts. ``%(name)s`` placeholders are filled in
by the script.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from agents.models import AgentState
from channels_app.models import ChannelKind
from workbench.desk import message_kind_words


def desk_strings() -> dict[str, Any]:
    return {
        "unnamed": _("Unnamed customer"),
        "unread_n": _("%(n)s unread"),
        "typing": _("typing…"),
        "customer_typing": _("The customer is typing…"),
        "reply_placeholder": _(
            "Reply to the customer. Type / for canned responses; Enter sends, Shift+Enter starts a new line."
        ),
        "note_placeholder": _("An internal note: only your team sees it."),
        "add_note": _("Add note"),
        "send": _("Send"),
        "new_contact": _("New contact"),
        "waited": _("waiting %(s)s s"),
        "accept_in": _("Accept (%(s)s s)"),
        "capacity": _("Chats in hand and the most you take at once"),
        "capacity_n": _("Chats %(load)s / %(cap)s"),
        "missed": _("missed an offer"),
        "offline_retry": _("Not connected: try again in a moment."),
        "no_messages": _("No messages yet"),
        "you": _("You"),
        "pop_failed": _("The customer's details could not be loaded."),
        "ended": _("The conversation with %(name)s has ended."),
        "transferred_away": _("The conversation with %(name)s was transferred."),
        "transferred": _("Transferred: %(name)s is in the new queue or with the new agent."),
        "wrapped": _("Wrapped up the conversation with %(name)s."),
        "uploading": _("Uploading %(name)s…"),
        "suggested": _("suggested: %(name)s (%(pct)s%%)"),
        "ticket_created": _("Ticket #%(number)s created."),
        "ticket_linked": _("Linked to ticket #%(number)s."),
        "compensation_sent": _("The compensation link is in the conversation."),
        "read": _("read"),
        "delivered": _("delivered"),
        "sent": _("sent"),
        "channels": {value: str(label) for value, label in ChannelKind.choices},
        "kinds": message_kind_words(),
        "states": {
            **{value: str(label) for value, label in AgentState.choices},
            "reserved": pgettext("agent state", "offer ringing"),
            "busy": pgettext("agent state", "busy"),
        },
        "connection": {
            "connecting": _("connecting…"),
            "open": _("live"),
            "reconnecting": _("reconnecting…"),
            "closed": _("disconnected"),
        },
        "withdrawn": {
            "timeout": _("You did not answer the offer in time: you are now not ready."),
            "agent_unavailable": _("The offer was taken back because you are not available."),
            "contact_ended": _("The customer left before you answered."),
            "transferred": _("The contact was transferred elsewhere."),
        },
        "supervisor": {
            "no_agents": _("No agents to show."),
            "no_queues": _("No queues."),
            "updated": _("updated %(t)s"),
            "ringing_n": _("%(n)s ringing"),
        },
    }
