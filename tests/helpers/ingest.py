"""The ingestion HTTP service for tests: ``netargus ingest`` as a user runs it (a subprocess
serving real HTTP), on the test lab's Kafka and a ClickHouse database of its own, with a raw
topic of its own; tokens made with ``netargus tokens``; the raw topic loaded into ClickHouse
by the stream loader's own code."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import Producer

from lab.config import LabConfig
from netargus.sink.clickhouse import ClickHouseSink
from netargus.store import ClickHouseSettings, connect
from netargus.streaming.kafka import ensure_topics, partition_consumer
from netargus.streaming.loader import BatchReport, load_batch
from netargus.streaming.raw import DEADLETTER, OBSERVATIONS
from tests.helpers.wait import wait_until

NETARGUS = str(Path(sys.executable).with_name("netargus"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class IngestService:
    """One running ``netargus ingest`` (see the module docstring)."""

    lab: LabConfig
    db: ClickHouseSettings
    folder: Path
    port: int = 0
    grpc_port: int = 0
    raw: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def kafka(self) -> dict[str, str]:
        return {"bootstrap.servers": f"127.0.0.1:{self.lab.kafka_port}"}

    @property
    def log(self) -> Path:
        return self.folder / "ingest.log"

    def env(self, **more: str) -> dict[str, str]:
        conns = self.lab.connections()
        base = {k: v for k, v in self.lab.airflow_env().items()
                if k.startswith(("AIRFLOW_CONN_", "NETARGUS_", "PYTHONPATH"))}
        click = {**conns["netargus_clickhouse"], "schema": self.db.database}
        return {**base, "AIRFLOW_CONN_NETARGUS_CLICKHOUSE": json.dumps(click),
                "AIRFLOW_HOME": str(self.folder / "airflow-home"),
                "NETARGUS_SPOOL_DIR": str(self.folder / "spool"),
                "NETARGUS_RAW_TOPIC": self.raw, "NETARGUS_TOKEN_REFRESH": "1",
                "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", **more}

    def start(self, **env: str) -> IngestService:
        self.raw = self.raw or f"raw-{uuid.uuid4().hex[:8]}"
        ensure_topics(self.kafka, (self.raw, OBSERVATIONS, DEADLETTER), partitions=2)
        self.port = self.port or free_port()
        self.grpc_port = self.grpc_port or free_port()
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [NETARGUS, "ingest", "--port", str(self.port), "--grpc-port",
                 str(self.grpc_port)], env=self.env(**env),
                stdout=out, stderr=subprocess.STDOUT)
        wait_until(self._healthy, 60, f"the ingestion service on port {self.port}")
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"netargus ingest exited: {self.log.read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def cli(self, *args: str) -> tuple[int, list[dict[str, Any]], str]:
        """``netargus ARGS`` with the service's environment: (exit code, JSON lines, stderr)."""
        done = subprocess.run([NETARGUS, *args], env=self.env(), capture_output=True,
                              text=True, timeout=120)
        return (done.returncode, [json.loads(line) for line in done.stdout.splitlines()],
                done.stderr)

    def token(self, name: str = "test", *args: str) -> str:
        code, lines, err = self.cli("tokens", "create", name, *args)
        assert code == 0, err
        return str(lines[0]["token"])

    def health(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/health", timeout=5).json())

    def post(self, body: Any, token: str | None = None, url_path: str = "/api/v1/series",
             **kwargs: Any) -> httpx.Response:
        """POST ``body`` as JSON (or ``content=`` bytes) with ``token`` as a bearer."""
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if "content" not in kwargs:
            kwargs["json"] = body
        return httpx.post(f"{self.url}{url_path}", headers=headers, timeout=30, **kwargs)

    def load(self) -> BatchReport:
        """Load the raw topic into the database as the stream loader does (one batch with
        everything produced so far); its dead letters go to ``netargus.deadletter``."""
        consumer = partition_consumer(self.kafka, f"loader-{self.raw}", self.raw, 0, 1)
        sink = ClickHouseSink(connect(self.db))
        try:
            return load_batch(consumer, Producer(self.kafka), sink.write_samples,
                              time_budget=20, settle=3)
        finally:
            consumer.close()

    def samples(self, devices: Sequence[str]) -> list[tuple[Any, ...]]:
        """``(device, source, metric, [label=value...], ts ISO to the ms, value, kind,
        counter_value)`` of ``devices``, ordered."""
        rows = connect(self.db).execute(
            "SELECT device, toString(source), metric, arraySort(arrayMap((k, v) -> "
            "concat(k, '=', v), labels.key, labels.value)), toUnixTimestamp(ts), ts_ms, value, "
            "toString(kind), counter_value FROM samples FINAL WHERE device IN %(d)s "
            "ORDER BY device, metric, ts, ts_ms", {"d": tuple(devices)})
        return [(d, src, m, labels, iso_ms(datetime.fromtimestamp(t, UTC).replace(
            microsecond=ms * 1000)), v, k, c) for d, src, m, labels, t, ms, v, k, c in rows]


def iso_ms(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}"
