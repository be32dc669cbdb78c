from django.urls import path

from channels_app.consumers.staff import StaffConsumer

websocket_urlpatterns = [
    path("ws/staff/", StaffConsumer.as_asgi()),
]
