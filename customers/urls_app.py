"""The shop backend's API on a tenant host, mounted at /api/v1/app/ (APP channel keys only)."""

from django.urls import path

from customers import apis_app

urlpatterns = [
    path("orders/sync/", apis_app.OrdersSyncApi.as_view(), name="api-app-orders-sync"),
    path("activity/", apis_app.ActivityApi.as_view(), name="api-app-activity"),
]
