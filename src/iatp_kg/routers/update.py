"""SPARQL 1.1 Update at /update: one transaction per request, for token holders only.

LOAD is refused (the server never fetches from the web). Updates are an expert tool: they are
not SHACL-validated (the Graph Store Protocol at /store is); they may touch any graph,
private ones included.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from iatp_kg.auth import require_admin
from iatp_kg.context import ContextDep
from iatp_kg.errors import BadRequest, StoreError, SyntaxProblem
from iatp_kg.routers.protocol import many, protocol_params, single
from iatp_kg.sparql_text import check_outbound, has_dataset_clause, inject_using, reach

router = APIRouter(tags=["SPARQL"])


@router.api_route(
    "/update",
    methods=["GET", "POST"],
    summary="SPARQL 1.1 Update (bearer token)",
    description="POST form `update=` or `application/sparql-update`, with optional "
    "`using-graph-uri` / `using-named-graph-uri`. Needs `Authorization: Bearer <token>`.",
)
@router.api_route("/update/", methods=["GET", "POST"], include_in_schema=False)
async def update(request: Request, ctx: ContextDep) -> Response:
    require_admin(ctx.settings, request.headers.get("authorization"))
    if request.method == "GET":
        raise BadRequest("updates must be sent by POST")
    params = await protocol_params(
        request,
        direct_type="application/sparql-update",
        field="update",
        limit=ctx.settings.max_body_bytes,
    )
    if any(k == "query" for k, _ in params):
        raise BadRequest("/update runs updates only; send queries to /sparql")
    text = single(params, "update")
    if text is None:
        raise BadRequest("the request has no 'update'")
    using = many(params, "using-graph-uri")
    using_named = many(params, "using-named-graph-uri")
    if (using or using_named) and has_dataset_clause(text):
        raise BadRequest(
            "the update names its own dataset (USING or WITH) and the request gives "
            "using-graph-uri / using-named-graph-uri too; give one or the other"
        )
    check_outbound(reach(text, update=True), [])
    text = inject_using(text, using, using_named)
    base = str(request.url).split("?", 1)[0]
    async with ctx.write_lock:
        try:
            await asyncio.to_thread(ctx.store.update, text, base_iri=base)
        except SyntaxError as exc:
            message = str(exc)
            raise SyntaxProblem(message, source="update") from exc
        except RuntimeError as exc:
            raise BadRequest(f"the update failed and nothing was changed: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"the store refused the update: {exc}") from exc
    return Response(status_code=204)
