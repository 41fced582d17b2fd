"""What a running server holds: its settings, the store, the query executor."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from iatp_kg.executor import Executor
from iatp_kg.result_cache import ResultCache
from iatp_kg.settings import Settings
from iatp_kg.store import Store

T = TypeVar("T")


@dataclass
class AppContext:
    settings: Settings
    store: Store
    executor: Executor
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    cache: dict = field(default_factory=dict)  # small per-version caches (statistics)
    results: ResultCache | None = None  # the /sparql result cache

    async def per_version(self, name: str, build: Callable[[], Awaitable[T]]) -> T:
        """``build()``'s value for the store's current version, built once per version; the
        value kept under ``name`` for an older version is dropped (the other names stay)."""
        key = (name, self.store.version)
        if key not in self.cache:
            value = await build()
            self.cache = {k: v for k, v in self.cache.items() if k[0] != name}
            self.cache[key] = value
        return self.cache[key]


async def get_context(request: Request) -> AppContext:  # async: no threadpool hop
    return request.app.state.ctx


ContextDep = Annotated[AppContext, Depends(get_context)]
