from django.urls import path

from tickets import apis

urlpatterns = [
    path("", apis.TicketListApi.as_view(), name="api-tickets"),
    path("<int:number>/", apis.TicketDetailApi.as_view(), name="api-ticket"),
    path("<int:number>/status/", apis.TicketStatusApi.as_view(), name="api-ticket-status"),
    path("<int:number>/replies/", apis.TicketReplyApi.as_view(), name="api-ticket-replies"),
    path("<int:number>/notes/", apis.TicketNoteApi.as_view(), name="api-ticket-notes"),
    path(
        "<int:number>/attachments/<int:attachment_id>/",
        apis.TicketAttachmentApi.as_view(),
        name="api-ticket-attachment",
    ),
    path("<int:number>/merge/", apis.TicketMergeApi.as_view(), name="api-ticket-merge"),
    path("<int:number>/tags/", apis.TicketTagsApi.as_view(), name="api-ticket-tags"),
    path("<int:number>/tags/<str:name>/", apis.TicketTagApi.as_view(), name="api-ticket-tag"),
    path("<int:number>/history/", apis.TicketHistoryApi.as_view(), name="api-ticket-history"),
    path("<int:number>/conversations/", apis.TicketConversationsApi.as_view(), name="api-ticket-conversations"),
]
