"""The ingestion APIs' client tokens: created, listed, revoked in ClickHouse, checked in memory.

A token reads ``nat_<id>_<secret>``: ``id`` (8 hex digits) names it in lists, logs and
counters; the whole text is the secret, shown once when it is created. ClickHouse keeps only
its SHA-256 digest (``ingest_tokens``; a token is 256 random bits, so a fast digest is as
strong as a slow one and lets every request be checked in a dictionary lookup). A token may be
restricted to device-name and metric-name prefixes and given its own rate (samples/s).

The HTTP service checks tokens against :class:`TokenCache`: every token read from ClickHouse
at start and again every ``refresh`` seconds (a revocation takes effect within that), and
kept in a local file, so the service authenticates its clients through a ClickHouse outage
and a restart during one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TOKEN = re.compile(r"^nat_([0-9a-f]{8})_[A-Za-z0-9_-]{43}$")
COLUMNS = ("id", "name", "digest", "devices", "metrics", "rate", "created_at", "revoked_at",
           "version")
NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # revoked_at of a live token


def digest(token: str) -> str:
    """The SHA-256 digest (hex) under which ``token`` is stored."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def token_id(token: str) -> str | None:
    """The id part of a well-formed token (safe to log), else None."""
    match = TOKEN.match(token)
    return match.group(1) if match else None


@dataclass(frozen=True)
class Token:
    """One token as stored (no secret): ``devices`` and ``metrics`` are the name prefixes it
    may write (empty: any), ``rate`` its samples/s (0: the service's default)."""

    id: str
    name: str
    digest: str
    devices: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    rate: float = 0.0
    created_at: datetime = NEVER
    revoked_at: datetime = NEVER

    @property
    def revoked(self) -> bool:
        return self.revoked_at > NEVER

    def allows(self, device: str, metric: str) -> str | None:
        """None when the token may write ``metric`` of ``device``, else why not."""
        if self.devices and not device.startswith(self.devices):
            return f"device {device!r} is outside this token's devices ({', '.join(self.devices)})"
        if self.metrics and not metric.startswith(self.metrics):
            return f"metric {metric!r} is outside this token's metrics ({', '.join(self.metrics)})"
        return None

    def public(self) -> dict[str, Any]:
        """What a listing shows: everything but the digest."""
        out = asdict(self)
        del out["digest"]
        out["devices"], out["metrics"] = list(self.devices), list(self.metrics)
        out["created_at"] = self.created_at.isoformat()
        out["revoked_at"] = self.revoked_at.isoformat() if self.revoked else None
        return out


def _check_prefixes(prefixes: Sequence[str], what: str) -> tuple[str, ...]:
    out = tuple(prefixes)
    if any(not p or len(p) > 256 for p in out):
        raise ValueError(f"a {what} prefix must be 1-256 characters")
    return out


class TokenStore:
    """The ``ingest_tokens`` table (a clickhouse-driver client on the netargus database)."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def create(self, name: str, devices: Sequence[str] = (), metrics: Sequence[str] = (),
               rate: float = 0.0) -> tuple[Token, str]:
        """A new token: ``(its stored form, the token text)``; the text is not kept.

        Raises:
            ValueError: an empty or over-long name or prefix, or a negative rate.
        """
        if not name.strip() or len(name) > 128:
            raise ValueError("a token's name must be 1-128 characters")
        if rate < 0:
            raise ValueError("a token's rate must be 0 (the default) or more samples/s")
        ident = secrets.token_hex(4)
        text = f"nat_{ident}_{secrets.token_urlsafe(32)}"
        token = Token(ident, name, digest(text), _check_prefixes(devices, "device"),
                      _check_prefixes(metrics, "metric"), float(rate),
                      datetime.now(UTC).replace(microsecond=0))
        self._write(token, version=1)
        return token, text

    def _write(self, token: Token, version: int) -> None:
        row = asdict(token)
        row["devices"], row["metrics"] = list(token.devices), list(token.metrics)
        row["version"] = version
        self.db.execute(f"INSERT INTO ingest_tokens ({', '.join(COLUMNS)}) VALUES",
                        [row], settings={"insert_deduplicate": 0})

    def tokens(self) -> list[Token]:
        """Every token, revoked ones included, oldest first."""
        rows = self.db.execute(f"SELECT {', '.join(COLUMNS[:-1])} FROM ingest_tokens FINAL "
                               "ORDER BY created_at, id")
        return [Token(r[0], r[1], r[2], tuple(r[3]), tuple(r[4]), float(r[5]),
                      r[6].replace(tzinfo=UTC), r[7].replace(tzinfo=UTC)) for r in rows]

    def revoke(self, ident: str) -> Token:
        """Revoke the token ``ident`` (its id, or the whole token text).

        Raises:
            KeyError: no such token.
        """
        ident = token_id(ident) or ident
        known = {t.id: t for t in self.tokens()}
        if ident not in known:
            raise KeyError(f"no token {ident!r}")
        token = known[ident]
        if token.revoked:
            return token
        revoked = Token(**{**asdict(token), "revoked_at": datetime.now(UTC).replace(
            microsecond=0)})
        version = self.db.execute("SELECT max(version) FROM ingest_tokens WHERE id = %(id)s",
                                  {"id": ident})[0][0]
        self._write(revoked, version=int(version) + 1)
        return revoked


class TokenCache:
    """The live tokens by digest, for the HTTP service (see the module docstring)."""

    def __init__(self, load: Any, file: Path, refresh: float = 10.0) -> None:
        self._load = load  # () -> list[Token]
        self.file = file
        self.refresh = refresh
        self._by_digest: dict[str, Token] = {}
        self._lock = threading.Lock()
        self.loaded_at = 0.0  # monotonic time of the last read from the store
        self.error: str | None = None  # why the last read failed
        self._asked = 0.0  # monotonic time of the last read an unknown token asked for

    def check(self, token: str | None) -> Token | None:
        """The live token ``token`` is, or None (unknown, revoked, malformed). A well-formed
        token not known yet makes the cache read the store again (at most once a second), so
        a token works as soon as ``netargus tokens create`` printed it."""
        if not token or len(token) > 128:
            return None
        key = digest(token)
        found = self._by_digest.get(key)
        if found is None and token_id(token) and time.monotonic() - self._asked >= 0.2:
            self._asked = time.monotonic()  # a flood of unknown tokens: 5 reads a second
            self.update()
            found = self._by_digest.get(key)
        return found

    def __len__(self) -> int:
        return len(self._by_digest)

    def start(self) -> None:
        """Read the tokens (the store, else the local file) and refresh them in a thread."""
        if not self.update():
            self._read_file()
        threading.Thread(target=self._run, name="token-refresh", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self.refresh)
            self.update()

    def update(self) -> bool:
        """Read the tokens from the store now; False (keeping the ones known) on failure."""
        try:
            tokens = [t for t in self._load() if not t.revoked]
        except Exception as exc:  # any store failure: keep serving with the tokens known
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            self.error = f"{type(exc).__name__}: {first}"
            log.warning("tokens not refreshed (%s); %d known tokens stay valid", self.error,
                        len(self))
            return False
        with self._lock:
            self._by_digest = {t.digest: t for t in tokens}
        self.loaded_at, self.error = time.monotonic(), None
        self._write_file(tokens)
        return True

    def _write_file(self, tokens: list[Token]) -> None:
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps([t.public() | {"digest": t.digest} for t in tokens]))
            tmp.chmod(0o600)
            tmp.replace(self.file)
        except OSError as exc:
            log.warning("token file %s not written: %s", self.file, exc)

    def _read_file(self) -> None:
        try:
            rows = json.loads(self.file.read_text())
        except (OSError, ValueError):
            return
        self._by_digest = {r["digest"]: Token(
            r["id"], r["name"], r["digest"], tuple(r["devices"]), tuple(r["metrics"]),
            float(r["rate"]), datetime.fromisoformat(r["created_at"])) for r in rows}
        log.warning("ClickHouse unreachable (%s): %d tokens from %s", self.error, len(self),
                    self.file)
