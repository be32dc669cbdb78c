"""Public-domain routes of the tenants app: site pages, reseller console, public API."""

from django.contrib.auth import views as auth_views
from django.urls import path

from tenants import apis, views_public, views_reseller

urlpatterns = [
    path("", views_public.home, name="home"),
    path("signup/", views_public.signup, name="signup"),
    path("signup/<uuid:signup_id>/", views_public.signup_progress_page, name="signup-progress"),
    path("signup/<uuid:signup_id>/retry/", views_public.signup_retry_view, name="signup-retry"),
    path("reseller/login/", views_reseller.ResellerLoginView.as_view(), name="reseller-login"),
    path("reseller/logout/", auth_views.LogoutView.as_view(next_page="/reseller/login/"), name="reseller-logout"),
    path("reseller/", views_reseller.dashboard, name="reseller-dashboard"),
    path("reseller/tenants/new/", views_reseller.tenant_create, name="reseller-tenant-create"),
    path("reseller/tenants/<int:tenant_id>/suspend/", views_reseller.tenant_suspend_view, name="reseller-suspend"),
    path(
        "reseller/tenants/<int:tenant_id>/reactivate/",
        views_reseller.tenant_reactivate_view,
        name="reseller-reactivate",
    ),
    path(
        "reseller/bursts/<int:burst_id>/<str:decision>/", views_reseller.burst_decide_view, name="reseller-burst-decide"
    ),
    path("reseller/tokens/", views_reseller.token_create_view, name="reseller-token-create"),
    path("reseller/tokens/<int:token_id>/revoke/", views_reseller.token_revoke_view, name="reseller-token-revoke"),
    # API
    path("api/v1/signup/", apis.SignupApi.as_view(), name="api-signup"),
    path("api/v1/signup/<uuid:signup_id>/", apis.SignupStatusApi.as_view(), name="api-signup-status"),
    path("api/v1/signup/<uuid:signup_id>/retry/", apis.SignupRetryApi.as_view(), name="api-signup-retry"),
    path("api/v1/reseller/tenants/", apis.ResellerTenantsApi.as_view(), name="api-reseller-tenants"),
    path("api/v1/reseller/tenants/<int:tenant_id>/", apis.ResellerTenantApi.as_view(), name="api-reseller-tenant"),
    path(
        "api/v1/reseller/tenants/<int:tenant_id>/suspend/",
        apis.ResellerTenantSuspendApi.as_view(),
        name="api-reseller-suspend",
    ),
    path(
        "api/v1/reseller/tenants/<int:tenant_id>/reactivate/",
        apis.ResellerTenantReactivateApi.as_view(),
        name="api-reseller-reactivate",
    ),
    path("api/v1/reseller/burst-requests/", apis.ResellerBurstsApi.as_view(), name="api-reseller-bursts"),
    path(
        "api/v1/reseller/burst-requests/<int:burst_id>/approve/",
        apis.ResellerBurstDecisionApi.as_view(approve=True),
        name="api-reseller-burst-approve",
    ),
    path(
        "api/v1/reseller/burst-requests/<int:burst_id>/reject/",
        apis.ResellerBurstDecisionApi.as_view(approve=False),
        name="api-reseller-burst-reject",
    ),
]
