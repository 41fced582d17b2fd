"""Runs every query under the time limit and the result-size limit.

pyoxigraph cannot cancel a query, so queries run in a pool of worker processes, each holding
the on-disk store open read-only. A worker evaluates the query and serialises the result with
Oxigraph's own serialisers, sending the bytes back in chunks. When a query passes the time
limit its worker is killed and replaced; the other workers keep answering meanwhile.

Every route that queries (SPARQL, REST, pages) goes through :class:`Executor`, so one policy
holds everywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import queue
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from iatp_kg.errors import BadRequest, QueryTimeout, ResultTooLarge, StoreError, SyntaxProblem

log = logging.getLogger("iatp_kg.executor")

CHUNK = 64 * 1024
# How often a worker reopens the store when a compaction removed a file under it (pauses
# of 20 ms, 40 ms, … 640 ms: about 1.3 s in all).
REOPEN_ATTEMPTS = 7


@dataclass(frozen=True)
class Term:
    """An RDF term that crosses process boundaries: ``kind`` is iri, literal or bnode."""

    kind: str
    value: str
    language: str | None = None
    datatype: str | None = None


@dataclass(frozen=True)
class QueryJob:
    query: str
    media_type: str
    default_graphs: tuple[str, ...] | None = None  # the protocol's default-graph-uri
    named_graphs: tuple[str, ...] | None = None  # the protocol's named-graph-uri
    query_dataset: bool = False  # the query's own FROM / FROM NAMED apply
    substitutions: tuple[tuple[str, Term], ...] = ()
    base_iri: str | None = None
    # The union of the public graphs as the default graph, whatever the endpoint's setting
    # (the REST facade and the pages read this way).
    public_union: bool = False


@dataclass
class _Worker:
    process: mp.process.BaseProcess
    conn: mp.connection.Connection
    busy_since: float = 0.0
    jobs: int = 0
    inbox: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)

    def __post_init__(self) -> None:
        threading.Thread(
            target=_relay_thread, args=(self.inbox,), daemon=True, name="iatp-kg-relay"
        ).start()


@dataclass
class Executor:
    store_path: Path
    workers: int = 2
    timeout: float = 30.0
    max_result_bytes: int = 200_000_000
    max_result_rows: int = 0  # 0: no row limit
    union_default_graph: bool = True
    # Each worker keeps the public graphs in memory too (see memory_copy.py); ``changes`` gives
    # the store's version and journal of recent writes (``Store.changes``).
    memory_copy: bool = True
    changes: Callable[[], tuple[str, tuple]] | None = None
    _idle: asyncio.Queue | None = field(default=None, init=False)
    _all: list[_Worker] = field(default_factory=list, init=False)
    _ctx: mp.context.BaseContext = field(
        default_factory=lambda: mp.get_context("spawn"), init=False
    )
    _closed: bool = field(default=False, init=False)
    replaced: int = field(default=0, init=False)
    # Queries answered from each worker's in-memory copy and from the disk.
    answered: dict = field(default_factory=lambda: {"memory": 0, "disk": 0}, init=False)
    _tasks: set = field(default_factory=set, init=False)

    # ---- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        self._idle = asyncio.Queue()
        started = await asyncio.gather(
            *(asyncio.to_thread(self._spawn) for _ in range(self.workers))
        )
        for worker in started:
            self._idle.put_nowait(worker)

    async def stop(self) -> None:
        self._closed = True
        for worker in list(self._all):
            self._kill(worker)

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=_worker_main,
            args=(
                child,
                str(self.store_path),
                self.union_default_graph,
                self.max_result_rows,
                self.changes() if self.memory_copy and self.changes else None,
            ),
            daemon=True,
            name="iatp-kg-query-worker",
        )
        process.start()
        child.close()
        ready = parent.recv()  # the worker says it has opened the store
        if ready != "ready":
            process.kill()
            raise StoreError(f"a query worker could not start: {ready}")
        worker = _Worker(process, parent)
        self._all.append(worker)
        return worker

    def _kill(self, worker: _Worker) -> None:
        worker.inbox.put(None)  # its relay thread ends after the job it may be relaying
        with contextlib.suppress(Exception):
            worker.process.kill()
            worker.process.join(timeout=5)
        with contextlib.suppress(Exception):
            worker.conn.close()
        if worker in self._all:
            self._all.remove(worker)

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker whose state is unknown and start a fresh one in the background, in a
        task of its own: a cancelled request (a client that went away) must never be able to
        interrupt the replacement, or the pool would shrink for good."""
        self._kill(worker)
        self.replaced += 1
        if self._closed:
            return
        task = asyncio.get_running_loop().create_task(self._respawn())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _respawn(self) -> None:
        while not self._closed:
            try:
                fresh = await asyncio.to_thread(self._spawn)
            except Exception:
                log.exception("a replacement query worker could not start; retrying")
                await asyncio.sleep(1)
                continue
            self._idle.put_nowait(fresh)
            return

    @property
    def alive(self) -> int:
        return sum(1 for w in self._all if w.process.is_alive())

    # ---- running ----------------------------------------------------------------------------
    async def stream(self, job: QueryJob, version: str) -> AsyncIterator[bytes]:
        """Run ``job`` and return an iterator of result bytes.

        Errors found before the first byte (syntax, time limit, busy) raise here, so they can
        become a proper HTTP error; later ones abort the iteration.
        """
        deadline = time.monotonic() + self.timeout
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout=self.timeout)
        except TimeoutError:
            raise QueryTimeout(
                f"all {self.workers} query workers stayed busy for {self.timeout:g} s; try again"
            ) from None
        loop = asyncio.get_running_loop()
        lease = _Lease(self, worker, loop)
        queue: asyncio.Queue = asyncio.Queue()
        try:
            changes = self.changes()[1] if self.memory_copy and self.changes else ()
            worker.busy_since = time.monotonic()
            lease.relay = _Relay(worker, loop, queue, deadline)
            lease.relay.send((version, changes, job))
            first = await queue.get()
        except BaseException:  # cancelled (the client went away) or failed: retire it
            lease.release(None)
            raise
        if first[0] == "end":  # an empty serialisation
            lease.release(first)
            return _empty()
        if first[0] != "data":
            lease.release(first)
            _raise(first, self.timeout)
        rest = self._rest(lease, first[1], queue)
        # A generator that is never iterated never runs its `finally`: release at collection.
        weakref.finalize(rest, lease.release, None)
        return rest

    async def _rest(
        self, lease: _Lease, first: bytes, queue: asyncio.Queue
    ) -> AsyncIterator[bytes]:
        sent = len(first)
        done = None
        try:
            yield first
            while True:
                msg = await queue.get()
                if msg[0] == "data":
                    sent += len(msg[1])
                    if sent > self.max_result_bytes:
                        done = ("too_large",)
                        raise ResultTooLarge(
                            f"the result passed the limit of {self.max_result_bytes:,} bytes"
                        )
                    yield msg[1]
                    continue
                done = msg
                if msg[0] != "end":
                    _raise(msg, self.timeout)
                return
        finally:
            lease.release(done)

    async def collect(self, job: QueryJob, version: str) -> bytes:
        """The whole result as bytes (for the REST facade and pages)."""
        chunks = [chunk async for chunk in await self.stream(job, version)]
        return b"".join(chunks)


class _Lease:
    """One job's hold on a worker, released exactly once: back to the pool after a clean end
    or error; retired after a time limit, a size limit or a dead worker. When the client went
    away (``last`` is None), the worker is not killed: its relay drops the rest of the answer
    and the worker comes back when it has finished (or is retired at the deadline), since a
    fresh worker costs a process start and a new in-memory copy (measured at 10k initiatives:
    wrk's disconnects at the end of each run made the next queries read the disk for 20 s).
    Safe to call from any thread (a garbage collection may run the finalizer anywhere): the
    work is done on the event loop."""

    def __init__(self, executor: Executor, worker: _Worker, loop) -> None:
        self.executor, self.worker, self.loop = executor, worker, loop
        self.relay: _Relay | None = None
        self.released = False
        self.lock = threading.Lock()

    def release(self, last: tuple | None) -> None:
        with self.lock:
            if self.released:
                return
            self.released = True
        if last is None and self.relay is not None:
            self.relay.abandon(self._drained)
            return
        clean = last is not None and last[0] in ("end", "error")
        source = last[1] if clean and last[0] == "end" and len(last) > 1 else None
        with contextlib.suppress(RuntimeError):  # the loop is closed: the server is stopping
            self.loop.call_soon_threadsafe(self._apply, clean, source)

    def _drained(self, kind: str) -> None:
        """The abandoned job ended (``end`` or ``error``: the worker is fine) or not."""
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._apply, kind in ("end", "error"), None)

    def _apply(self, clean: bool, source: str | None) -> None:
        self.worker.jobs += 1
        if source in self.executor.answered:
            self.executor.answered[source] += 1
        if clean:
            self.executor._idle.put_nowait(self.worker)
        else:  # timed out, too large, cancelled, or the client went away mid-stream
            self.executor._retire(self.worker)


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""


def _raise(msg: tuple, timeout: float):
    kind = msg[0]
    if kind == "timeout":
        raise QueryTimeout(f"the query ran past the time limit of {timeout:g} s and was stopped")
    if kind == "error":
        _, category, message, line, column = msg
        if category == "syntax":
            raise SyntaxProblem(message, source="query", line=line, column=column)
        if category == "bad_request":
            raise BadRequest(message)
        if category == "too_many_rows":
            raise ResultTooLarge(f"{message}; add a LIMIT or narrow the query")
        raise StoreError(f"the query failed: {message}")
    if kind == "dead":
        raise StoreError("the query worker stopped unexpectedly")
    if kind == "too_large":
        raise ResultTooLarge("the result passed the size limit")
    raise StoreError(f"unexpected worker message {kind!r}")


class _Relay:
    """Relays one job's messages from its worker's pipe into an asyncio queue until the end,
    an error, the worker's death or the deadline. Each worker has one long-lived relay thread
    (``_relay_thread``) that runs these one after another: starting a thread per query cost
    the event loop a fifth of its time under load (it waits for the thread to start)."""

    def __init__(self, worker: _Worker, loop, queue: asyncio.Queue, deadline: float) -> None:
        self.worker, self.loop, self.queue, self.deadline = worker, loop, queue, deadline
        self.lock = threading.Lock()
        self.final: str | None = None  # how the job ended: end, error, timeout, dead
        self.on_done = None  # set when the request was abandoned

    def send(self, message: tuple) -> None:
        self.worker.inbox.put((self, message))

    def abandon(self, on_done) -> None:
        """Nobody reads the answer any more: drop the rest, then call ``on_done(final)``."""
        with self.lock:
            final = self.final
            if final is None:
                self.on_done = on_done
                return
        on_done(final)

    def put(self, msg: tuple) -> None:
        if self.on_done is None:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.queue.put_nowait, msg)

    def run(self, message: tuple) -> None:
        """In the worker's relay thread: send the job, relay the answer."""
        final = "dead"
        try:
            final = self._relay(message)
        finally:
            with self.lock:
                self.final = final
                on_done = self.on_done
            if on_done is not None:
                on_done(final)

    def _relay(self, message: tuple) -> str:
        conn = self.worker.conn
        try:
            conn.send(message)
            while True:
                remaining = self.deadline - time.monotonic()
                if remaining <= 0 or not conn.poll(remaining):
                    self.put(("timeout",))
                    return "timeout"
                msg = conn.recv()
                self.put(msg)
                if msg[0] in ("end", "error"):
                    return msg[0]
        except (EOFError, OSError, BrokenPipeError):
            self.put(("dead",))
            return "dead"


def _relay_thread(inbox: queue.SimpleQueue) -> None:
    """One per worker: runs its jobs' relays until the worker is killed (``None``)."""
    while True:
        item = inbox.get()
        if item is None:
            return
        relay, message = item
        with contextlib.suppress(RuntimeError):  # the event loop closed: the server stops
            relay.run(message)


# ---- the worker process -------------------------------------------------------------------
class TooManyRows(Exception):
    pass


class RowCounter:
    r"""Counts the rows of a SPARQL results serialisation as it is written, in one pass over
    the bytes (strings and quoted fields are skipped), without parsing it.

    >>> c = RowCounter("text/csv"); c.feed(b'a,b\r\n"x\r\ny",1\r\n2,3\r\n'); c.rows
    2
    >>> c = RowCounter("application/sparql-results+json")
    >>> c.feed(b'{"head":{"vars":["s"]},"results":{"bindings":[{"s":{"type":"literal","value":"{"}},{}]}}')
    >>> c.rows
    2
    """

    def __init__(self, media_type: str) -> None:
        self.kind = media_type
        self.rows = -1 if media_type in ("text/csv", "text/tab-separated-values") else 0
        self.in_string = False
        self.escaped = False
        self.depth = 0
        self.tail = b""

    def feed(self, data: bytes) -> None:
        if self.kind == "application/sparql-results+xml":
            text = self.tail + data
            self.rows += text.count(b"<result>")
            self.tail = text[-7:]
            return
        quote = ord('"')
        for byte in data:
            if self.kind == "application/sparql-results+json":
                if self.in_string:
                    if self.escaped:
                        self.escaped = False
                    elif byte == 0x5C:  # backslash
                        self.escaped = True
                    elif byte == quote:
                        self.in_string = False
                elif byte == quote:
                    self.in_string = True
                elif byte in (0x7B, 0x5B):  # { [
                    if byte == 0x7B and self.depth == 3:
                        self.rows += 1
                    self.depth += 1
                elif byte in (0x7D, 0x5D):
                    self.depth -= 1
            elif self.kind == "text/csv":
                if byte == quote:
                    self.in_string = not self.in_string
                elif byte == 0x0A and not self.in_string:
                    self.rows += 1
            elif byte == 0x0A:  # TSV escapes newlines inside values
                self.rows += 1


class _PipeWriter:
    """A file-like object for Oxigraph's serialisers that sends chunks down the pipe, and
    stops the serialisation when a result passes the row limit."""

    def __init__(self, conn, counter: RowCounter | None = None, max_rows: int = 0) -> None:
        self.conn = conn
        self.buffer = bytearray()
        self.counter = counter
        self.max_rows = max_rows
        self.sent = False

    def write(self, data) -> int:
        if self.counter is not None:
            self.counter.feed(bytes(data))
            if self.counter.rows > self.max_rows:
                raise TooManyRows(self.max_rows)
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buffer:
            self.conn.send(("data", bytes(self.buffer)))
            self.buffer.clear()
            self.sent = True


def _worker_main(  # pragma: no cover
    conn,
    store_path: str,
    union_default_graph: bool,
    max_rows: int = 0,
    memory: tuple | None = None,
) -> None:
    """``memory``: the store's (version, journal) when the worker keeps a copy in memory."""
    import pyoxigraph as ox

    from iatp_kg.formats import RDF_SYNTAXES, RESULT_SYNTAXES
    from iatp_kg.memory_copy import MemoryCopy
    from iatp_kg.namespaces import PREFIXES
    from iatp_kg.sparql_text import syntax_location
    from iatp_kg.store import Store

    rdf = {s.media_type: s.oxigraph for s in RDF_SYNTAXES}
    results = {s.media_type: s.oxigraph for s in RESULT_SYNTAXES}
    store, version, public = None, None, []
    try:
        store = _open_read_only(Store, store_path)
        conn.send("ready")
    except Exception as exc:
        conn.send(f"{type(exc).__name__}: {exc}")
        return
    copy = None
    if memory is not None:
        copy = MemoryCopy(
            store_path,
            with_default_graph=not union_default_graph,
            open_read_only=lambda path: _open_read_only(Store, path),
        )
        copy.want(*memory)

    def term(t: Term):
        if t.kind == "iri":
            return ox.NamedNode(t.value)
        if t.kind == "bnode":
            return ox.BlankNode(t.value)
        if t.language:
            return ox.Literal(t.value, language=t.language)
        if t.datatype:
            return ox.Literal(t.value, datatype=ox.NamedNode(t.datatype))
        return ox.Literal(t.value)

    def run(store, public, job, writer, in_memory: bool) -> None:
        allowed = {g.value for g in public}
        union = False
        if job.default_graphs is not None:
            default = [ox.NamedNode(g) for g in job.default_graphs if g in allowed]
            named = [ox.NamedNode(g) for g in job.named_graphs or () if g in allowed]
        elif job.named_graphs is not None:
            default = []
            named = [ox.NamedNode(g) for g in job.named_graphs if g in allowed]
        elif job.query_dataset:
            default, named = None, None  # FROM / FROM NAMED, checked public by the caller
        elif in_memory:  # the copy holds only public graphs: Oxigraph's own union is safe
            union = union_default_graph or job.public_union
            default = list(public) if union and not union_default_graph else None
            union = union and default is None
            named = None
        else:
            default = list(public) if union_default_graph or job.public_union else None
            named = list(public)
        result = store.query(
            job.query,
            default_graph=default,
            named_graphs=named,
            union_default_graph=union,
            substitutions={ox.Variable(k): term(v) for k, v in job.substitutions} or None,
            base_iri=job.base_iri,
            prefixes=PREFIXES,
        )
        if max_rows and isinstance(result, ox.QuerySolutions):
            writer.counter = RowCounter(job.media_type)
        if isinstance(result, ox.QueryTriples):
            fmt = rdf.get(job.media_type)
            if fmt is None:
                raise ValueError(f"a graph result cannot be written as {job.media_type}")
        else:
            fmt = results.get(job.media_type)
            if fmt is None:
                raise ValueError(f"a table result cannot be written as {job.media_type}")
        result.serialize(writer, fmt)
        writer.flush()

    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        job_version, changes, job = message
        for attempt in range(1, REOPEN_ATTEMPTS + 1):
            writer = _PipeWriter(conn, None, max_rows)
            memory_store = None
            try:
                if job_version != version or attempt > 1:
                    store = Store.open(store_path, read_only=True)
                    version = job_version
                    public = store.public_graphs()
                if copy is not None:
                    memory_store = copy.acquire(job_version)
                    if memory_store is None:
                        copy.want(job_version, changes)
                if memory_store is not None:
                    run(Store(memory_store, None, read_only=True), public, job, writer, True)
                else:
                    run(store, public, job, writer, False)
                conn.send(("end", "disk" if memory_store is None else "memory"))
            except TooManyRows:
                conn.send(
                    (
                        "error",
                        "too_many_rows",
                        f"the result has more than {max_rows:,} rows",
                        None,
                        None,
                    )
                )
            except SyntaxError as exc:
                text, line, column = syntax_location(str(exc))
                conn.send(("error", "syntax", text, line, column))
            except ValueError as exc:
                conn.send(("error", "bad_request", str(exc), None, None))
            except Exception as exc:
                # A write's background compaction may delete a file this read-only opening
                # still names, even while it reopens: open the store afresh and run the query
                # again, after a growing pause, if nothing was sent yet.
                if attempt < REOPEN_ATTEMPTS and not writer.sent and _vanished_file(exc):
                    time.sleep(0.01 * 2**attempt)
                    continue
                conn.send(("error", "internal", f"{type(exc).__name__}: {exc}", None, None))
            finally:
                if memory_store is not None:
                    copy.release()
            break


def _open_read_only(store_class, store_path: str):  # pragma: no cover
    """Open the store read-only, again after a pause when the writer's compaction (after a
    restart, for one) removed a file between listing and opening it."""
    for attempt in range(1, REOPEN_ATTEMPTS + 1):
        try:
            return store_class.open(store_path, read_only=True)
        except Exception as exc:
            if attempt == REOPEN_ATTEMPTS or not _vanished_file(exc):
                raise
            time.sleep(0.01 * 2**attempt)
    raise AssertionError("unreachable")


def _vanished_file(exc: Exception) -> bool:
    text = str(exc)
    return "No such file or directory" in text or "Corruption" in text
