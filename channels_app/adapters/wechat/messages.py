"""WeChat's push XML, read with DTDs, entities and external references refused (defusedxml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

SUPPORTED_MESSAGES = frozenset({"text", "image", "voice"})
SUPPORTED_EVENTS = frozenset({"subscribe", "unsubscribe", "CLICK"})

_OPENID = re.compile(r"^[A-Za-z0-9_-]{1,128}\Z")
_DIGITS = re.compile(r"^[0-9]{1,20}\Z")
_EVENT = re.compile(r"^[A-Za-z_]{1,40}\Z")


class MalformedMessage(ValueError):
    """Not WeChat's push XML: unreadable, a DTD or entity in it, or a required field missing."""


@dataclass(frozen=True)
class InboundMessage:
    """A parsed push. ``supported`` is False for types this adapter does not handle yet."""

    msg_type: str
    openid: str
    dedupe_key: str
    fields: dict[str, str]
    supported: bool


def parse_xml(data: bytes) -> dict[str, str]:
    """The ``<xml>`` root's simple child elements, text exactly as sent (CDATA included)."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError) as exc:
        raise MalformedMessage(type(exc).__name__) from exc
    if root.tag != "xml":
        raise MalformedMessage("root is not <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if len(child):
            continue  # nested blocks belong to event types not handled here
        if child.tag in fields:
            raise MalformedMessage(f"{child.tag} appears twice")  # ambiguous: which one is meant?
        fields[child.tag] = child.text or ""
    return fields


def message_from(fields: dict[str, str]) -> InboundMessage:
    """Type, sender and deduplication key of a push; refuses a handled type with missing ids."""
    msg_type = fields.get("MsgType", "")
    openid = fields.get("FromUserName", "")
    if msg_type == "event":
        event = fields.get("Event", "")
        supported = event in SUPPORTED_EVENTS
        # Events carry no MsgId; WeChat's own advice is sender + CreateTime (+ the event).
        key = f"event:{openid}:{fields.get('CreateTime', '')}:{event}"
        ids_ok = bool(_EVENT.match(event)) and bool(_DIGITS.match(fields.get("CreateTime", "")))
    else:
        supported = msg_type in SUPPORTED_MESSAGES
        key = f"msg:{fields.get('MsgId', '')}"
        ids_ok = bool(_DIGITS.match(fields.get("MsgId", "")))
    if supported and not (ids_ok and _OPENID.match(openid)):
        raise MalformedMessage("missing or malformed ids")
    return InboundMessage(msg_type=msg_type, openid=openid, dedupe_key=key, fields=fields, supported=supported)
