from django.urls import path

from conversations import apis_app

urlpatterns = [
    path("messages/", apis_app.BackendMessagesApi.as_view(), name="api-app-messages"),
    path(
        "conversations/<int:conversation_id>/messages/",
        apis_app.BackendConversationMessagesApi.as_view(),
        name="api-app-conversation-messages",
    ),
    path("user-tokens/", apis_app.UserTokensApi.as_view(), name="api-app-user-tokens"),
    path("me/messages/", apis_app.MyMessagesApi.as_view(), name="api-app-my-messages"),
]
