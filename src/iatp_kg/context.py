"""What a running server holds: its settings, the store, the query executor."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from iatp_kg.executor import Executor
from iatp_kg.result_cache import ResultCache
from iatp_kg.settings import Settings
from iatp_kg.store import Store


@dataclass
class AppContext:
    settings: Settings
    store: Store
    executor: Executor
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    cache: dict = field(default_factory=dict)  # small per-version caches (statistics)
    results: ResultCache | None = None  # the /sparql result cache


async def get_context(request: Request) -> AppContext:  # async: no threadpool hop
    return request.app.state.ctx


ContextDep = Annotated[AppContext, Depends(get_context)]
