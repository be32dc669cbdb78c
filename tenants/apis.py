"""The public API: signup for anyone, and the reseller API behind a reseller token."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from callcenter.core.errors import NotFoundError
from callcenter.core.throttle import client_ip
from tenants.models import BurstSeatRequest, Reseller, ResellerToken, Signup, Tenant, UsageSnapshot
from tenants.selectors import (
    burst_get_for_reseller,
    burst_list_pending_for_reseller,
    signup_get,
    tenant_get_for_reseller,
    tenant_list_for_reseller,
    tenant_primary_url,
    usage_latest_by_tenant,
)
from tenants.services.bursts import burst_request_decide
from tenants.services.provisioning import signup_progress
from tenants.services.resellers import reseller_token_authenticate, tenant_reactivate, tenant_suspend
from tenants.services.signup import signup_retry, signup_submit

# --- Signup ------------------------------------------------------------------------------


class SignupInputSerializer(serializers.Serializer):
    company_name = serializers.CharField(max_length=200)
    subdomain = serializers.CharField(max_length=100)
    admin_email = serializers.CharField(max_length=254)
    admin_password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    plan = serializers.CharField(max_length=40)
    language = serializers.ChoiceField(choices=["zh-hans", "en"], default="zh-hans")


class SignupStatusSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    step = serializers.CharField()
    failure_reason = serializers.CharField()
    subdomain = serializers.CharField()
    tenant_url = serializers.CharField(allow_null=True)
    status_url = serializers.CharField()


def signup_status_payload(signup: Signup, request: Request) -> dict[str, Any]:
    percent, step = signup_progress(signup)
    return {
        "id": str(signup.pk),
        "status": signup.status,
        "progress": percent,
        "step": step,
        "failure_reason": signup.failure_reason,
        "subdomain": signup.subdomain,
        "tenant_url": tenant_primary_url(signup.tenant) if signup.tenant else None,
        "status_url": request.build_absolute_uri(reverse("api-signup-status", args=[signup.pk])),
    }


def _submit(request: Request, reseller: Reseller | None, actor: str) -> Response:
    data = SignupInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    signup = signup_submit(
        company_name=values["company_name"],
        subdomain=values["subdomain"],
        admin_email=values["admin_email"],
        admin_password=values["admin_password"],
        plan_code=values["plan"],
        language=values["language"],
        reseller=reseller,
        actor=actor,
        ip=client_ip(request),
    )
    return Response(signup_status_payload(signup, request), status=status.HTTP_202_ACCEPTED)


class SignupApi(APIView):
    authentication_classes: list[type[BaseAuthentication]] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "signup"

    @extend_schema(
        request=SignupInputSerializer,
        responses={
            202: SignupStatusSerializer,
            400: OpenApiResponse(description="Field errors"),
            409: OpenApiResponse(description="Subdomain taken"),
        },
        summary="Sign a company up; provisioning runs in the background",
    )
    def post(self, request: Request) -> Response:
        return _submit(request, None, actor="")


class SignupStatusApi(APIView):
    authentication_classes: list[type[BaseAuthentication]] = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: SignupStatusSerializer}, summary="Provisioning status of a signup")
    def get(self, request: Request, signup_id: str) -> Response:
        return Response(signup_status_payload(signup_get(signup_id), request))


class SignupRetryApi(APIView):
    authentication_classes: list[type[BaseAuthentication]] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "signup"

    @extend_schema(request=None, responses={202: SignupStatusSerializer}, summary="Retry a failed signup")
    def post(self, request: Request, signup_id: str) -> Response:
        signup = signup_retry(signup=signup_get(signup_id))
        return Response(signup_status_payload(signup, request), status=status.HTTP_202_ACCEPTED)


# --- Reseller API ------------------------------------------------------------------------


class ResellerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer rsk_...``. The request's user is the token's reseller principal."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[Any, ResellerToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Send exactly: Authorization: Bearer <token>."))
        token = reseller_token_authenticate(parts[1].decode("latin1"))
        if token is None:
            raise AuthenticationFailed(_("Invalid or revoked token."))
        return ResellerPrincipal(token.reseller, f"token:{token.prefix}"), token

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"


class ResellerPrincipal:
    is_authenticated = True
    is_anonymous = False

    def __init__(self, reseller: Reseller, name: str) -> None:
        self.reseller = reseller
        self.name = name
        self.pk = f"reseller-{reseller.pk}"  # what rate limits count by

    def get_username(self) -> str:
        return f"{self.reseller.name}/{self.name}"


def reseller_of(request: Request) -> Reseller | None:
    """The reseller behind a token, or the reseller of a console user signed in on the public site."""
    if isinstance(request.user, ResellerPrincipal):
        return request.user.reseller
    if getattr(request.user, "is_authenticated", False):
        return Reseller.objects.filter(users__pk=request.user.pk or 0, is_active=True).first()
    return None


class IsReseller(BasePermission):
    message = _("A reseller token or a signed-in reseller console user is required.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return reseller_of(request) is not None


class ResellerApiView(APIView):
    authentication_classes = [ResellerTokenAuthentication, SessionAuthentication]
    permission_classes = [IsReseller]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "reseller"

    @property
    def reseller(self) -> Reseller:
        reseller = reseller_of(self.request)
        if reseller is None:  # permission_classes already refused this
            raise PermissionDenied()
        return reseller

    def actor(self) -> str:
        return self.request.user.get_username()

    def tenant(self, tenant_id: int) -> Tenant:
        try:
            return tenant_get_for_reseller(self.reseller, tenant_id)
        except NotFoundError as exc:
            raise NotFound(exc.message) from exc


class ResellerTenantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    subdomain = serializers.CharField()
    plan = serializers.CharField()
    status = serializers.CharField()
    suspended_reason = serializers.CharField()
    url = serializers.CharField()
    usage = serializers.DictField(allow_null=True)


def tenant_payload(tenant: Tenant, snapshot: UsageSnapshot | None) -> dict[str, Any]:
    return {
        "id": tenant.pk,
        "name": tenant.name,
        "subdomain": tenant.subdomain,
        "plan": tenant.plan.code,
        "status": tenant.status,
        "suspended_reason": tenant.suspended_reason,
        "url": tenant_primary_url(tenant),
        "usage": None
        if snapshot is None
        else {
            "taken_at": snapshot.taken_at.isoformat(),
            "agents": snapshot.agents,
            "seats_in_use": snapshot.seats_in_use,
            "conversations": snapshot.conversations,
            "storage_bytes": snapshot.storage_bytes,
        },
    }


def _payload_of(tenant: Tenant) -> dict[str, Any]:
    return tenant_payload(tenant, usage_latest_by_tenant([tenant.pk]).get(tenant.pk))


class ResellerTenantsApi(ResellerApiView):
    @extend_schema(responses={200: ResellerTenantSerializer(many=True)}, summary="The reseller's tenants")
    def get(self, request: Request) -> Response:
        tenants = list(tenant_list_for_reseller(self.reseller))
        latest = usage_latest_by_tenant([t.pk for t in tenants])
        return Response([tenant_payload(t, latest.get(t.pk)) for t in tenants])

    @extend_schema(
        request=SignupInputSerializer, responses={202: SignupStatusSerializer}, summary="Create a tenant for a customer"
    )
    def post(self, request: Request) -> Response:
        return _submit(request, self.reseller, actor=self.actor())


class ResellerTenantApi(ResellerApiView):
    @extend_schema(responses={200: ResellerTenantSerializer}, summary="One of the reseller's tenants")
    def get(self, request: Request, tenant_id: int) -> Response:
        return Response(_payload_of(self.tenant(tenant_id)))


class SuspendInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ResellerTenantSuspendApi(ResellerApiView):
    @extend_schema(
        request=SuspendInputSerializer,
        responses={200: ResellerTenantSerializer},
        summary="Suspend a tenant (nothing is deleted)",
    )
    def post(self, request: Request, tenant_id: int) -> Response:
        data = SuspendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tenant = tenant_suspend(
            tenant=self.tenant(tenant_id),
            reason=data.validated_data["reason"],
            actor=self.actor(),
            reseller=self.reseller,
            ip=client_ip(request),
        )
        return Response(_payload_of(tenant))


class ResellerTenantReactivateApi(ResellerApiView):
    @extend_schema(request=None, responses={200: ResellerTenantSerializer}, summary="Reactivate a suspended tenant")
    def post(self, request: Request, tenant_id: int) -> Response:
        tenant = tenant_reactivate(
            tenant=self.tenant(tenant_id), actor=self.actor(), reseller=self.reseller, ip=client_ip(request)
        )
        return Response(_payload_of(tenant))


class BurstSerializer(serializers.ModelSerializer):
    tenant = serializers.CharField(source="tenant.subdomain")

    class Meta:
        model = BurstSeatRequest
        fields = [
            "id",
            "tenant",
            "seats",
            "starts_at",
            "ends_at",
            "reason",
            "status",
            "requested_by",
            "decided_by",
            "decided_at",
            "decision_note",
        ]


class DecisionInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ResellerBurstsApi(ResellerApiView):
    @extend_schema(responses={200: BurstSerializer(many=True)}, summary="Burst requests waiting for a decision")
    def get(self, request: Request) -> Response:
        return Response(BurstSerializer(burst_list_pending_for_reseller(self.reseller), many=True).data)


class ResellerBurstDecisionApi(ResellerApiView):
    approve = True

    @extend_schema(
        request=DecisionInputSerializer, responses={200: BurstSerializer}, summary="Approve or reject a burst request"
    )
    def post(self, request: Request, burst_id: int) -> Response:
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            burst = burst_get_for_reseller(self.reseller, burst_id)
        except NotFoundError as exc:
            raise NotFound(exc.message) from exc
        decided = burst_request_decide(
            burst=burst,
            approve=self.approve,
            actor=self.actor(),
            reseller=self.reseller,
            note=data.validated_data["note"],
        )
        return Response(BurstSerializer(decided).data)
