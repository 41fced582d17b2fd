"""Opaque, signed keyset cursors for the REST facade's pages.

A cursor names the position after the last item of a page (its sort key and IRI), the query it
belongs to (a digest of the resource, filters and sort) and the store version the total was
counted at. It is URL-safe base64 of JSON plus an HMAC, so a cursor that was altered, made up,
or made for other filters is refused (400):

>>> signer = CursorSigner(b"k" * 32)
>>> token = signer.encode("q1", ["acme", "https://w3id.org/iatp/id/initiative/acme"], 51, "v1")
>>> signer.decode(token, "q1").total
51
>>> signer.decode(token, "q2")
Traceback (most recent call last):
...
iatp_kg.errors.BadRequest: cursor: this cursor belongs to other filters or another sort order; start again without it
>>> signer.decode(token[:-2] + "xx", "q1")
Traceback (most recent call last):
...
iatp_kg.errors.BadRequest: cursor: not a cursor this server made (altered or expired); start again without it
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import orjson

from iatp_kg.errors import BadRequest

MAX_CURSOR = 4096


@dataclass(frozen=True)
class Cursor:
    position: list  # [sort key..., iri]
    total: int
    version: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def query_digest(*parts: object) -> str:
    """A short digest of what a listing is (resource, filters, sort)."""
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


class CursorSigner:
    def __init__(self, key: bytes) -> None:
        self.key = key

    @classmethod
    def random(cls) -> CursorSigner:
        """A signer with a fresh key: its cursors are refused after a restart."""
        return cls(secrets.token_bytes(32))

    def _mac(self, payload: bytes) -> str:
        return _b64(hmac.new(self.key, payload, hashlib.sha256).digest()[:16])

    def encode(self, query: str, position: list, total: int, version: str) -> str:
        payload = orjson.dumps({"q": query, "p": position, "t": total, "v": version})
        return f"{_b64(payload)}.{self._mac(payload)}"

    def decode(self, token: str, query: str) -> Cursor:
        forged = BadRequest(
            "cursor: not a cursor this server made (altered or expired); start again without it"
        )
        if len(token) > MAX_CURSOR or token.count(".") != 1:
            raise forged
        body, mac = token.split(".")
        try:
            payload = _unb64(body)
        except ValueError:
            raise forged from None
        if not hmac.compare_digest(self._mac(payload), mac):
            raise forged
        data = orjson.loads(payload)
        if data["q"] != query:
            raise BadRequest(
                "cursor: this cursor belongs to other filters or another sort order; "
                "start again without it"
            )
        return Cursor(data["p"], data["t"], data["v"])
