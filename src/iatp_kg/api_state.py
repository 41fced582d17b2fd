"""What the REST facade keeps in process memory, per store version: the listing index of each
resource (:mod:`iatp_kg.api_index`) and a small LRU of sorted selections, so that the pages of
one listing cost a bisect each.

One build at a time (an ``asyncio.Lock``): requests that arrive while an index is being built
wait for it instead of building their own. Scans are read through :mod:`iatp_kg.reads` (the
executor, the public graphs only), two at a time: each is short, so other requests get a
worker in between; the joins run in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from iatp_kg import api_index, reads
from iatp_kg.context import AppContext

STATE_KEY = ("api-state",)
MAX_SELECTIONS = 64  # sorted selections kept (each a list of references into the index)
MAX_SELECTED_ITEMS = 400_000  # ... and at most this many items over all of them
THREAD_ABOVE = 2_000  # filter and sort in a thread above this many items
SCANS_AT_ONCE = 2  # scans are short (under a second at 10 k initiatives); others interleave


class ApiState:
    def __init__(self) -> None:
        self.version: str | None = None
        self.indexes: dict[str, dict[str, api_index.Item]] = {}
        self.selections: OrderedDict[tuple, tuple[list, list]] = OrderedDict()
        self.selected_items = 0
        self.lock = asyncio.Lock()

    def at(self, version: str) -> None:
        """Forget everything made at another store version."""
        if version != self.version:
            self.version = version
            self.indexes = {}
            self.selections.clear()
            self.selected_items = 0

    def remember(self, key: tuple, selection: tuple[list, list]) -> None:
        self.selections[key] = selection
        self.selected_items += len(selection[0])
        while self.selections and (
            len(self.selections) > MAX_SELECTIONS or self.selected_items > MAX_SELECTED_ITEMS
        ):
            _, (old, _) = self.selections.popitem(last=False)
            self.selected_items -= len(old)


def state(ctx: AppContext) -> ApiState:
    found = ctx.cache.get(STATE_KEY)
    if found is None:
        found = ctx.cache[STATE_KEY] = ApiState()
    return found


async def _scans(ctx: AppContext, names: tuple[str, ...]) -> dict[str, list[dict]]:
    """The rows of each scan, at most :data:`SCANS_AT_ONCE` at a time."""
    limit = asyncio.Semaphore(SCANS_AT_ONCE)

    async def scan(name: str) -> list[dict]:
        async with limit:
            return await reads.select(ctx, api_index.SCANS[name])

    found = await asyncio.gather(*(scan(name) for name in names))
    return dict(zip(names, found, strict=True))


async def index(ctx: AppContext, resource: str) -> dict[str, api_index.Item]:
    """The items of ``resource`` at the store's current version (built on first use)."""
    st = state(ctx)
    st.at(ctx.store.version)
    if resource in st.indexes:
        return st.indexes[resource]
    async with st.lock:
        for _ in range(3):  # a write during the build: build again at the new version
            version = ctx.store.version
            st.at(version)
            if resource in st.indexes:
                return st.indexes[resource]
            spec = api_index.RESOURCES[resource]
            rows = await _scans(ctx, spec.scans)
            items = await asyncio.to_thread(api_index.build, resource, api_index.Scans(rows))
            del rows
            if ctx.store.version == version:
                st.indexes[resource] = items
                return items
        return items  # the store keeps changing: answer with the latest build, uncached


async def selection(
    ctx: AppContext, resource: str, filters: api_index.Filters, sort: str
) -> tuple[list[api_index.Item], list[list]]:
    """The items of a listing in order, and their sort keys; kept in a small LRU."""
    items = await index(ctx, resource)
    st = state(ctx)
    key = (resource, filters.key(), sort, st.version)
    found = st.selections.get(key)
    if found is not None:
        st.selections.move_to_end(key)
        return found
    values = list(items.values())
    if len(values) > THREAD_ABOVE:
        found = await asyncio.to_thread(api_index.select, values, filters, sort)
    else:
        found = api_index.select(values, filters, sort)
    if st.version == key[-1]:
        st.remember(key, found)
    return found


def page_start(keys: list[list], after: list | None, sort: str) -> int:
    """Where the page after the cursor's last key begins."""
    return api_index.page_after(keys, after, sort.startswith("-"))


async def one(ctx: AppContext, resource: str, iri: str) -> api_index.Item | None:
    """One resource by its IRI, read with its IRI bound (no index needed), or None when the
    public graphs do not hold it as a ``resource``."""
    spec = api_index.RESOURCES[resource]
    rows = {"type": await reads.select(ctx, spec.one["type"], s=reads.iri(iri))}
    if not rows["type"]:
        return None
    for name, query in spec.one.items():
        if name != "type":
            rows[name] = await reads.select(ctx, query, s=reads.iri(iri))
    return api_index.build_one(resource, rows).get(iri)


async def exists(ctx: AppContext, resource: str, iri: str) -> bool:
    spec = api_index.RESOURCES[resource]
    return bool(await reads.select(ctx, spec.one["type"], s=reads.iri(iri)))
