"""A stand-in for WeChat's servers: builds pushes signed, and in safe mode sealed, as WeChat does.

Written from WeChat's published algorithm, not from ``channels_app.adapters.wechat``, so a
mistake there does not cancel out here. Knobs let a test break one thing at a time.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TOKEN = "fakeWeChatToken2026"
APP_ID = "wx0123456789abcdef"
# 43 characters, as WeChat's console makes them.
AES_KEY = base64.b64encode(bytes(range(7, 39))).decode().rstrip("=")
OA_ID = "gh_0123456789ab"
OPENID = "oABCD-openid_0123456789xyz"


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def cdata(value: str) -> str:
    return f"<![CDATA[{value}]]>"


def xml_of(fields: dict[str, Any]) -> str:
    """WeChat's flat push XML: strings in CDATA, numbers bare."""
    inner = "".join(f"<{k}>{v if isinstance(v, int) else cdata(v)}</{k}>" for k, v in fields.items())
    return f"<xml>{inner}</xml>"


def text_xml(content: str, *, msg_id: int = 23456789012345678, openid: str = OPENID, **extra: Any) -> str:
    return xml_of(
        {
            "ToUserName": OA_ID,
            "FromUserName": openid,
            "CreateTime": int(time.time()),
            "MsgType": "text",
            "Content": content,
            "MsgId": msg_id,
            **extra,
        }
    )


def image_xml(*, msg_id: int = 1001, openid: str = OPENID) -> str:
    return xml_of(
        {
            "ToUserName": OA_ID,
            "FromUserName": openid,
            "CreateTime": int(time.time()),
            "MsgType": "image",
            "PicUrl": "http://mmbiz.qpic.cn/x/0",
            "MediaId": "media_image_1",
            "MsgId": msg_id,
        }
    )


def voice_xml(*, msg_id: int = 1002, openid: str = OPENID) -> str:
    return xml_of(
        {
            "ToUserName": OA_ID,
            "FromUserName": openid,
            "CreateTime": int(time.time()),
            "MsgType": "voice",
            "MediaId": "media_voice_1",
            "Format": "amr",
            "MsgId": msg_id,
        }
    )


def event_xml(event: str, *, key: str | None = None, create_time: int | None = None, openid: str = OPENID) -> str:
    fields: dict[str, Any] = {
        "ToUserName": OA_ID,
        "FromUserName": openid,
        "CreateTime": create_time or int(time.time()),
        "MsgType": "event",
        "Event": event,
    }
    if key is not None:
        fields["EventKey"] = key
    return xml_of(fields)


def pkcs7_32(data: bytes) -> bytes:
    n = 32 - len(data) % 32
    return data + bytes([n]) * n


def seal(
    message: bytes,
    *,
    aes_key: str = AES_KEY,
    app_id: str = APP_ID,
    padded: bytes | None = None,
) -> str:
    """WeChat's envelope: base64(AES-256-CBC(random16 | len | message | AppID, PKCS#7 to 32)).

    ``padded`` replaces the padded plaintext entirely (it must be whole 16-byte blocks), to
    send a broken padding.
    """
    key = base64.b64decode(aes_key + "=")
    plain = (
        padded
        if padded is not None
        else pkcs7_32(os.urandom(16) + struct.pack(">I", len(message)) + message + app_id.encode())
    )
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


@dataclass
class FakeWeChat:
    token: str = TOKEN
    app_id: str = APP_ID
    aes_key: str | None = AES_KEY  # None: plaintext mode

    def echostr_query(self, echostr: str = "6588419148497920000", **override: str) -> dict[str, str]:
        timestamp, nonce = str(int(time.time())), "1514711492"
        query = {"signature": sha1_signature(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        return {**query, "echostr": echostr, **override}

    def push(
        self,
        xml: str | bytes,
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
        encrypted: str | None = None,
        envelope: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """(query, body) of a push. In safe mode ``xml`` is sealed unless ``encrypted`` is given,
        and ``envelope`` replaces the outer XML (its ``{encrypt}`` is filled in)."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or str(int.from_bytes(os.urandom(4), "big"))
        raw = xml.encode() if isinstance(xml, str) else xml
        query = {"signature": sha1_signature(self.token, ts, nonce), "timestamp": ts, "nonce": nonce, "openid": OPENID}
        if self.aes_key is None:
            return query, raw
        encrypt = encrypted if encrypted is not None else seal(raw, aes_key=self.aes_key, app_id=self.app_id)
        outer = (
            envelope
            or "<xml><ToUserName><![CDATA[" + OA_ID + "]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        )
        query |= {"encrypt_type": "aes", "msg_signature": sha1_signature(self.token, ts, nonce, encrypt)}
        return query, outer.replace("{encrypt}", encrypt).encode()
