"""Channel endpoints on a tenant host, mounted at /channels/: the WeChat webhook, the widget, files."""

from django.urls import path

from channels_app import apis_widget, views_files, views_wechat, views_wechat_oauth

urlpatterns = [
    path("wechat/<int:channel_id>/", views_wechat.wechat_webhook, name="channels-wechat-webhook"),
    path(
        "wechat/<int:channel_id>/oauth/start/",
        views_wechat_oauth.wechat_oauth_start,
        name="channels-wechat-oauth-start",
    ),
    path(
        "wechat/<int:channel_id>/oauth/callback/",
        views_wechat_oauth.wechat_oauth_callback,
        name="channels-wechat-oauth-callback",
    ),
    path("widget/<int:channel_id>/config/", apis_widget.WidgetConfigApi.as_view(), name="widget-config"),
    path("widget/<int:channel_id>/visitors/", apis_widget.WidgetVisitorsApi.as_view(), name="widget-visitors"),
    path("widget/<int:channel_id>/uploads/", apis_widget.WidgetUploadsApi.as_view(), name="widget-uploads"),
    path("files/<str:token>/", views_files.channel_file, name="channel-file"),
]
