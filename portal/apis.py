"""The staff side of compensation links (M19): an agent asks for a link to send the customer.

``POST /api/v1/tickets/<number>/portal-link/`` answers the absolute portal URL, the shop APP's
deep link around it when an APP channel has a usable template, and when the link expires. The
ticket's history records who made a link and until when, never the link itself (it opens the
ticket for its customer until it expires).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.permissions import IsStaffOrAgent
from callcenter.core.errors import NotFoundError
from portal.links import portal_ticket_link_issue
from tickets.selectors import ticket_get

MIN_TTL_HOURS = 1
MAX_TTL_HOURS = 30 * 24
DEFAULT_TTL_HOURS = 7 * 24


class PortalLinkRequestSerializer(serializers.Serializer):
    ttl_hours = serializers.IntegerField(
        min_value=MIN_TTL_HOURS,
        max_value=MAX_TTL_HOURS,
        default=DEFAULT_TTL_HOURS,
        help_text="How long the link works, in hours (1–720, default 168).",
    )


class PortalLinkSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Opens the ticket in the portal, after the customer signs in.")
    app_link = serializers.CharField(allow_null=True, help_text="The shop APP's deep link, when configured.")
    expires_at = serializers.DateTimeField()


class TicketPortalLinkApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [JSONParser]

    @extend_schema(
        request=PortalLinkRequestSerializer,
        responses={201: PortalLinkSerializer},
        summary="Make a signed link that opens this ticket for its customer",
    )
    def post(self, request: Request, number: int) -> Response:
        try:
            ticket = ticket_get(number)
        except NotFoundError as exc:
            raise NotFound(_("No such ticket.")) from exc
        given = PortalLinkRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        issued = portal_ticket_link_issue(
            ticket=ticket, actor=request.user, ttl_s=given.validated_data["ttl_hours"] * 3600
        )
        body: dict[str, Any] = {
            "url": issued.url,
            "app_link": issued.app_link,
            "expires_at": datetime.fromtimestamp(issued.expires_at, tz=UTC),
        }
        return Response(PortalLinkSerializer(body).data, status=status.HTTP_201_CREATED)
