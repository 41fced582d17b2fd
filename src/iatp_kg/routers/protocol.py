"""Reading SPARQL Protocol requests strictly: bodies with a size limit, UTF-8 only, one of
each single-valued parameter, the media types the Protocol names."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request

from iatp_kg.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from iatp_kg.negotiation import charset_of, media_type_of


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) anything larger than ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request body is larger than the limit of {limit:,} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the request body is larger than the limit of {limit:,} bytes")
    return bytes(body)


def decode_utf8(body: bytes, content_type: str | None) -> str:
    charset = charset_of(content_type)
    if charset not in (None, "utf-8", "utf8"):
        raise UnsupportedMediaType(f"the body must be UTF-8, not {charset}")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not valid UTF-8 (byte {exc.start})") from exc


async def protocol_params(
    request: Request, *, direct_type: str, field: str, limit: int
) -> list[tuple[str, str]]:
    """All parameters of a Protocol request, from the URL and the body.

    ``direct_type`` is ``application/sparql-query`` or ``application/sparql-update``, whose
    body is the ``field`` (query or update) itself.
    """
    url_params = url_parameters(request)
    if request.method in ("GET", "HEAD"):
        return url_params
    content_type = request.headers.get("content-type")
    media = media_type_of(content_type)
    body = await read_body(request, limit)
    if media == "application/x-www-form-urlencoded":
        text = decode_utf8(body, content_type)
        try:
            body_params = parse_qsl(
                text, keep_blank_values=True, strict_parsing=bool(text), errors="strict"
            )
        except UnicodeDecodeError as exc:
            raise BadRequest(
                f"the form body is not valid UTF-8 once percent-decoded: {exc.reason}"
            ) from exc
        except ValueError as exc:
            raise BadRequest(f"the form body is not URL-encoded: {exc}") from exc
        if any(k == field for k, _ in url_params) and any(k == field for k, _ in body_params):
            raise BadRequest(f"'{field}' is given both in the URL and in the body")
        return url_params + body_params
    if media == direct_type:
        if any(k == field for k, _ in url_params):
            raise BadRequest(f"'{field}' is given both in the URL and as the body")
        return [*url_params, (field, decode_utf8(body, content_type))]
    if not media:
        raise UnsupportedMediaType(
            f"a POST needs a Content-Type: application/x-www-form-urlencoded or {direct_type}"
        )
    raise UnsupportedMediaType(
        f"Content-Type {media} is not accepted here; use "
        f"application/x-www-form-urlencoded or {direct_type}"
    )


def url_parameters(request: Request) -> list[tuple[str, str]]:
    """The URL's parameters, percent-decoded strictly: invalid UTF-8 is a 400, never a
    replacement character that changes the query."""
    raw = request.scope.get("query_string", b"").decode("latin-1")
    try:
        return parse_qsl(raw, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"the URL's parameters are not valid UTF-8 once percent-decoded: {exc.reason}"
        ) from exc


def iris(params: list[tuple[str, str]], name: str) -> list[str]:
    """Every value of ``name``, each checked to be an absolute IRI (400 otherwise)."""
    import pyoxigraph as ox

    values = many(params, name)
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise BadRequest(f"{name} {value!r} is not an absolute IRI: {exc}") from exc
    return values


def single(params: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise BadRequest(f"the parameter '{name}' is given {len(values)} times; give it once")
    return values[0] if values else None


def many(params: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in params if k == name]
