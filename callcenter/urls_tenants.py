"""A tenant's host: its admin, sign-in, and its API."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from agents import views as agent_views
from callcenter.admin_sites import tenant_admin_site
from callcenter.urls_common import common_urls
from channels_app import views_demo as channel_demo_views
from tenants import apis_tenant

urlpatterns = [
    path("admin/", tenant_admin_site.urls),
    *common_urls("callcenter.urls_tenants"),
    path("accounts/login/", agent_views.TenantLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="/accounts/login/"), name="logout"),
    path("", agent_views.home, name="tenant-home"),
    path("api/v1/usage/", apis_tenant.UsageApi.as_view(), name="api-usage"),
    path("api/v1/burst-requests/", apis_tenant.BurstRequestsApi.as_view(), name="api-burst-requests"),
    path("api/v1/app/", include("customers.urls_app")),
    path("api/v1/app/", include("conversations.urls_app")),
    path("api/v1/app/", include("channels_app.urls_app")),
    path("api/v1/app/", include("tickets.urls_app")),
    path("api/v1/customers/", include("customers.urls")),
    path("api/v1/conversations/", include("conversations.urls")),
    path("api/v1/tickets/", include("tickets.urls")),
    path("api/v1/tickets/", include("portal.urls_api")),
    path("api/v1/", include("routing.urls")),
    path("api/v1/", include("workbench.urls")),
    path("channels/", include("channels_app.urls")),
    path("shop-demo/", channel_demo_views.shop_demo, name="shop-demo"),
    path("portal/", include("portal.urls")),
    path("desk/", include("workbench.urls_pages")),
]
