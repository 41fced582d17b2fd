"""One JSON error body for every error: ``{"error": {"code", "message", "request_id"}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from iatp_kg.errors import IatpError, Unauthorized
from iatp_kg.responses import JSONBytesResponse as ORJSONResponse

log = logging.getLogger("iatp_kg.http")


def error_response(
    request: Request, status: int, code: str, message: str, **extra
) -> ORJSONResponse:
    request_id = getattr(request.state, "request_id", None)
    body = {"error": {"code": code, "message": message, "request_id": request_id, **extra}}
    # Set here too: a 500 is answered outside the request-context middleware.
    headers = {"X-Request-ID": request_id} if request_id else {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="iatp-kg"'
    return ORJSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(IatpError)
    async def iatp_error(request: Request, exc: IatpError):
        extra = {}
        detail = exc.detail
        if hasattr(detail, "to_json"):
            extra["report"] = detail.to_json()
        elif isinstance(detail, list):
            extra["problems"] = [list(p) if isinstance(p, tuple) else p for p in detail]
        if exc.status_code >= 500:
            log.error(
                "request %s failed: %s", getattr(request.state, "request_id", "-"), exc.message
            )
        response = error_response(request, exc.status_code, exc.code, exc.message, **extra)
        if isinstance(exc, Unauthorized):
            response.headers["WWW-Authenticate"] = 'Bearer realm="iatp-kg"'
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(request, exc.status_code, code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        ]
        return error_response(
            request, 422, "invalid_request", "; ".join(problems) or "invalid request"
        )

    @app.exception_handler(ClientDisconnect)
    async def client_left(request: Request, exc: ClientDisconnect):
        # The client closed the connection before its body was read: nobody to answer, and
        # nothing went wrong here. 499 in the access log, as nginx records it.
        return Response(status_code=499)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        request_id = getattr(request.state, "request_id", "-")
        log.exception("internal error in request %s", request_id)
        return error_response(
            request, 500, "internal_error", f"an internal error occurred (request id {request_id})"
        )
