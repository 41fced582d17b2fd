"""Dereferenceable IRIs (/id/{kind}/{slug}), the ontology (/ontology), the shapes (/shapes)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
