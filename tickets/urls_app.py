"""Tickets in the shop backend's API, mounted at /api/v1/app/ (APP channel keys only)."""

from django.urls import path

from tickets import apis_app

urlpatterns = [
    path("return-requests/", apis_app.ReturnRequestApi.as_view(), name="api-app-return-requests"),
]
