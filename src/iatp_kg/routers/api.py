"""The REST facade under /api/v1 and the JSON-LD context at /context.jsonld."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
