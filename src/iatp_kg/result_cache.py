"""A cache of whole /sparql results, for dashboards and portals that poll the same query.

Keyed by the store version, the query text, the negotiated media type and the dataset, so a
write (which changes the version) can never be hidden by it: the first request after a write
empties it. Only results that fit in a small share of the budget are kept; larger ones stream
as before. Hits and misses are counted on /health.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable

from cachetools import LRUCache


class ResultCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.max_entry = max(1, max_bytes // 16)
        self._lru: LRUCache = LRUCache(maxsize=max(1, max_bytes), getsizeof=len)
        self._version: str | None = None
        self.hits = 0
        self.misses = 0

    def get(self, version: str, key: Hashable) -> bytes | None:
        if version != self._version:
            self._lru.clear()
            self._version = version
        body = self._lru.get(key)
        if body is None:
            self.misses += 1
        else:
            self.hits += 1
        return body

    def keep(
        self, version: str, key: Hashable, chunks: AsyncIterator[bytes]
    ) -> AsyncIterator[bytes]:
        """Pass ``chunks`` through, keeping the whole body if it completes and is small."""

        async def tee() -> AsyncIterator[bytes]:
            kept: list[bytes] | None = []
            size = 0
            async for chunk in chunks:
                if kept is not None:
                    size += len(chunk)
                    if size > self.max_entry:
                        kept = None
                    else:
                        kept.append(chunk)
                yield chunk
            if kept is not None and version == self._version:
                self._lru[key] = b"".join(kept)

        return tee()

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "bytes": int(self._lru.currsize)}
