"""Registration with moderation (/api/v1/registrations) and interest sign-ups."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
