"""SPARQL 1.1 Update at /update: one transaction per request, for token holders only.

- Requests: POST ``application/sparql-update`` (the body is the update) or POST
  ``application/x-www-form-urlencoded`` with ``update=``; ``using-graph-uri`` and
  ``using-named-graph-uri`` (repeatable) become USING / USING NAMED clauses of every
  DELETE/INSERT operation (400 when the update has its own USING or WITH).
- Who: ``Authorization: Bearer <IATP_KG_ADMIN_TOKEN>``; 403 when no token is configured, 401
  for a missing or wrong one.
- ``LOAD`` is refused with 400 before anything runs: the word is found by a lexical scan of
  the text (outside IRIs, strings and comments), so the server never opens a connection for it.
  ``SERVICE`` follows the same allow-list as /sparql.
- A malformed update is 400 with the parser's line and column; an update that fails while
  running (CREATE of an existing graph, DROP of a missing one without SILENT) is 400, and
  nothing of it was written: each request is one transaction (``Store.update``). Every write
  changes the store version, so the query workers reopen the store and ETags change.
- Updates are an expert tool: they are NOT SHACL-validated (only the Graph Store Protocol at
  /store validates what it writes), and they may read and write any graph, the private ones
  under ``.../graph/private/`` included. Run ``iatp-kg validate`` after a batch of updates.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from iatp_kg.auth import require_admin
from iatp_kg.context import ContextDep
from iatp_kg.errors import BadRequest, StoreError, SyntaxProblem
from iatp_kg.routers.protocol import iris, protocol_params, single
from iatp_kg.sparql_text import (
    check_depth,
    check_outbound,
    has_dataset_clause,
    inject_using,
    keywords,
    reach,
    readable,
    syntax_location,
)

router = APIRouter(tags=["SPARQL"])


def refuse_load(text: str) -> None:
    """400 when the update contains a LOAD operation (found lexically, never parsed or run)."""
    if "LOAD" in keywords(text):
        raise BadRequest(
            "LOAD is refused: this server never fetches data from the web; "
            "send the data itself with INSERT DATA or to the Graph Store at /store"
        )


def syntax_problem(exc: SyntaxError) -> SyntaxProblem:
    """Oxigraph's 'error at LINE:COLUMN: message' as a SyntaxProblem with line and column."""
    text = exc.msg if isinstance(exc.msg, str) and exc.msg else str(exc)
    if exc.lineno is not None:  # a remote's error with its line apart (Virtuoso's: no column)
        return SyntaxProblem(readable(text), source="update", line=exc.lineno, column=exc.offset)
    message, line, column = syntax_location(text)
    return SyntaxProblem(message, source="update", line=line, column=column)


@router.api_route(
    "/update",
    methods=["GET", "POST"],
    summary="SPARQL 1.1 Update (bearer token)",
    description="POST form `update=` or `application/sparql-update`, with optional "
    "`using-graph-uri` / `using-named-graph-uri`. Needs `Authorization: Bearer <token>`. "
    "Runs as one transaction; LOAD is refused; not SHACL-validated (use /store for that).",
    status_code=204,
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
    refuse_load(text)
    check_depth(text)
    using = iris(params, "using-graph-uri")
    using_named = iris(params, "using-named-graph-uri")
    if (using or using_named) and has_dataset_clause(text):
        raise BadRequest(
            "the update names its own dataset (USING or WITH) and the request gives "
            "using-graph-uri / using-named-graph-uri too; give one or the other"
        )
    check_outbound(reach(text, update=True), ctx.settings.service_allowlist)
    text = inject_using(text, using, using_named)
    base = str(request.url).split("?", 1)[0]
    async with ctx.write_lock:
        try:
            await asyncio.to_thread(ctx.store.update, text, base_iri=base)
        except SyntaxError as exc:
            raise syntax_problem(exc) from exc
        except RuntimeError as exc:
            raise BadRequest(f"the update failed and nothing was changed: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"the store refused the update: {exc}") from exc
    return Response(status_code=204)
