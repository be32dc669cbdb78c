from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Conversations")

    def ready(self) -> None:
        from conversations.selectors import conversation_timeline_entries
        from conversations.services import refuse_merge_of_two_open_conversations
        from customers.selectors import TIMELINE_SOURCES
        from customers.services.merge import MERGE_CHECKS, MOVABLE

        # A customer's conversations are part of their memory and follow them through merges.
        if conversation_timeline_entries not in TIMELINE_SOURCES:
            TIMELINE_SOURCES.append(conversation_timeline_entries)
        if ("conversations.Conversation", "customer") not in MOVABLE:
            MOVABLE.append(("conversations.Conversation", "customer"))
        if refuse_merge_of_two_open_conversations not in MERGE_CHECKS:
            MERGE_CHECKS.append(refuse_merge_of_two_open_conversations)
