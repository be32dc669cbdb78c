"""The public domain: marketing and signup, the reseller console, the platform admin."""

from django.urls import include, path

from callcenter.admin_sites import platform_admin_site
from callcenter.urls_common import common_urls

urlpatterns = [
    path("admin/", platform_admin_site.urls),
    *common_urls("callcenter.urls_public"),
    path("", include("tenants.urls")),
]
