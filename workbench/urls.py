"""The desk's API, mounted at /api/v1/ (docs/workbench.md)."""

from django.urls import path

from workbench import apis, apis_conversation, apis_desk

urlpatterns = [
    path("canned-responses/", apis.CannedResponseListApi.as_view(), name="api-canned-responses"),
    path("canned-responses/<int:response_id>/", apis.CannedResponseApi.as_view(), name="api-canned-response"),
    path("conversations/<int:conversation_id>/ticket-draft/", apis.TicketDraftApi.as_view(), name="api-ticket-draft"),
    path("customers/<int:customer_id>/screen-pop/", apis.ScreenPopApi.as_view(), name="api-screen-pop"),
]
urlpatterns += [
    path(
        "conversations/<int:conversation_id>/notes/",
        apis_conversation.ConversationNotesApi.as_view(),
        name="api-conversation-notes",
    ),
    path(
        "conversations/<int:conversation_id>/wrap-up/",
        apis_conversation.ConversationWrapUpApi.as_view(),
        name="api-conversation-wrap-up",
    ),
    path("wrap-up-codes/", apis_conversation.WrapUpCodesApi.as_view(), name="api-wrap-up-codes"),
]
urlpatterns += [
    path("uploads/", apis_desk.AgentUploadsApi.as_view(), name="api-agent-uploads"),
    path(
        "conversations/<int:conversation_id>/compensation-link/",
        apis_desk.CompensationLinkApi.as_view(),
        name="api-conversation-compensation-link",
    ),
    path("desk/conversations/", apis_desk.DeskConversationsApi.as_view(), name="api-desk-conversations"),
    path("supervisor/", apis_desk.SupervisorApi.as_view(), name="api-supervisor"),
]
