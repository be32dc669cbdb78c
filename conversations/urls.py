from django.urls import path

from conversations import apis

urlpatterns = [
    path("", apis.ConversationsApi.as_view(), name="api-conversations"),
    path("<int:conversation_id>/messages/", apis.ConversationMessagesApi.as_view(), name="api-conversation-messages"),
    path("<int:conversation_id>/read/", apis.ConversationReadApi.as_view(), name="api-conversation-read"),
    path("<int:conversation_id>/resolve/", apis.ConversationResolveApi.as_view(), name="api-conversation-resolve"),
]
