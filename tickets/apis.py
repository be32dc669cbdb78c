"""Tickets for the workbench and integrations (staff and agents of the tenant), under /api/v1/tickets/.

Tickets are addressed by their number (what people read out on the phone). Every write goes
through one service, which checks it and keeps the history; refused moves answer 409.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import Team
from agents.permissions import IsStaffOrAgent
from callcenter.core.errors import NotFoundError
from callcenter.core.files import stored_file_response
from conversations.models import Conversation
from customers.models import Customer
from tickets.models import Category, Priority, Status, Ticket, TicketComment, TicketEvent
from tickets.selectors import (
    TicketFilters,
    ticket_attachment_get,
    ticket_comments,
    ticket_get,
    ticket_list,
)
from tickets.services.comments import IncomingFile, ticket_note_add, ticket_reply
from tickets.services.conversations import ticket_conversation_link
from tickets.services.fields import ticket_tag_add, ticket_tag_remove, ticket_update
from tickets.services.merge import ticket_merge
from tickets.services.tickets import ticket_create, ticket_status_set

# --- serializers ------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    profile = getattr(user, "agent_profile", None)
    return {"id": user.pk, "name": profile.display_name if profile else user.get_username()}


class TicketSummarySerializer(serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()
    team = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "number",
            "subject",
            "status",
            "priority",
            "customer",
            "category",
            "assignee",
            "team",
            "order_ref",
            "created_at",
            "updated_at",
            "first_response_due",
            "first_responded_at",
            "resolution_due",
            "sla_breached",
        ]

    def get_customer(self, ticket: Ticket) -> dict[str, Any]:
        return _customer_ref(ticket)

    def get_category(self, ticket: Ticket) -> dict[str, Any] | None:
        return _category_ref(ticket)

    def get_assignee(self, ticket: Ticket) -> dict[str, Any] | None:
        return _person(ticket.assignee)

    def get_team(self, ticket: Ticket) -> dict[str, Any] | None:
        return _team_ref(ticket)


def _customer_ref(ticket: Ticket) -> dict[str, Any]:
    return {"id": ticket.customer_id, "name": ticket.customer.display_name}


def _category_ref(ticket: Ticket) -> dict[str, Any] | None:
    category = ticket.category
    return {"code": category.code, "name": str(category)} if category else None


def _team_ref(ticket: Ticket) -> dict[str, Any] | None:
    return {"id": ticket.team.pk, "name": ticket.team.name} if ticket.team else None


_TIME = serializers.DateTimeField()


def _time(value: Any) -> str | None:
    return None if value is None else _TIME.to_representation(value)


def ticket_summary_data(ticket: Ticket) -> dict[str, Any]:
    """A list row, exactly as TicketSummarySerializer describes it (a test holds them equal), built
    directly: a page of 50 rows through the serializer's field machinery takes several times longer."""
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "customer": _customer_ref(ticket),
        "category": _category_ref(ticket),
        "assignee": _person(ticket.assignee),
        "team": _team_ref(ticket),
        "order_ref": ticket.order_ref,
        "created_at": _time(ticket.created_at),
        "updated_at": _time(ticket.updated_at),
        "first_response_due": _time(ticket.first_response_due),
        "first_responded_at": _time(ticket.first_responded_at),
        "resolution_due": _time(ticket.resolution_due),
        "sla_breached": ticket.sla_breached,
    }


class TicketAttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField()


class TicketCommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    visibility = serializers.CharField()
    body = serializers.CharField()
    author = serializers.DictField(allow_null=True)  # type: ignore[assignment]
    from_customer = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    attachments = TicketAttachmentSerializer(many=True)


def comment_data(comment: TicketComment, number: int) -> dict[str, Any]:
    author = _person(comment.author) or (
        {"id": None, "name": comment.author_customer.display_name}
        if comment.author_customer
        else {"id": None, "name": comment.author_label}
    )
    return {
        "id": comment.pk,
        "visibility": comment.visibility,
        "body": comment.body,
        "author": author,
        "from_customer": comment.from_customer,
        "created_at": comment.created_at,
        "attachments": [
            {
                "id": item.pk,
                "name": item.name,
                "content_type": item.content_type,
                "size": item.size,
                "url": f"/api/v1/tickets/{number}/attachments/{item.pk}/",
            }
            for item in comment.attachments.all()
        ],
    }


class TicketDetailSerializer(TicketSummarySerializer):
    tags = serializers.SerializerMethodField()
    conversations = serializers.SerializerMethodField()
    merged_into = serializers.SerializerMethodField()

    class Meta(TicketSummarySerializer.Meta):
        fields = [
            *TicketSummarySerializer.Meta.fields,
            "tags",
            "conversations",
            "merged_into",
            "resolved_at",
            "closed_at",
            "escalated_at",
        ]

    def get_tags(self, ticket: Ticket) -> list[dict[str, Any]]:
        return [{"name": t.name, "source": t.source, "confidence": t.confidence} for t in ticket.tags.all()]

    def get_conversations(self, ticket: Ticket) -> list[int]:
        return list(ticket.conversations.values_list("pk", flat=True))

    def get_merged_into(self, ticket: Ticket) -> int | None:
        return ticket.merged_into.number if ticket.merged_into else None


class EventSerializer(serializers.ModelSerializer):
    by = serializers.SerializerMethodField()

    class Meta:
        model = TicketEvent
        fields = ["at", "by", "action", "field", "old_value", "new_value"]

    def get_by(self, event: TicketEvent) -> str:
        person = _person(event.actor)
        return person["name"] if person else event.actor_label


class TicketCreateSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    subject = serializers.CharField(max_length=500)
    category = serializers.SlugField(required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    order_ref = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    conversations = serializers.ListField(child=serializers.IntegerField(), required=False, default=list, max_length=20)
    assignee = serializers.IntegerField(required=False, allow_null=True, default=None)
    note = serializers.CharField(
        max_length=10_000, required=False, allow_blank=True, default="", help_text="The first internal note"
    )


class TicketUpdateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=500, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    category = serializers.SlugField(required=False, allow_blank=True, allow_null=True)
    assignee = serializers.IntegerField(required=False, allow_null=True)
    team = serializers.IntegerField(required=False, allow_null=True)
    order_ref = serializers.CharField(max_length=64, required=False, allow_blank=True)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)


class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class MergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(help_text="The number of the ticket that stays.")


class TagSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class LinkConversationSerializer(serializers.Serializer):
    conversation = serializers.IntegerField(min_value=1, help_text="A conversation of the ticket's customer.")


class TicketConversationsSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    conversations = serializers.ListField(child=serializers.IntegerField(), help_text="Every linked conversation")


# --- helpers ----------------------------------------------------------------------------------


def _ticket(number: int) -> Ticket:
    try:
        return ticket_get(number)
    except NotFoundError as exc:
        raise NotFound(_("No such ticket.")) from exc


def _flag(request: Request, name: str) -> bool:
    return str(request.query_params.get(name, "")).lower() in ("1", "true", "yes")


def _int_param(request: Request, name: str, *, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(str(raw))
    except ValueError as exc:
        raise ValidationError({name: [_("A whole number.")]}) from exc


def _category(code: str | None) -> Category | None:
    if not code:
        return None
    found = Category.objects.filter(code=code, is_active=True).first()
    if found is None:
        raise ValidationError({"category": [_("Unknown category.")]})
    return found


def _resolve_changes(data: dict[str, Any]) -> dict[str, Any]:
    """API values (codes and ids) as the service's values (instances); unknown ids are field errors."""
    changes = dict(data)
    if "category" in changes:
        changes["category"] = _category(changes["category"])
    if changes.get("assignee") is not None:
        user = get_user_model().objects.filter(pk=changes["assignee"]).first()
        if user is None:
            raise ValidationError({"assignee": [_("Unknown agent.")]})
        changes["assignee"] = user
    if changes.get("team") is not None:
        team = Team.objects.filter(pk=changes["team"]).first()
        if team is None:
            raise ValidationError({"team": [_("Unknown team.")]})
        changes["team"] = team
    return changes


def _files(data: dict[str, Any]) -> list[IncomingFile]:
    return [IncomingFile.from_upload(upload) for upload in data["files"]]


def _detail(ticket: Ticket) -> dict[str, Any]:
    fresh = _ticket(ticket.number)
    data = dict(TicketDetailSerializer(fresh).data)
    data["comments"] = [comment_data(c, fresh.number) for c in ticket_comments(fresh, public_only=False)]
    return data


# --- views ------------------------------------------------------------------------------------


class TicketListApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [JSONParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("mine", bool, description="Only tickets assigned to me"),
            OpenApiParameter("team", int, description="Only this team's tickets"),
            OpenApiParameter("status", str, description="A status, or `working` (not resolved or closed)"),
            OpenApiParameter("breached", bool, description="Only tickets past an SLA deadline"),
            OpenApiParameter("customer", int, description="Only this customer's tickets"),
            OpenApiParameter("q", str, description="A ticket number or an order number"),
            OpenApiParameter("after", int, description="Next page: tickets numbered below this"),
            OpenApiParameter("limit", int, description="1–100, default 50"),
        ],
        responses={200: TicketSummarySerializer(many=True)},
        summary="List tickets, newest first",
    )
    def get(self, request: Request) -> Response:
        wanted_status = str(request.query_params.get("status", ""))
        if wanted_status and wanted_status != "working" and wanted_status not in Status.values:
            raise ValidationError({"status": [_("Unknown status.")]})
        filters = TicketFilters(
            mine=_flag(request, "mine"),
            team_id=_int_param(request, "team"),
            status=wanted_status or None,
            breached=_flag(request, "breached"),
            customer_id=_int_param(request, "customer"),
            q=str(request.query_params.get("q", ""))[:64],
        )
        rows = ticket_list(
            user=request.user,
            filters=filters,
            after_number=_int_param(request, "after"),
            limit=_int_param(request, "limit", default=50) or 50,
        )
        return Response([ticket_summary_data(ticket) for ticket in rows])

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketDetailSerializer}, summary="Open a ticket")
    def post(self, request: Request) -> Response:
        given = TicketCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        customer = Customer.objects.filter(pk=data["customer"]).first()
        if customer is None:
            raise ValidationError({"customer": [_("Unknown customer.")]})
        conversations = list(Conversation.objects.filter(pk__in=data["conversations"], customer=customer))
        if len(conversations) != len(set(data["conversations"])):
            raise ValidationError({"conversations": [_("Link only this customer's conversations.")]})
        assignee = _resolve_changes({"assignee": data["assignee"]})["assignee"]
        ticket = ticket_create(
            customer=customer,
            subject=data["subject"],
            actor=request.user,
            category=_category(data["category"]),
            priority=data["priority"],
            order_ref=data["order_ref"],
            conversations=conversations,
            assignee=assignee,
            note=data["note"],
        )
        return Response(_detail(ticket), status=status.HTTP_201_CREATED)


class TicketDetailApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [JSONParser]

    @extend_schema(responses={200: TicketDetailSerializer}, summary="One ticket with its replies and notes")
    def get(self, request: Request, number: int) -> Response:
        return Response(_detail(_ticket(number)))

    @extend_schema(request=TicketUpdateSerializer, responses={200: TicketDetailSerializer}, summary="Change fields")
    def patch(self, request: Request, number: int) -> Response:
        ticket = _ticket(number)
        given = TicketUpdateSerializer(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        if not given.validated_data:
            raise ValidationError({"non_field_errors": [_("Send at least one field to change.")]})
        ticket_update(ticket=ticket, actor=request.user, changes=_resolve_changes(dict(given.validated_data)))
        return Response(_detail(ticket))


class TicketStatusApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [JSONParser]

    @extend_schema(request=StatusSerializer, responses={200: TicketDetailSerializer}, summary="Move the status")
    def post(self, request: Request, number: int) -> Response:
        given = StatusSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        ticket = ticket_status_set(ticket=_ticket(number), status=given.validated_data["status"], actor=request.user)
        return Response(_detail(ticket))


class _CommentApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    internal = False

    def post(self, request: Request, number: int) -> Response:
        ticket = _ticket(number)
        given = CommentInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        add = ticket_note_add if self.internal else ticket_reply
        comment = add(
            ticket=ticket, author=request.user, body=given.validated_data["body"], files=_files(given.validated_data)
        )
        return Response(comment_data(comment, ticket.number), status=status.HTTP_201_CREATED)


class TicketReplyApi(_CommentApi):
    @extend_schema(
        request={"multipart/form-data": CommentInputSerializer},
        responses={201: TicketCommentSerializer},
        summary="Reply to the customer (they are notified on their last channel)",
    )
    def post(self, request: Request, number: int) -> Response:
        return super().post(request, number)


class TicketNoteApi(_CommentApi):
    internal = True

    @extend_schema(
        request={"multipart/form-data": CommentInputSerializer},
        responses={201: TicketCommentSerializer},
        summary="Add an internal note (never shown to the customer)",
    )
    def post(self, request: Request, number: int) -> Response:
        return super().post(request, number)


class TicketAttachmentApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(responses={(200, "application/octet-stream"): bytes}, summary="Download an attachment")
    def get(self, request: Request, number: int, attachment_id: int) -> FileResponse:
        try:
            attachment = ticket_attachment_get(_ticket(number), attachment_id, public_only=False)
        except NotFoundError as exc:
            raise NotFound(_("No such attachment.")) from exc
        return stored_file_response(
            attachment.storage_key,
            attachment.content_type,
            attachment.name,
            as_attachment=True,
            cache_control="private, no-store",
        )


class TicketMergeApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [JSONParser]

    @extend_schema(request=MergeSerializer, responses={200: TicketDetailSerializer}, summary="Merge this duplicate")
    def post(self, request: Request, number: int) -> Response:
        given = MergeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        source = _ticket(number)
        try:
            target = ticket_get(given.validated_data["into"])
        except NotFoundError as exc:
            raise ValidationError({"into": [_("No such ticket.")]}) from exc
        return Response(_detail(ticket_merge(source=source, target=target, actor=request.user)))


class TicketTagsApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [JSONParser]

    @extend_schema(request=TagSerializer, responses={201: TicketDetailSerializer}, summary="Add a tag")
    def post(self, request: Request, number: int) -> Response:
        given = TagSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        ticket = _ticket(number)
        ticket_tag_add(ticket=ticket, name=given.validated_data["name"], actor=request.user)
        return Response(_detail(ticket), status=status.HTTP_201_CREATED)


class TicketTagApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(responses={204: None}, summary="Remove a tag")
    def delete(self, request: Request, number: int, name: str) -> Response:
        if not ticket_tag_remove(ticket=_ticket(number), name=name, actor=request.user):
            raise NotFound(_("No such tag on this ticket."))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TicketHistoryApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(responses={200: EventSerializer(many=True)}, summary="Who changed what, and when")
    def get(self, request: Request, number: int) -> Response:
        events = _ticket(number).events.select_related("actor__agent_profile").order_by("at", "id")
        return Response(EventSerializer(events, many=True).data)


class TicketConversationsApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [JSONParser]

    @extend_schema(
        request=LinkConversationSerializer,
        responses={200: TicketConversationsSerializer},
        summary="Link a conversation of the ticket's customer to this ticket (linking twice changes nothing)",
    )
    def post(self, request: Request, number: int) -> Response:
        ticket = _ticket(number)
        given = LinkConversationSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        conversation = (
            Conversation.objects.select_related("customer").filter(pk=given.validated_data["conversation"]).first()
        )
        if conversation is None:
            raise NotFound(_("No such conversation."))
        linked = ticket_conversation_link(ticket=ticket, conversation=conversation, actor=request.user)
        ids = sorted(linked.conversations.values_list("pk", flat=True))
        return Response(TicketConversationsSerializer({"number": linked.number, "conversations": ids}).data)
