"""The desk's API, mounted at /api/v1/ (docs/workbench.md)."""

from django.urls import path

from workbench import apis

urlpatterns = [
    path("canned-responses/", apis.CannedResponseListApi.as_view(), name="api-canned-responses"),
    path("canned-responses/<int:response_id>/", apis.CannedResponseApi.as_view(), name="api-canned-response"),
    path("conversations/<int:conversation_id>/ticket-draft/", apis.TicketDraftApi.as_view(), name="api-ticket-draft"),
    path("customers/<int:customer_id>/screen-pop/", apis.ScreenPopApi.as_view(), name="api-screen-pop"),
]
