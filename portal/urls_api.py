"""Portal endpoints for staff, mounted beside the ticket API at /api/v1/tickets/."""

from django.urls import path

from portal import apis

urlpatterns = [
    path("<int:number>/portal-link/", apis.TicketPortalLinkApi.as_view(), name="api-ticket-portal-link"),
]
