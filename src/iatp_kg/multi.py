"""``iatp-kg serve --workers N``: several server processes behind one port, over one store.

The embedded Oxigraph store can be open for writing in one process only, so several workers
cannot each hold it. Over a remote store (``IATP_KG_STORE=sparql:URL``) each worker talks to the
remote. Over the embedded store, this command first seeds it if it is empty, then starts
``oxigraph serve`` (the ``oxigraph`` package from PyPI, the same engine and file format) on it,
on the loopback interface only, and runs the workers against that as a remote store. Either
way there is one store: every write is one transaction there, and the version behind ETags is a
marker in the store itself (``RemoteStore.version``), so every worker gives the same ETag for
the same state. uvicorn starts the workers and restarts one that dies.

The cost: workers over a remote store keep no in-memory copy (the remote answers every query),
so scans run at the remote's speed; see docs/deployment.md for when that pays.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from iatp_kg.errors import StoreError
from iatp_kg.settings import Settings


def app_factory():
    """The app of one worker, from the environment the parent process prepared."""
    from iatp_kg.app import create_app

    return create_app(Settings())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oxigraph_binary() -> str:
    """The ``oxigraph`` server from PyPI: beside this Python first, then on the PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if found is None:
        raise StoreError(
            "--workers over the embedded store needs the oxigraph server: pip install oxigraph"
        )
    return found


def seed_if_empty(settings: Settings) -> None:
    """Open the store once (creating an embedded one), seed it when empty, close it: once
    here, not in every worker at the same time."""
    from iatp_kg.loading import seed_store

    if settings.remote_store:
        from iatp_kg.remote import RemoteStore

        store = RemoteStore.from_settings(settings)
    else:
        from iatp_kg.store import Store

        store = Store.open(settings.store_dir)
    try:
        if settings.seed_on_start and store.is_empty():
            seed_store(store)
        store.flush()
    finally:
        if settings.remote_store:
            store.close()
        del store


@contextlib.contextmanager
def oxigraph_server(store_dir: Path, timeout: float = 120) -> Iterator[str]:
    """``oxigraph serve`` on ``store_dir``, on a free loopback port; its URL while it runs."""
    port = _free_port()
    proc = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(store_dir), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise StoreError(
                    f"oxigraph serve stopped at start: {proc.stderr.read().decode()[-500:]}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/query", params={"query": "ASK {}"}, timeout=2).is_success:
                    break
            if time.monotonic() > deadline:
                raise StoreError("oxigraph serve did not answer in time")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """Run ``workers`` server processes on ``host:port`` over one store (see the module)."""
    import uvicorn

    def run(store: str) -> None:
        os.environ["IATP_KG_STORE"] = store
        os.environ["IATP_KG_SEED_ON_START"] = "false"  # seeded once, before the workers
        uvicorn.run(
            "iatp_kg.multi:app_factory",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            server_header=False,
            log_level="warning",
            access_log=False,
        )

    seed_if_empty(settings)
    if settings.remote_store:
        run(settings.store)
        return
    with oxigraph_server(settings.store_dir) as url:
        run(f"sparql:{url}")
