"""WeChat's message signatures and its "safe mode" AES-256-CBC envelope.

The envelope (WeChat's "消息加解密" scheme): base64 of AES-256-CBC over
``16 random bytes | 4-byte big-endian length | message | AppID``, PKCS#7-padded to 32-byte
blocks, with key = base64(EncodingAESKey + "=") and IV = the key's first 16 bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

AES_KEY_LENGTH = 43  # characters of EncodingAESKey; 32 bytes once decoded
PAD_BLOCK = 32  # WeChat pads to 32 bytes, not to AES's 16
RANDOM_PREFIX = 16


class DecryptError(ValueError):
    """The ciphertext is not a well-formed envelope (bad base64, length or padding)."""


class AppIdMismatch(ValueError):
    """The envelope is well formed but was sealed for another AppID."""


def signature(*parts: str) -> str:
    """SHA-1 hex of the parts sorted and joined, as WeChat signs."""
    return hashlib.sha1("".join(sorted(parts)).encode(), usedforsecurity=False).hexdigest()


def signature_matches(given: str, *parts: str) -> bool:
    """Compare in constant time, so timing does not reveal how much of a guess was right."""
    return hmac.compare_digest(signature(*parts).encode(), given.encode())


def aes_key_from(encoding_aes_key: str) -> bytes | None:
    """The 32-byte key behind a 43-character EncodingAESKey, or None if it is not one."""
    if len(encoding_aes_key) != AES_KEY_LENGTH:
        return None
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == 32 else None


def decrypt(encrypted: str, *, key: bytes, app_id: str) -> bytes:
    """The message inside ``encrypted``; checks the padding, the length field and the AppID."""
    try:
        data = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptError("not base64") from exc
    if not data or len(data) % 16:
        raise DecryptError("not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    # No padding oracle: the caller checked msg_signature over this ciphertext first.
    pad = plain[-1]
    if not 1 <= pad <= PAD_BLOCK or pad > len(plain) or plain[-pad:] != bytes([pad]) * pad:
        raise DecryptError("bad padding")
    plain = plain[:-pad]
    header = RANDOM_PREFIX + 4
    if len(plain) < header:
        raise DecryptError("too short")
    (length,) = struct.unpack(">I", plain[RANDOM_PREFIX:header])
    if length == 0 or header + length > len(plain):
        raise DecryptError("bad length field")
    sealed_for = plain[header + length :]
    if not hmac.compare_digest(sealed_for, app_id.encode()):
        raise AppIdMismatch("sealed for another AppID")
    return plain[header : header + length]
