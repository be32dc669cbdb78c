"""Channel endpoints on a tenant host, mounted at /channels/: the WeChat webhook."""

from django.urls import path

from channels_app import views_wechat

urlpatterns = [
    path("wechat/<int:channel_id>/", views_wechat.wechat_webhook, name="channels-wechat-webhook"),
]
