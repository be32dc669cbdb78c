"""Routes served on every host: language switching and the OpenAPI schema of that host's API."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


def common_urls(urlconf: str) -> list[URLPattern | URLResolver]:
    return [
        path("i18n/", include("django.conf.urls.i18n")),
        path("api/schema/", SpectacularAPIView.as_view(urlconf=urlconf), name="api-schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    ]
