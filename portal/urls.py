"""The customer portal on a tenant's host, mounted at /portal/ (docs/portal.md)."""

from django.urls import path

from portal import views, views_tickets

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-in/code/", views.sign_in_code, name="sign-in-code"),
    path("sign-in/resend/", views.sign_in_resend, name="sign-in-resend"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("orders/<str:order_no>/", views.order_detail, name="order"),
    path("orders/<str:order_no>/address/", views.order_address, name="order-address"),
    path("l/<str:token>/", views.ticket_link, name="link"),
]

# --- Ticket pages (portal/views_tickets.py) --------------------------------------------------
urlpatterns += [
    path("tickets/<int:number>/", views_tickets.ticket_detail, name="ticket"),
    path("tickets/<int:number>/reply/", views_tickets.ticket_reply, name="ticket-reply"),
    path("tickets/<int:number>/rating/", views_tickets.ticket_rating, name="ticket-rating"),
    path(
        "tickets/<int:number>/files/<int:attachment_id>/",
        views_tickets.ticket_attachment,
        name="ticket-attachment",
    ),
]
