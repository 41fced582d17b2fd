"""create_app(settings): wires the store, the executor, the routers and the error handlers."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid

import orjson
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from iatp_kg import __version__, http_errors
from iatp_kg.commands import open_store
from iatp_kg.context import AppContext
from iatp_kg.executor import Executor
from iatp_kg.paths import static_dir
from iatp_kg.remote import RemoteExecutor, RemoteStore
from iatp_kg.result_cache import ResultCache
from iatp_kg.settings import Settings
from iatp_kg.store import Store

access_log = logging.getLogger("iatp_kg.access")
log = logging.getLogger("iatp_kg")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
HTML_CSP = (  # a page may send its own (the map widens img-src to its tile server)
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'"
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: structured access and error logs."""

    def format(self, record: logging.LogRecord) -> str:
        data = {"time": round(record.created, 3), "level": record.levelname, "logger": record.name}
        if isinstance(record.msg, dict):
            data.update(record.msg)
        else:
            data["message"] = record.getMessage()
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(data).decode()


def configure_logging() -> None:
    root = logging.getLogger("iatp_kg")
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False


class RequestContextMiddleware:
    """Pure ASGI (so streamed bodies pass through untouched, and an error after the first byte
    aborts the connection): a request id, security headers, one JSON access-log line."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = (
            headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex[:16]
        )
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                out = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                present = {k.lower() for k, _ in out}
                if b"x-request-id" not in present:
                    out.append((b"x-request-id", request_id.encode()))
                for key, value in SECURITY_HEADERS.items():
                    if key.lower().encode() not in present:
                        out.append((key.lower().encode(), value.encode()))
                content_type = dict(out).get(b"content-type", b"")
                if (
                    content_type.startswith(b"text/html")
                    and b"content-security-policy" not in present
                ):
                    out.append((b"content-security-policy", HTML_CSP.encode()))
                message = {**message, "headers": out}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            client = scope.get("client")
            access_log.info(
                {
                    "event": "request",
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                    "client": client[0] if client else None,
                }
            )


class PinnedStoreVersion:
    """Over a remote store, each request reads the store's version once, without blocking the
    event loop, and sees that one throughout (``RemoteStore.pinned``)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        state = getattr(scope.get("app"), "state", None)
        store = getattr(getattr(state, "ctx", None), "store", None)
        if (
            scope["type"] != "http"
            or not isinstance(store, RemoteStore)
            or scope.get("path", "").startswith("/static/")
        ):
            await self.app(scope, receive, send)
            return
        async with store.pinned():
            await self.app(scope, receive, send)


def make_executor(settings: Settings, store: Store | RemoteStore) -> Executor | RemoteExecutor:
    """Query workers over the embedded store, or queries sent to the remote one."""
    limits = {
        "workers": settings.query_workers,
        "timeout": settings.query_timeout,
        "max_result_bytes": settings.max_result_bytes,
        "max_result_rows": settings.max_result_rows,
        "union_default_graph": settings.union_default_graph,
    }
    if isinstance(store, RemoteStore):
        return RemoteExecutor(store, **limits)
    return Executor(
        settings.store_dir,
        memory_copy=settings.query_memory_copy,
        changes=store.changes,
        **limits,
    )


def create_app(settings: Settings) -> FastAPI:
    configure_logging()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        store = open_store(settings)
        if settings.seed_on_start and store.is_empty():
            from iatp_kg.loading import seed_store

            started = time.monotonic()
            result = seed_store(store)
            log.info(
                {
                    "event": "seeded",
                    "triples": result.triples,
                    "seconds": round(time.monotonic() - started, 2),
                }
            )
        store.flush()
        executor = make_executor(settings, store)
        await executor.start()
        results = ResultCache(settings.result_cache_bytes) if settings.result_cache_bytes else None
        app.state.ctx = AppContext(settings, store, executor, results=results)
        try:
            yield
        finally:
            await executor.stop()
            if isinstance(store, RemoteStore):
                await store.aclose()

    app = FastAPI(
        title="iatp-kg",
        version=__version__,
        summary="Knowledge graph of territorial productive articulation initiatives (IATP) "
        "in Latin America and the Caribbean: SPARQL 1.1, Graph Store, REST and JSON-LD.",
        lifespan=lifespan,
    )
    http_errors.install(app)

    if settings.remote_store:
        app.add_middleware(PinnedStoreVersion)
    if settings.rate_limit_per_minute:
        from iatp_kg.ratelimit import RateLimitMiddleware

        app.add_middleware(
            RateLimitMiddleware,
            per_minute=settings.rate_limit_per_minute,
            storage_uri=settings.rate_limit_storage,
        )
    app.add_middleware(RequestContextMiddleware)  # outside the limit: a 429 has its request id

    # CORS for reads: any origin may GET, HEAD and POST queries; no credentials and no
    # Authorization header, so a browser on another site can never write.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["Accept", "Content-Type", "If-None-Match", "If-Modified-Since"],
        expose_headers=["ETag", "Last-Modified", "Link", "X-Request-ID", "X-Total-Count"],
        max_age=3600,
    )

    from iatp_kg.routers import (
        api,
        dumps,
        graph_store,
        health,
        matches,
        registrations,
        resources,
        site,
        sparql,
        update,
    )

    app.include_router(sparql.router)
    app.include_router(update.router)
    app.include_router(graph_store.router)
    app.include_router(health.router)
    app.include_router(matches.router)  # before api: /initiatives/{id}/matches is more specific
    app.include_router(registrations.router)
    app.include_router(api.router)
    app.include_router(resources.router)
    app.include_router(dumps.router)
    app.include_router(site.router)
    static = static_dir()
    static.mkdir(parents=True, exist_ok=True)
    app.mount("/static", StaticFiles(directory=static), name="static")
    return app


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the app under uvicorn (the ``iatp-kg serve`` command)."""
    import uvicorn

    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        server_header=False,
        log_level="warning",
        access_log=False,
    )
