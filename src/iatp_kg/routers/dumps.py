"""Dumps (/dumps/), the DCAT catalog (/catalog) and VoID (/.well-known/void)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
