"""Accepted messages to ``netargus.raw``, from one thread, through a spool.

Requests hand their messages to :class:`Forwarder`, which sends whatever is waiting in one
batch (concurrent requests share one produce and one wait for the broker's acknowledgement)
and resolves each request's future only once Kafka acknowledged its messages or the spool took
them (:class:`netargus.sink.guarded.Guarded`: what Kafka refuses waits on disk, in order, and
is replayed when the broker is back). A request is refused rather than accepted into a spool
past its budget (:class:`Full`), so the client keeps what the spool could not.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
from collections.abc import Sequence

from netargus.sink.guarded import Guarded
from netargus.streaming.raw import RawMessage

log = logging.getLogger(__name__)


class Full(RuntimeError):
    """Kafka is not taking messages and the spool is at its budget: try again later."""


class Forwarder:
    """See the module docstring. ``drain_every``: seconds between replays of the spool while
    no request comes; ``max_batch``: the most messages sent in one batch."""

    def __init__(self, guarded: Guarded[RawMessage], drain_every: float = 2.0,
                 max_batch: int = 20_000) -> None:
        self.guarded = guarded
        self.drain_every = drain_every
        self.max_batch = max_batch
        self._queue: queue.Queue[tuple[Sequence[RawMessage], concurrent.futures.Future[str]]]
        self._queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="forwarder", daemon=True)
        self._stop = threading.Event()
        self.last: str = "written"  # the last batch's fate: written or spooled

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Send what is queued, then stop the thread."""
        self._stop.set()
        self._thread.join(timeout)

    def submit(self, messages: Sequence[RawMessage]) -> concurrent.futures.Future[str]:
        """Queue ``messages``; the future gives ``"written"`` or ``"spooled"``, or raises
        :class:`Full` (or the spool's error)."""
        future: concurrent.futures.Future[str] = concurrent.futures.Future()
        self._queue.put((messages, future))
        return future

    async def send(self, messages: Sequence[RawMessage]) -> str:
        """:meth:`submit`, awaited."""
        return await asyncio.wrap_future(self.submit(messages))

    def _run(self) -> None:
        while not (self._stop.is_set() and self._queue.empty()):
            try:
                first = self._queue.get(timeout=self.drain_every)
            except queue.Empty:
                self._drain()
                continue
            batch = [first]
            count = len(first[0])
            while count < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                batch.append(item)
                count += len(item[0])
            self._send(batch)

    def _drain(self) -> None:
        try:
            if self.guarded.spool.has_pending():
                self.guarded.drain()
        except Exception:  # the next write or drain tries again
            log.exception("spool replay failed")

    def _send(self, batch: list[tuple[Sequence[RawMessage],
                                      concurrent.futures.Future[str]]]) -> None:
        messages = [m for items, _ in batch for m in items]
        spool = self.guarded.spool
        # what the batch takes on disk if spooled (payloads in base64, plus framing)
        needed = sum(len(m.payload) * 4 // 3 + 64 for m in messages)
        try:
            if spool.has_pending() and spool.size() + needed > spool.budget:
                self.guarded.drain()
                if spool.has_pending() and spool.size() + needed > spool.budget:
                    raise Full("Kafka is not taking messages and the spool is full "
                               f"({spool.size()} of {spool.budget} bytes)")
            self.last = self.guarded.write(messages)
        except Exception as exc:  # Full, or the spool's own (SpoolError, a full disk)
            for _, future in batch:
                future.set_exception(exc)
            return
        for _, future in batch:
            future.set_result(self.last)
