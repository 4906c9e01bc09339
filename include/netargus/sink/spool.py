"""A local on-disk spool: what a sink could not take waits here and is replayed in order.

Batches are appended to segment files under one directory, each record framed as
``magic | length | crc32 | payload`` and fsync'd before ``append`` returns, so an
acknowledged batch survives a crash. :meth:`Spool.replay` hands batches to a writer oldest
first and moves a durable cursor past each one the writer accepted; it stops at the first
failure, so order is kept and nothing is skipped. A crash in the middle of an append leaves a
torn record at the tail: it is detected by its length or checksum and cut off on open.
Damaged bytes anywhere else (a flipped byte, a bad header) cost only the record they hit:
reading resumes at the next intact record, and replay counts the damaged span as a dropped
batch (``dropped_batches`` / ``dropped_bytes``, with a warning) as it passes it.

The spool is bounded by a disk budget. When a new batch would exceed it, whole segments are
dropped oldest first, with a warning log line and the ``dropped_batches`` / ``dropped_bytes``
counters (kept in ``stats.json``), so loss is never silent.

What the sink refuses for good (a message Kafka will never take, however often it is offered:
too large and not splittable, an invalid record) must not hold up every batch behind it:
:meth:`Spool.set_aside` keeps it, with the reason, as a file under ``rejected/`` for an
operator to look at (``rejected_batches`` in the stats, an error log line), and replay goes on.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MAGIC = b"NAS1"
HEADER = struct.Struct(">4sII")  # magic, payload length, crc32
SEGMENT_BYTES = 16 * 2**20


class SpoolError(RuntimeError):
    """The spool cannot take a batch (e.g. it is larger than the whole disk budget)."""


class SpoolInUse(RuntimeError):
    """Another process on this machine holds the spool."""


@contextmanager
def held(spool: Spool, wait: bool = False) -> Iterator[None]:
    """Hold ``spool`` alone for the ``with`` block (an exclusive ``flock`` on its ``.lock``
    file, released if the process dies); ``wait``: block until the holder lets go.

    Raises:
        SpoolInUse: another process holds it and ``wait`` is False.
    """
    import fcntl

    with open(spool.dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise SpoolInUse(f"spool {spool.dir} is held by another process") from None
        yield


@dataclass
class SpoolStats:
    """What the spool holds and what its budget cost (persisted in ``stats.json``)."""

    pending_batches: int = 0
    pending_bytes: int = 0
    oldest_age_s: float = 0.0
    dropped_batches: int = 0
    dropped_bytes: int = 0
    rejected_batches: int = 0  # refused for good by the sink, kept under rejected/


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _record_end(data: bytes, pos: int) -> int | None:
    """The end of the intact record starting at ``pos`` in ``data``, else None."""
    if len(data) - pos < HEADER.size:
        return None
    magic, length, crc = HEADER.unpack_from(data, pos)
    end = pos + HEADER.size + length
    if magic != MAGIC or end > len(data) or zlib.crc32(data[pos + HEADER.size:end]) != crc:
        return None
    return end


def _records(path: Path) -> Iterator[tuple[int, bytes | None]]:
    """(offset after the record, payload) for every record, in order.

    Bytes that are no intact record come as one ``(offset of the next intact record, None)``
    and reading resumes there, so damage costs the record it hit, not the ones after it.
    """
    data = path.read_bytes()
    pos = 0
    while pos < len(data):
        end = _record_end(data, pos)
        if end is not None:
            yield end, data[pos + HEADER.size:end]
            pos = end
            continue
        pos = data.find(MAGIC, pos + 1)
        while pos != -1 and _record_end(data, pos) is None:
            pos = data.find(MAGIC, pos + 1)
        pos = len(data) if pos == -1 else pos
        yield pos, None


class Spool:
    """An append-only, fsync'd, budgeted spool directory.

    One process writes and replays a given directory at a time (a collector or loader task
    owns its spool).

    Args:
        directory: where segments live (created if missing); one spool per directory.
        budget_bytes: the most disk the spool may use; oldest segments are dropped past it.
        segment_bytes: when a segment is this large, the next append starts a new one.
    """

    def __init__(self, directory: str | Path, budget_bytes: int = 1 * 2**30,
                 segment_bytes: int = SEGMENT_BYTES) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.budget = budget_bytes
        self.segment_bytes = segment_bytes
        self._cursor_file = self.dir / "cursor.json"
        self._stats_file = self.dir / "stats.json"
        self._repair_tail()

    # ------------------------------------------------------------------ files

    def _segments(self) -> list[Path]:
        return sorted(self.dir.glob("*.seg"))

    def _cursor(self) -> tuple[str, int]:
        """(segment name, byte offset) of the first batch not yet replayed."""
        if self._cursor_file.exists():
            data = json.loads(self._cursor_file.read_text())
            return data["segment"], int(data["offset"])
        return "", 0

    def _write_json(self, path: Path, data: dict) -> None:
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
        _fsync_dir(self.dir)

    def _counters(self) -> dict[str, int]:
        if self._stats_file.exists():
            return json.loads(self._stats_file.read_text())
        return {"dropped_batches": 0, "dropped_bytes": 0}

    def _repair_tail(self) -> None:
        segments = self._segments()
        if not segments:
            return
        last = segments[-1]
        good = max((end for end, payload in _records(last) if payload is not None), default=0)
        if good < last.stat().st_size:
            log.warning("spool %s: cutting a torn record at byte %d of %s (a crash during an "
                        "append; that batch was never acknowledged)", self.dir, good, last.name)
            with open(last, "r+b") as f:
                f.truncate(good)
                os.fsync(f.fileno())

    # ------------------------------------------------------------------ writing

    def size(self) -> int:
        return sum(p.stat().st_size for p in self._segments())

    def append(self, payload: bytes) -> None:
        """Store one batch durably (fsync'd) before returning.

        Raises:
            SpoolError: the batch alone is larger than the budget.
        """
        record = HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload
        if len(record) > self.budget:
            raise SpoolError(f"a {len(record)}-byte batch exceeds the spool budget "
                             f"of {self.budget} bytes")
        self._make_room(len(record))
        segments = self._segments()
        if not segments or segments[-1].stat().st_size >= self.segment_bytes:
            name = f"{time.time_ns():020d}.seg"
            target = self.dir / name
            new = True
        else:
            target, new = segments[-1], False
        with open(target, "ab") as f:
            f.write(record)
            f.flush()
            os.fsync(f.fileno())
        if new:
            _fsync_dir(self.dir)

    def _make_room(self, needed: int) -> None:
        while self.size() + needed > self.budget:
            segments = self._segments()
            if not segments:
                return
            oldest = segments[0]
            segment, offset = self._cursor()
            start = offset if oldest.name == segment else 0
            batches = sum(1 for off, _ in _records(oldest) if off > start)
            size = oldest.stat().st_size - start
            counters = self._counters()
            counters["dropped_batches"] += batches
            counters["dropped_bytes"] += size
            self._write_json(self._stats_file, counters)
            log.warning("spool %s over its %d-byte budget: DROPPED %d batches (%d bytes) of "
                        "segment %s, the oldest; total dropped: %d batches", self.dir,
                        self.budget, batches, size, oldest.name, counters["dropped_batches"])
            oldest.unlink()
            if oldest.name == segment:
                self._cursor_file.unlink(missing_ok=True)

    # ------------------------------------------------------------------ reading

    def pending(self) -> Iterator[tuple[str, int, bytes | None]]:
        """(segment, offset after the batch, payload) of every batch not yet replayed, in order
        (payload None: damaged bytes, up to that offset)."""
        segment, offset = self._cursor()
        for path in self._segments():
            if segment and path.name < segment:
                continue
            for end, payload in _records(path):
                if path.name == segment and end <= offset:
                    continue
                yield path.name, end, payload

    def replay(self, write: Callable[[bytes], None]) -> int:
        """Hand pending batches to ``write``, oldest first; stop at the first that raises.

        Returns:
            How many batches were accepted (and will not be replayed again).
        """
        done = 0
        cursor_segment, cursor_offset = self._cursor()
        starts = {cursor_segment: cursor_offset}  # where each segment's next record begins
        for segment, end, payload in self.pending():
            start, starts[segment] = starts.get(segment, 0), end
            if payload is None:  # damaged on disk: lost, so counted and said, then passed
                counters = self._counters()
                counters["dropped_batches"] += 1
                counters["dropped_bytes"] += end - start
                self._write_json(self._stats_file, counters)
                log.warning("spool %s: DROPPED %d damaged bytes (a checksum or header that does "
                            "not match) at byte %d of segment %s; total dropped: %d batches",
                            self.dir, end - start, start, segment, counters["dropped_batches"])
                self._write_json(self._cursor_file, {"segment": segment, "offset": end})
                continue
            try:
                write(payload)
            except Exception as exc:
                log.warning("spool %s: replay stopped after %d batches: %s", self.dir, done, exc)
                break
            self._write_json(self._cursor_file, {"segment": segment, "offset": end})
            done += 1
        else:  # everything accepted: the spool is empty again
            for path in self._segments():
                path.unlink()
            self._cursor_file.unlink(missing_ok=True)
            return done
        cursor_segment, _ = self._cursor()
        for path in self._segments():  # segments wholly before the cursor are done
            if path.name < cursor_segment:
                path.unlink()
        return done

    def set_aside(self, payload: bytes, reason: str) -> Path:
        """Keep a batch the sink refused for good as ``rejected/<ns>.batch``, its reason in
        ``<ns>.reason`` (both fsync'd), outside the replay order; returns the batch's path."""
        folder = self.dir / "rejected"
        folder.mkdir(exist_ok=True)
        path = folder / f"{time.time_ns()}.batch"
        for target, data in ((path, payload), (path.with_suffix(".reason"), reason.encode())):
            with open(target, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        _fsync_dir(folder)
        counters = self._counters()
        counters["rejected_batches"] = counters.get("rejected_batches", 0) + 1
        self._write_json(self._stats_file, counters)
        log.error("spool %s: the sink refused a batch for good (%s): kept as %s, not replayed",
                  self.dir, reason, path)
        return path

    def has_pending(self) -> bool:
        """Whether anything waits for replay (cheap: a directory listing)."""
        return bool(self._segments())

    def stats(self) -> SpoolStats:
        batches = [p for _, _, p in self.pending() if p is not None]
        segments = self._segments()
        age = time.time() - int(segments[0].stem) / 1e9 if batches and segments else 0.0
        counters = self._counters()
        return SpoolStats(pending_batches=len(batches),
                          pending_bytes=sum(len(p) + HEADER.size for p in batches),
                          oldest_age_s=max(age, 0.0), **counters)

    def stats_dict(self) -> dict:
        return asdict(self.stats())
