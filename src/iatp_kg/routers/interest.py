"""Sign-ups of interest in news and events (``/api/v1/interest``) and their unsubscribe link.

Included by :mod:`iatp_kg.routers.registrations` (the registration surface of the API). The
sign-up is kept only in ``…/graph/private/interest`` (see :mod:`iatp_kg.interest`); the answer
echoes no personal data, only the unsubscribe link, whose token is signed by a key kept in the
store. Both writes are one transaction under the write lock.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from rdflib import Graph

from iatp_kg import interest
from iatp_kg.context import AppContext, ContextDep
from iatp_kg.errors import BadRequest
from iatp_kg.pages import language
from iatp_kg.registration import inline_schema
from iatp_kg.registration_records import now
from iatp_kg.responses import JSONBytesResponse
from iatp_kg.routers.forms import (
    BODY_ERRORS,
    JSON,
    error_doc,
    invalid,
    json_body,
    read_graph,
    t,
    validate_model,
    write_graphs,
)

router = APIRouter(tags=["Interest"])  # under /api/v1, by the registrations router


class SignedUp(BaseModel):
    status: str = Field(description="received")
    message: str
    unsubscribe: str = Field(description="The link that removes this sign-up.")


class Unsubscribed(BaseModel):
    removed: bool = Field(description="Whether a sign-up was held and is now removed.")
    message: str


def _secret(ctx: AppContext) -> bytes | None:
    return interest.secret_from(read_graph(ctx, interest.KEYS_GRAPH))


@router.post(
    "/interest",
    summary="Sign up for news and events",
    description="E-mail, country and interests (lines of action or ISIC codes), kept privately. "
    "The answer echoes no personal data; it carries the unsubscribe link (this server sends "
    "no e-mail). Signing up again with the same address replaces the earlier sign-up.",
    status_code=202,
    response_model=SignedUp,
    responses={
        202: {
            "content": {
                JSON: {
                    "example": {
                        "status": "received",
                        "message": "Thank you: you will hear about news and events.",
                        "unsubscribe": "https://iatp.example.org/api/v1/interest/unsubscribe"
                        "?token=…",
                    }
                }
            }
        },
        **BODY_ERRORS,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                JSON: {
                    "schema": inline_schema(interest.InterestSignup),
                    "examples": {"sign-up": {"value": interest.EXAMPLE}},
                }
            },
        }
    },
)
async def sign_up(request: Request, ctx: ContextDep) -> Response:
    lang = language(request)
    doc, _ = await json_body(request, ctx, lang, (JSON,))
    signup = validate_model(interest.InterestSignup, doc, lang)
    problems = interest.check(signup)
    if problems:
        raise invalid(lang, problems)
    async with ctx.write_lock:
        secret = _secret(ctx)
        graphs: dict[str, Graph] = {}
        if secret is None:
            secret = interest.new_secret()
            graphs[str(interest.KEYS_GRAPH)] = interest.key_triples(secret)
        key = interest.person_key(secret, signup.email)
        held = read_graph(ctx, interest.INTEREST_GRAPH)
        held.remove((interest.person_iri(key), None, None))
        graphs[str(interest.INTEREST_GRAPH)] = held + interest.signup_triples(key, signup, now())
        await write_graphs(ctx, graphs)
    link = request.url_for("unsubscribe").include_query_params(
        token=interest.unsubscribe_token(secret, key)
    )
    body = {
        "status": "received",
        "message": t(
            lang,
            "Thank you: you will hear about news and events. Keep the unsubscribe link.",
            "Gracias: recibirá noticias y eventos. Guarde el enlace para darse de baja.",
        ),
        "unsubscribe": str(link),
    }
    return JSONBytesResponse(body, status_code=202)


UNSUBSCRIBE_DOC = dict(
    summary="Unsubscribe: remove a sign-up",
    description="The signed token of the sign-up's link removes every triple held about that "
    "person. A link already used answers `removed: false`; a token that is not signed by this "
    "server is a 400.",
    response_model=Unsubscribed,
    responses={
        200: {"content": {JSON: {"example": {"removed": True, "message": "Removed."}}}},
        400: error_doc("The token is not one this server signed."),
    },
)


@router.get("/interest/unsubscribe", name="unsubscribe", **UNSUBSCRIBE_DOC)
@router.post("/interest/unsubscribe", name="unsubscribe_post", **UNSUBSCRIBE_DOC)
async def unsubscribe(
    request: Request,
    ctx: ContextDep,
    token: str | None = Query(None, description="From the sign-up's unsubscribe link."),
) -> Response:
    lang = language(request)
    async with ctx.write_lock:
        secret = _secret(ctx)
        key = interest.verify_token(secret, token) if secret and token else None
        if key is None:
            raise BadRequest(
                t(
                    lang,
                    "this unsubscribe link is not valid (its token was not signed here)",
                    "este enlace para darse de baja no es válido (su token no se firmó aquí)",
                )
            )
        held = read_graph(ctx, interest.INTEREST_GRAPH)
        node = interest.person_iri(key)
        removed = (node, None, None) in held
        if removed:
            held.remove((node, None, None))
            await write_graphs(ctx, {str(interest.INTEREST_GRAPH): held})
    message = (
        t(lang, "Removed: we hold no data about you any more.", "Eliminado: ya no guardamos datos suyos.")
        if removed
        else t(lang, "Nothing to remove: no sign-up is held for this link.",
                "Nada que eliminar: no hay ninguna suscripción para este enlace.")
    )  # fmt: skip
    return JSONBytesResponse({"removed": removed, "message": message})
