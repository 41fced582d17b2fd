"""Response helpers."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response


class JSONBytesResponse(Response):
    """JSON serialised by orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
