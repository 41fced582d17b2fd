"""The error hierarchy. Each error knows its HTTP status and its CLI exit code.

Exit codes (documented in the README): 0 ok or conforms, 1 does not conform, 2 error.
"""

from __future__ import annotations


class IatpError(Exception):
    """Base of every error the project raises on purpose."""

    status_code: int = 500
    exit_code: int = 2
    code: str = "internal_error"

    def __init__(self, message: str, *, detail: object | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class BadRequest(IatpError):
    status_code = 400
    code = "bad_request"


class SyntaxProblem(BadRequest):
    """RDF or SPARQL that does not parse; ``location`` is ``file:line:column`` when known."""

    code = "syntax_error"

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        detail: object | None = None,
    ) -> None:
        self.source, self.line, self.column = source, line, column
        where = ":".join(str(p) for p in (source, line, column) if p is not None)
        super().__init__(f"{where}: {message}" if where else message, detail=detail)


class NotConforming(IatpError):
    """Data that does not conform to the SHACL shapes; ``detail`` is the ValidationReport."""

    status_code = 422
    exit_code = 1
    code = "shacl_violation"


class Unauthorized(IatpError):
    status_code = 401
    code = "unauthorized"


class Forbidden(IatpError):
    status_code = 403
    code = "forbidden"


class NotFound(IatpError):
    status_code = 404
    code = "not_found"


class NotAcceptable(IatpError):
    status_code = 406
    code = "not_acceptable"


class Conflict(IatpError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(IatpError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(IatpError):
    status_code = 415
    code = "unsupported_media_type"


class TooManyRequests(IatpError):
    status_code = 429
    code = "too_many_requests"


class QueryTimeout(IatpError):
    status_code = 503
    code = "query_timeout"


class ResultTooLarge(IatpError):
    status_code = 503
    code = "result_too_large"


class StoreError(IatpError):
    """The store could not do what was asked (disk full, locked, corrupt)."""

    status_code = 503
    code = "store_error"
