"""An optional per-client request limit: past ``rate_limit_per_minute`` requests in a moving
60-second window a client gets 429 with ``Retry-After``.

The counting is the `limits` library's moving window; its storage is a URI
(``memory://`` by default, ``redis://…`` when several server processes must share counts).
The client is the TCP peer address; ``/health`` and ``/static`` are not counted.
"""

from __future__ import annotations

import math
import time

import orjson
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

EXEMPT_PREFIXES = ("/health", "/static/")


class RateLimitMiddleware:
    """Pure ASGI, so streamed responses pass through untouched."""

    def __init__(self, app, *, per_minute: int, storage_uri: str = "memory://") -> None:
        self.app = app
        self.item = RateLimitItemPerMinute(per_minute)
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        if self.limiter.hit(self.item, client):
            await self.app(scope, receive, send)
            return
        stats = self.limiter.get_window_stats(self.item, client)
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        request_id = (scope.get("state") or {}).get("request_id")
        body = orjson.dumps(
            {
                "error": {
                    "code": "too_many_requests",
                    "message": f"more than {self.item.amount} requests in a minute from "
                    f"{client}; retry after {retry} s",
                    "request_id": request_id,
                }
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(retry).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
