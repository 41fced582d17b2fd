"""JSON bodies of the form-like routes (registrations, interest sign-ups): the media type
(415), the size limit (413), JSON that parses and does not nest too deeply (400), a model's
problems (422) naming each field; every message in Spanish or English, as the requester asks.
Also the private-graph reads and the one-transaction writes those routes share.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pyoxigraph as ox
from fastapi import Request
from pydantic import BaseModel, ValidationError
from rdflib import Graph

from iatp_kg.context import AppContext
from iatp_kg.errors import BadRequest, NotConforming, PayloadTooLarge, UnsupportedMediaType
from iatp_kg.negotiation import media_type_of
from iatp_kg.registration import Problem, problems_from_validation_error
from iatp_kg.registration_input import MAX_DEPTH, json_depth
from iatp_kg.routers.protocol import read_body
from iatp_kg.validation import quads_to_graph, rdflib_to_quads

JSON, JSONLD = "application/json", "application/ld+json"


class FormInvalid(NotConforming):
    """A registration (or sign-up) that fails its checks; ``detail`` lists the problems."""

    code = "form_invalid"


NOT_AN_OBJECT = Problem("(body)", "must be a JSON object", "debe ser un objeto JSON")


def t(lang: str, en: str, es: str) -> str:
    return es if lang == "es" else en


def invalid(lang: str, problems: list[Problem]) -> FormInvalid:
    """A 422 whose message and problems are in ``lang``, each problem naming its field."""
    lines = "; ".join(f"{p.field}: {p.message(lang)}" for p in problems)
    n = len(problems)
    return FormInvalid(
        t(
            lang,
            f"{n} problem(s); nothing was stored: {lines}",
            f"{n} problema(s); no se guardó nada: {lines}",
        ),
        detail=[{"field": p.field, "message": p.message(lang)} for p in problems],
    )


# ---- reading bodies --------------------------------------------------------------------------
async def json_body(request: Request, ctx: AppContext, lang: str, offered: tuple[str, ...]):
    """The parsed JSON body and its media type: 415 for another Content-Type, 413 past the
    size limit, 400 when it is not UTF-8 JSON or nests deeper than :data:`MAX_DEPTH`."""
    media = media_type_of(request.headers.get("content-type"))
    if media not in offered:
        raise UnsupportedMediaType(
            t(
                lang,
                f"Content-Type {media or '(none)'} is not accepted here; send {' or '.join(offered)}",
                f"no se acepta Content-Type {media or '(ninguno)'}; envíe {' o '.join(offered)}",
            )
        )
    limit = ctx.settings.max_body_bytes
    try:
        body = await read_body(request, limit)
    except PayloadTooLarge:
        raise PayloadTooLarge(
            t(
                lang,
                f"the body is larger than the limit of {limit:,} bytes",
                f"el cuerpo pasa del límite de {limit:,} bytes",
            )
        ) from None
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc):
            raise _too_deep(lang) from None
        raise BadRequest(
            t(lang, f"the body is not JSON: {exc}", f"el cuerpo no es JSON: {exc}")
        ) from None
    if json_depth(doc) > MAX_DEPTH:
        raise _too_deep(lang)
    return doc, media


def _too_deep(lang: str) -> BadRequest:
    return BadRequest(
        t(
            lang,
            f"the JSON nests more than {MAX_DEPTH} levels deep",
            f"el JSON anida más de {MAX_DEPTH} niveles",
        )
    )


def validate_model(model: type[BaseModel], doc: Any, lang: str):
    if not isinstance(doc, dict):
        raise invalid(lang, [NOT_AN_OBJECT])
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        raise invalid(lang, problems_from_validation_error(exc)) from None


# ---- the store ----------------------------------------------------------------------------
def read_graph(ctx: AppContext, name) -> Graph:
    return quads_to_graph(ctx.store.quads(None, None, None, ox.NamedNode(str(name))))


async def write_graphs(ctx: AppContext, graphs: dict[str, Graph]) -> None:
    """Replace ``graphs`` in one transaction (the caller holds the write lock), then flush."""
    quads = {name: rdflib_to_quads(g, name) for name, g in graphs.items()}
    await asyncio.to_thread(ctx.store.replace_graphs, quads)
    ctx.store.flush()


# ---- OpenAPI -------------------------------------------------------------------------------
ERROR_EXAMPLE = {
    "error": {
        "code": "form_invalid",
        "message": "2 problem(s); nothing was stored: kind: must be one of 'cluster', …; "
        "founded: founded '1700' is not a year between 1800 and this year",
        "request_id": "3f2c0a9d1b7e4c55",
        "problems": [
            {"field": "kind", "message": "must be one of 'cluster', …"},
            {"field": "founded", "message": "founded '1700' is not a year between 1800 and …"},
        ],
    }
}


def error_doc(description: str, example: dict | None = None) -> dict:
    return {
        "description": description,
        "content": {JSON: {"example": example or ERROR_EXAMPLE}},
    }


EDITOR_ERRORS = {
    401: error_doc("A missing or wrong bearer token."),
    403: error_doc("Editing is disabled: IATP_KG_ADMIN_TOKEN is not set."),
}
BODY_ERRORS = {
    400: error_doc("Not JSON, nested too deeply, or (JSON-LD) a remote or broken context."),
    413: error_doc("The body is larger than IATP_KG_MAX_BODY_BYTES."),
    415: error_doc("Another Content-Type than the ones accepted."),
    422: error_doc("Problems, each naming its field, in the requester's language."),
}
