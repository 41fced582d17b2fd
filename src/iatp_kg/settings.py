"""One Settings object, read once from the environment (prefix ``IATP_KG_``) and passed down.

Every setting is documented in the README; a test fails when one is not.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_store_dir() -> Path:
    """``$XDG_DATA_HOME/iatp-kg/store``, i.e. ``~/.local/share/iatp-kg/store`` by default."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "iatp-kg" / "store"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IATP_KG_", extra="ignore")

    store_dir: Path = Field(default_factory=default_store_dir)
    """Where the on-disk Oxigraph store lives."""

    store: str | None = None
    """The store: ``oxigraph:DIR`` (the embedded store in DIR; unset: ``store_dir``) or
    ``sparql:URL``, a remote SPARQL 1.1 server with Oxigraph server's layout under URL
    (``/query``, ``/update``, ``/store``)."""

    store_query_url: str | None = None
    """The remote's query endpoint, instead of ``URL/query`` (Fuseki: ``…/ds/sparql``)."""

    store_update_url: str | None = None
    """The remote's update endpoint, instead of ``URL/update``."""

    store_graph_store_url: str | None = None
    """The remote's Graph Store Protocol endpoint, instead of ``URL/store`` (Fuseki: ``…/ds``);
    a GET without ``?graph`` must answer the whole dataset."""

    store_dialect: Literal["standard", "virtuoso"] = "standard"
    """How the remote departs from SPARQL 1.1: ``standard`` (Oxigraph server, Fuseki) or
    ``virtuoso`` (see :mod:`iatp_kg.dialects`)."""

    base_iri: str = "https://w3id.org/iatp/"
    """Public base of every persistent IRI (ontology, data, graphs)."""

    admin_token: SecretStr | None = None
    """Bearer token for writes (/update, /store, editors). Unset: writes are disabled (403)."""

    query_timeout: float = 30.0
    """Seconds a query may run before its worker is killed and the client gets 503."""

    query_workers: int = 2
    """Worker processes that evaluate queries (each can be killed at the time limit)."""

    max_body_bytes: int = 1_000_000
    """Largest request body accepted, in bytes (413 above)."""

    max_result_bytes: int = 200_000_000
    """Largest result a query may stream, in bytes; past it the connection is aborted."""

    max_result_rows: int = 1_000_000
    """Most rows a SELECT may return; past it the query stops (503, or an aborted stream)."""

    query_memory_copy: bool = True
    """Each query worker also keeps the public graphs in memory (faster scans; see README)."""

    result_cache_bytes: int = 64_000_000
    """Memory for the /sparql result cache (keyed by query, format, dataset and store version;
    emptied by every write). 0 turns it off."""

    union_default_graph: bool = True
    """Query the union of the public named graphs as the default graph (like Fuseki's tdb:unionDefaultGraph)."""

    service_allowlist: list[str] = Field(default_factory=list)
    """SPARQL endpoints SERVICE may call. Empty by default: SERVICE is refused."""

    rate_limit_per_minute: int | None = None
    """Optional per-client request limit; past it the answer is 429 with Retry-After."""

    rate_limit_storage: str = "memory://"
    """Where the rate limit counts live (a `limits` storage URI; redis://… to share them)."""

    map_tile_url: str | None = None
    """A tile-layer URL template for /map (``https://tile.example.org/{z}/{x}/{y}.png``). Unset:
    the map draws the bundled country outlines only, and fetches nothing."""

    map_tile_attribution: str = ""
    """The attribution the tile provider asks for, shown on the map."""

    seed_on_start: bool = True
    """On first start over an empty store, ingest the bundled seed pipelines."""

    @model_validator(mode="after")
    def _read_store(self) -> Settings:
        if self.store is None:
            return self
        kind, _, where = self.store.partition(":")
        if kind == "oxigraph" and where:
            self.store_dir = Path(where).expanduser()
        elif kind != "sparql" or not where.startswith(("http://", "https://")):
            raise ValueError(
                f"IATP_KG_STORE={self.store!r} is neither oxigraph:DIR nor sparql:http(s)://…"
            )
        return self

    @property
    def remote_store(self) -> bool:
        """Whether the store is a remote SPARQL server (``IATP_KG_STORE=sparql:URL``)."""
        return self.store is not None and self.store.startswith("sparql:")

    def store_endpoints(self):
        """The remote's query, update and Graph Store endpoints (``remote_store`` only)."""
        from iatp_kg.remote import Endpoints

        return Endpoints.at(
            self.store.removeprefix("sparql:"),
            query=self.store_query_url,
            update=self.store_update_url,
            graph_store=self.store_graph_store_url,
        )

    def describe_store(self) -> str:
        return self.store.removeprefix("sparql:") if self.remote_store else str(self.store_dir)

    @property
    def ontology_ns(self) -> str:
        return self.base_iri + "ontology#"

    @property
    def id_base(self) -> str:
        return self.base_iri + "id/"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings(...)`` instead."""
    return Settings()
