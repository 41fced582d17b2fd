"""Registration with moderation (/api/v1/registrations) and interest sign-ups (/api/v1/interest).

- Anyone may ``POST /api/v1/registrations`` an initiative, as JSON matching the published schema
  (``GET /api/v1/registrations/schema``) or as JSON-LD against ``/context.jsonld``. It is checked
  (the model, the registry's row checks, the SHACL shapes with the store's content) and, when
  valid, kept as a pending submission in private graphs; the answer is 202 with a status URL
  that shows only the status. A bad one is a 422 whose report names each field, in Spanish or
  English (``?lang=``, else ``Accept-Language``); nothing is stored.
- Editors (``Authorization: Bearer <IATP_KG_ADMIN_TOKEN>``) list submissions with their
  contacts, and approve (publish into ``…/graph/registration/{id}`` with its provenance) or
  reject them (with a reason).
- Anyone may sign up for news (``POST /api/v1/interest``); the answer carries an unsubscribe
  link whose signed token removes the sign-up.

Every write is one transaction (``Store.replace_graphs``) under the context's write lock.
Private graphs are read by quad pattern here (the executor never sees them); the only query,
whether an initiative's IRI is already public, goes through :mod:`iatp_kg.reads` with the IRI
bound.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from rdflib import Graph

from iatp_kg import reads
from iatp_kg.auth import require_admin
from iatp_kg.context import AppContext, ContextDep
from iatp_kg.errors import BadRequest, Conflict, NotFound
from iatp_kg.jsonld import context_url
from iatp_kg.pages import language
from iatp_kg.registration import (
    EXAMPLE,
    Problem,
    Registration,
    build,
    contacts_graph,
    inline_schema,
    json_schema,
    new_id,
    private_graph,
    problems_from_report,
    public_graph,
)
from iatp_kg.registration import validate as validate_registration
from iatp_kg.registration_input import (
    JsonLdRefused,
    fields_from_graph,
    graph_from_jsonld,
    initiatives_in,
)
from iatp_kg.registration_records import (
    STATUSES,
    Record,
    now,
    published,
    read_record,
    record_triples,
)
from iatp_kg.responses import JSONBytesResponse
from iatp_kg.routers import interest
from iatp_kg.routers.forms import (
    BODY_ERRORS,
    EDITOR_ERRORS,
    JSON,
    JSONLD,
    NOT_AN_OBJECT,
    error_doc,
    invalid,
    json_body,
    read_graph,
    t,
    validate_model,
    write_graphs,
)
from iatp_kg.validation import context_for
from iatp_kg.validation_sparql import validate_graph_sparql

router = APIRouter(prefix="/api/v1", tags=["Registrations"])

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22}$")
PRIVATE_REGISTRATIONS = str(private_graph(""))


async def _fields_from_jsonld(doc: Any, request: Request, ctx: AppContext, lang: str) -> dict:
    urls = (context_url(ctx.settings.base_iri), f"{request.base_url}context.jsonld")
    try:  # in a thread: a large document keeps pyld busy, never the event loop
        g = await asyncio.to_thread(graph_from_jsonld, doc, urls)
    except JsonLdRefused as exc:
        if exc.remote:
            raise BadRequest(
                t(
                    lang,
                    f"the JSON-LD names the remote context {exc.remote}, which is never "
                    f"fetched; use {urls[0]} or an inline context",
                    f"el JSON-LD nombra el contexto remoto {exc.remote}, que nunca se "
                    f"descarga; use {urls[0]} o un contexto en línea",
                )
            ) from None
        raise BadRequest(
            t(lang, f"not valid JSON-LD: {exc.reason}", f"JSON-LD no válido: {exc.reason}")
        ) from None
    nodes = initiatives_in(g)
    if len(nodes) != 1:
        raise invalid(
            lang,
            [
                Problem(
                    "@graph",
                    f"the document must describe exactly one initiative (it describes {len(nodes)})",
                    f"el documento debe describir exactamente una iniciativa (describe {len(nodes)})",
                )
            ],
        )
    fields, problems = fields_from_graph(g, nodes[0])
    if problems:
        raise invalid(lang, problems)
    return fields


# ---- the store -------------------------------------------------------------------------------
def load_record(ctx: AppContext, sub_id: str) -> Record | None:
    if not ID_PATTERN.match(sub_id):
        return None
    return read_record(
        sub_id, read_graph(ctx, private_graph(sub_id)), read_graph(ctx, contacts_graph(sub_id))
    )


def _record_or_404(ctx: AppContext, sub_id: str, lang: str) -> Record:
    record = load_record(ctx, sub_id)
    if record is None:
        raise NotFound(t(lang, f"no registration {sub_id}", f"no hay inscripción {sub_id}"))
    return record


async def _already_public(ctx: AppContext, iri) -> bool:
    return await reads.ask(ctx, "ASK { ?i ?p ?o }", i=reads.iri(str(iri)))


def _conflict(lang: str, iri) -> Conflict:
    message = t(
        lang,
        f"an initiative with this name is already published as {iri}; "
        "give a different name, or ask the editors to update the published one",
        f"ya hay una iniciativa publicada con este nombre, {iri}; "
        "use otro nombre, o pida a los editores que actualicen la publicada",
    )
    return Conflict(message, detail=[{"field": "name", "message": message}])


async def _validate(ctx: AppContext, data: Graph):
    return await asyncio.to_thread(
        # The shapes compiled to SPARQL, in Oxigraph (held to pyshacl's results by the tests
        # of validation_sparql): 22 ms where pyshacl took 190 ms for one registration.
        lambda: validate_graph_sparql(data, context=context_for(ctx.store, data))
    )


# ---- views -----------------------------------------------------------------------------------
def status_url(request: Request, sub_id: str) -> str:
    return str(request.url_for("registration_status", sub_id=sub_id))


def public_view(record: Record, request: Request) -> dict:
    """What anyone holding the status URL sees: never the contact."""
    out: dict[str, Any] = {
        "id": record.id,
        "status": record.status,
        "name": record.name,
        "submitted": record.submitted,
        "updated": record.updated,
        "status_url": status_url(request, record.id),
    }
    if record.status == "approved" and record.initiative is not None:
        out["initiative"] = str(record.initiative)
    if record.status == "rejected":
        out["reason"] = record.reason
    return out


def editor_view(record: Record, request: Request) -> dict:
    """The editors' view: the submission as the form's fields, the contact included."""
    fields: dict[str, Any] = {}
    if record.initiative is not None:
        fields, _ = fields_from_graph(record.data + record.contacts, record.initiative)
    out = public_view(record, request)
    out.update(
        initiative=str(record.initiative) if record.initiative else None,
        reason=record.reason,
        requested_in=record.lang,
        registration=fields,
        graph=str(public_graph(record.id)) if record.status == "approved" else None,
    )
    return out


# ---- OpenAPI documentation -------------------------------------------------------------------
class Accepted(BaseModel):
    id: str = Field(description="The submission's id (unguessable).")
    status: str = Field(description="pending")
    status_url: str = Field(description="Poll it for the status (public, never the contact).")
    message: str


class RegistrationStatus(BaseModel):
    id: str
    status: str = Field(description="pending, approved or rejected")
    name: str | None = None
    submitted: str
    updated: str | None = None
    status_url: str
    initiative: str | None = Field(None, description="The published IRI, once approved.")
    reason: str | None = Field(None, description="Why it was rejected.")


class EditorItem(RegistrationStatus):
    requested_in: str = Field(description="The language the registrant used (es or en).")
    registration: dict = Field(description="The submitted form, contact included.")
    graph: str | None = Field(None, description="The public graph, once approved.")


class EditorList(BaseModel):
    items: list[EditorItem]
    total: int


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "…"}]})

    reason: str = Field(min_length=1, max_length=2000, description="Shown to the registrant.")


STATUS_EXAMPLE = {
    "id": "q3Zl2m0a6V5h1nB8c4XyTw",
    "status": "pending",
    "name": EXAMPLE["name"],
    "submitted": "2025-03-01T12:00:00+00:00",
    "updated": None,
    "status_url": "https://iatp.example.org/api/v1/registrations/q3Zl2m0a6V5h1nB8c4XyTw",
}
JSONLD_EXAMPLE = {
    "@context": "https://w3id.org/iatp/context.jsonld",
    "type": "ClusterInitiative",
    "name": {"es": "Clúster de Software de Ejemplo"},
    "kind": {"id": "https://w3id.org/iatp/id/initiative-kind/cluster"},
    "country": {"id": "https://w3id.org/iatp/id/country/co"},
    "locatedIn": {"id": "https://w3id.org/iatp/id/subdivision/co-ant"},
    "sector": [{"id": "https://w3id.org/iatp/id/isic/62"}],
    "foundingYear": "2015",
    "schema:contactPoint": {"schema:email": "persona@example.org"},
}


# ---- registrations ---------------------------------------------------------------------------
@router.post(
    "/registrations",
    summary="Register an initiative (moderated)",
    description="JSON matching the schema at `/api/v1/registrations/schema`, or JSON-LD "
    "(`application/ld+json`) describing one initiative with the context at `/context.jsonld` "
    "(a remote context is refused, never fetched). Checked against the form, the registry's "
    "rules and the SHACL shapes; a problem is a 422 naming each field, in Spanish or English "
    "(`?lang=`, else `Accept-Language`), and nothing is stored. Valid: kept for the editors "
    "and answered 202 with a status URL. The contact fields are never published.",
    status_code=202,
    response_model=Accepted,
    responses={
        202: {
            "description": "Received; pending moderation.",
            "headers": {"Location": {"description": "The status URL.", "schema": {}}},
            "content": {
                JSON: {
                    "example": {
                        "id": STATUS_EXAMPLE["id"],
                        "status": "pending",
                        "status_url": STATUS_EXAMPLE["status_url"],
                        "message": "Received; the editors will review it.",
                    }
                }
            },
        },
        409: error_doc("An initiative with this name (the same IRI) is already published."),
        **BODY_ERRORS,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                JSON: {
                    "schema": inline_schema(Registration),
                    "examples": {"registration": {"value": EXAMPLE}},
                },
                JSONLD: {
                    "schema": {"type": "object"},
                    "examples": {"registration": {"value": JSONLD_EXAMPLE}},
                },
            },
        },
        "parameters": [
            {
                "name": "lang",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": ["es", "en"]},
                "description": "The language of the answer (else Accept-Language).",
            }
        ],
    },
)
async def submit(request: Request, ctx: ContextDep) -> Response:
    lang = language(request)
    doc, media = await json_body(request, ctx, lang, (JSON, JSONLD))
    if media == JSONLD:
        doc = await _fields_from_jsonld(doc, request, ctx, lang)
    if not isinstance(doc, dict):
        raise invalid(lang, [NOT_AN_OBJECT])
    reg, problems = validate_registration(doc)
    if problems or reg is None:
        raise invalid(lang, problems)
    sub_id = new_id()
    built = build(reg, sub_id)
    if await _already_public(ctx, built.initiative):
        raise _conflict(lang, built.initiative)
    report = await _validate(ctx, built.data)
    if not report.conforms:
        raise invalid(lang, problems_from_report(report, built.data, built.initiative))
    record = Record(sub_id, "pending", now(), initiative=built.initiative, lang=lang)
    private = built.data + record_triples(record)
    graphs = {str(private_graph(sub_id)): private, str(contacts_graph(sub_id)): built.contacts}
    async with ctx.write_lock:
        await write_graphs(ctx, graphs)
    url = status_url(request, sub_id)
    body = {
        "id": sub_id,
        "status": "pending",
        "status_url": url,
        "message": t(
            lang,
            "Received; the editors will review it. Follow its status at the status URL.",
            "Recibida; los editores la revisarán. Siga su estado en la URL de estado.",
        ),
    }
    return JSONBytesResponse(body, status_code=202, headers={"Location": url})


@router.get(
    "/registrations/schema",
    summary="The JSON Schema of a registration",
    description="JSON Schema 2020-12 of the body `POST /api/v1/registrations` takes.",
    responses={
        200: {"content": {"application/schema+json": {"example": {"title": "Registration"}}}}
    },
)
async def registration_schema(request: Request) -> Response:
    schema = json_schema(str(request.url).split("?", 1)[0])
    return JSONBytesResponse(schema, media_type="application/schema+json")


@router.get(
    "/registrations",
    summary="Editors: list submissions (with contacts)",
    description="Every submission, newest first, with the submitted form and its contact. "
    "Needs `Authorization: Bearer <token>`. `status` filters.",
    response_model=EditorList,
    responses={
        200: {
            "content": {
                JSON: {
                    "example": {
                        "items": [
                            {
                                **STATUS_EXAMPLE,
                                "requested_in": "es",
                                "registration": EXAMPLE,
                                "graph": None,
                            }
                        ],
                        "total": 1,
                    }
                }
            }
        },
        **EDITOR_ERRORS,
    },
)
async def list_registrations(
    request: Request,
    ctx: ContextDep,
    status: str | None = Query(None, description="pending, approved or rejected"),
) -> Response:
    require_admin(ctx.settings, request.headers.get("authorization"))
    if status is not None and status not in STATUSES:
        lang = language(request)
        raise BadRequest(
            t(
                lang,
                f"status {status!r} is not one of {', '.join(STATUSES)}",
                f"el estado {status!r} no es uno de {', '.join(STATUSES)}",
            )
        )

    def views() -> list[dict]:  # in a thread: it reads every submission's graphs
        ids = [
            g.value[len(PRIVATE_REGISTRATIONS) :]
            for g in ctx.store.named_graphs()
            if g.value.startswith(PRIVATE_REGISTRATIONS)
        ]
        records = [r for r in (load_record(ctx, i) for i in ids) if r is not None]
        records = [r for r in records if status is None or r.status == status]
        records.sort(key=lambda r: (r.submitted, r.id), reverse=True)
        return [editor_view(r, request) for r in records]

    items = await asyncio.to_thread(views)
    return JSONBytesResponse({"items": items, "total": len(items)})


@router.get(
    "/registrations/{sub_id}",
    name="registration_status",
    summary="The status of a registration (public)",
    description="pending, approved (with the published IRI) or rejected (with the reason). "
    "Never the contact.",
    response_model=RegistrationStatus,
    responses={
        200: {"content": {JSON: {"example": STATUS_EXAMPLE}}},
        404: error_doc("No such registration."),
    },
)
async def registration_status(sub_id: str, request: Request, ctx: ContextDep) -> Response:
    record = _record_or_404(ctx, sub_id, language(request))
    return JSONBytesResponse(public_view(record, request))


@router.post(
    "/registrations/{sub_id}/approve",
    summary="Editors: approve and publish a submission",
    description="Re-validates the initiative against the store as it is now, then publishes it "
    "into `https://w3id.org/iatp/id/graph/registration/{id}` with its provenance (an approval "
    "activity at this time, the submission as its source), in one transaction. 409 when it "
    "is not pending, or when an initiative with the same IRI was published meanwhile.",
    response_model=EditorItem,
    responses={
        200: {"content": {JSON: {"example": {**STATUS_EXAMPLE, "status": "approved"}}}},
        404: error_doc("No such registration."),
        409: error_doc("Not pending any more, or the initiative's IRI is already published."),
        422: error_doc("The initiative no longer conforms to the shapes with the store's content."),
        **EDITOR_ERRORS,
    },
)
async def approve(sub_id: str, request: Request, ctx: ContextDep) -> Response:
    require_admin(ctx.settings, request.headers.get("authorization"))
    lang = language(request)
    async with ctx.write_lock:
        record = _record_or_404(ctx, sub_id, lang)
        _check_pending(record, lang)
        if await _already_public(ctx, record.initiative):
            raise _conflict(lang, record.initiative)
        at = now()
        public = published(record, at)
        report = await _validate(ctx, public)
        if not report.conforms:
            raise invalid(lang, problems_from_report(report, public, record.initiative))
        record.status, record.updated = "approved", at
        await write_graphs(
            ctx,
            {
                str(public_graph(sub_id)): public,
                str(private_graph(sub_id)): record.data + record_triples(record),
            },
        )
    return JSONBytesResponse(editor_view(record, request))


@router.post(
    "/registrations/{sub_id}/reject",
    summary="Editors: reject a submission, with a reason",
    description="The reason is shown at the status URL. Nothing is published; the submission "
    "stays in its private graphs for the record.",
    response_model=EditorItem,
    responses={
        200: {
            "content": {JSON: {"example": {**STATUS_EXAMPLE, "status": "rejected", "reason": "…"}}}
        },
        404: error_doc("No such registration."),
        409: error_doc("Not pending any more."),
        **BODY_ERRORS,
        **EDITOR_ERRORS,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                JSON: {
                    "schema": inline_schema(Rejection),
                    "examples": {
                        "reason": {"value": {"reason": "Not a productive articulation initiative."}}
                    },
                }
            },
        }
    },
)
async def reject(sub_id: str, request: Request, ctx: ContextDep) -> Response:
    require_admin(ctx.settings, request.headers.get("authorization"))
    lang = language(request)
    doc, _ = await json_body(request, ctx, lang, (JSON,))
    rejection = validate_model(Rejection, doc, lang)
    async with ctx.write_lock:
        record = _record_or_404(ctx, sub_id, lang)
        _check_pending(record, lang)
        record.status, record.updated, record.reason = "rejected", now(), rejection.reason
        await write_graphs(ctx, {str(private_graph(sub_id)): record.data + record_triples(record)})
    return JSONBytesResponse(editor_view(record, request))


def _check_pending(record: Record, lang: str) -> None:
    if record.status != "pending":
        raise Conflict(
            t(
                lang,
                f"registration {record.id} is already {record.status}",
                f"la inscripción {record.id} ya está "
                + {"approved": "aprobada", "rejected": "rechazada"}.get(record.status, "cerrada"),
            )
        )


router.include_router(interest.router)
