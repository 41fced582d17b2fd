"""Match-making: /api/v1/initiatives/{id}/matches."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
