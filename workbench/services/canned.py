"""Writing canned responses: agents keep their own; team leads their team's; admins everyone's."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from agents.models import Team
from callcenter.core.errors import ConflictError, PermissionDeniedError, ServiceError
from workbench.domain.canned import VARIABLES, variables_unknown
from workbench.models import CannedResponse, CannedScope

# Letters of any script (Chinese included), digits, - and _; what follows "/" in the compose box.
_SHORTCUT = re.compile(r"^[\w-]{1,30}\Z")
MAX_BODY = 2000


def _may_write(user: Any, scope: str, team: Team | None, owner_id: int | None) -> bool:
    if user.is_staff:
        return True
    if scope == CannedScope.PERSONAL:
        return owner_id == user.pk
    if scope == CannedScope.TEAM:
        return team is not None and team.lead_id == user.pk
    return False


def shortcut_problem(shortcut: str) -> str | None:
    """Why ``shortcut`` (already without its leading /) cannot be one, or None."""
    return None if _SHORTCUT.match(shortcut) else _("Use 1-30 letters, digits, - or _, without spaces.")


def body_problem(body: str) -> str | None:
    """Why ``body`` cannot be a canned response's text, or None."""
    if not body or len(body) > MAX_BODY:
        return _("Write a text of 1 to %(max)d characters.") % {"max": MAX_BODY}
    if unknown := variables_unknown(body):
        names = ", ".join("{" + n + "}" for n in unknown)
        known = ", ".join("{" + v + "}" for v in VARIABLES)
        return _("Unknown variable %(names)s. Use only %(known)s.") % {"names": names, "known": known}
    return None


def _checked(*, shortcut: str, title: str, body: str) -> tuple[str, str, str]:
    shortcut, title, body = shortcut.strip().lstrip("/"), title.strip(), body.strip()
    if problem := shortcut_problem(shortcut):
        raise ServiceError(problem, field="shortcut")
    if not title or len(title) > 80:
        raise ServiceError(_("Give it a title of at most 80 characters."), field="title")
    if problem := body_problem(body):
        raise ServiceError(problem, field="body")
    return shortcut, title, body


def _save(response: CannedResponse) -> CannedResponse:
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError as exc:
        message = _("Another canned response for the same people already uses /%(shortcut)s.")
        raise ConflictError(
            message % {"shortcut": response.shortcut},
            code="shortcut_taken",
            field="shortcut",
        ) from exc
    return response


def canned_create(
    *, actor: Any, shortcut: str, title: str, body: str, scope: str = CannedScope.PERSONAL, team: Team | None = None
) -> CannedResponse:
    if scope not in CannedScope.values:
        raise ServiceError(_("Choose personal, team or tenant."), field="scope")
    if scope == CannedScope.TEAM and team is None:
        raise ServiceError(_("Choose the team."), field="team")
    owner_id = actor.pk if scope == CannedScope.PERSONAL else None
    if not _may_write(actor, scope, team, owner_id):
        raise PermissionDeniedError(_("Only a team's lead or an admin writes its canned responses."))
    shortcut, title, body = _checked(shortcut=shortcut, title=title, body=body)
    return _save(
        CannedResponse(
            scope=scope,
            team=team if scope == CannedScope.TEAM else None,
            owner_id=owner_id,
            shortcut=shortcut,
            title=title,
            body=body,
        )
    )


def canned_update(*, actor: Any, response: CannedResponse, **changes: Any) -> CannedResponse:
    """Change ``shortcut``, ``title``, ``body`` or ``is_active``; the scope stays (make a new one)."""
    if not _may_write(actor, response.scope, response.team, response.owner_id):
        raise PermissionDeniedError(_("You may not change this canned response."))
    unknown = set(changes) - {"shortcut", "title", "body", "is_active"}
    if unknown:
        raise ServiceError(_("These cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    shortcut, title, body = _checked(
        shortcut=changes.get("shortcut", response.shortcut),
        title=changes.get("title", response.title),
        body=changes.get("body", response.body),
    )
    response.shortcut, response.title, response.body = shortcut, title, body
    if "is_active" in changes:
        response.is_active = bool(changes["is_active"])
    return _save(response)


def canned_delete(*, actor: Any, response: CannedResponse) -> None:
    if not _may_write(actor, response.scope, response.team, response.owner_id):
        raise PermissionDeniedError(_("You may not delete this canned response."))
    response.delete()
