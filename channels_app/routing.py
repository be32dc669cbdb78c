from django.urls import path

from channels_app.consumers.app import AppConsumer
from channels_app.consumers.staff import StaffConsumer
from channels_app.consumers.widget import WidgetConsumer

websocket_urlpatterns = [
    path("ws/staff/", StaffConsumer.as_asgi()),
    path("ws/app/", AppConsumer.as_asgi()),
    path("ws/widget/", WidgetConsumer.as_asgi()),
]
