"""Running the ingestion HTTP service: ``netargus ingest`` (uvicorn, one or more processes).

Each process builds its app from the environment (:func:`app_from_env`): the Airflow
Connections ``netargus_clickhouse`` (the tokens) and ``netargus_kafka`` (the raw topic),
resolved as the DAGs resolve them (environment ``AIRFLOW_CONN_*`` or a secrets backend;
``$NETARGUS_CLICKHOUSE_CONN_ID`` and ``$NETARGUS_KAFKA_CONN_ID`` name others), the raw topic
(``$NETARGUS_RAW_TOPIC``, default ``netargus.raw``), how often tokens are read again
(``$NETARGUS_TOKEN_REFRESH`` seconds, default 10), the OTLP/gRPC port (``$NETARGUS_GRPC_PORT``,
else the file's), the ingestion file (``$NETARGUS_INGEST``),
and a spool of its own under ``$NETARGUS_SPOOL_DIR``/ingest: the
first of ``slot-0``, ``slot-1``... that no live process holds, so a restarted process takes
over (and replays) what an earlier one spooled.
"""

from __future__ import annotations

import fcntl
import logging
import os
from typing import IO, Any

from fastapi import FastAPI

from netargus.ingest.app import create_app
from netargus.ingest.config import IngestConfig, ingest_config
from netargus.ingest.forward import Forwarder
from netargus.ingest.tokens import TokenCache, TokenStore
from netargus.settings import spool_dir
from netargus.sink.kafka import KafkaRawSink, guarded_kafka
from netargus.sink.spool import Spool
from netargus.streaming.raw import RAW

log = logging.getLogger("netargus.ingest")

_HELD: list[IO[str]] = []  # the spool locks this process holds, for its lifetime


def _own_spool(budget: int) -> Spool:
    """The first free spool slot, held (``flock``) until the process ends."""
    root = spool_dir("ingest")
    for slot in range(1024):
        folder = root / f"slot-{slot}"
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / ".lock", "w")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _HELD.append(handle)
        return Spool(folder, budget_bytes=budget)
    raise RuntimeError(f"no free spool slot under {root}")


def build(config: IngestConfig, clickhouse: Any, kafka: dict[str, Any], topic: str = RAW,
          spool_budget: int = 2**30, token_refresh: float = 10.0,
          grpc_port: int | None = None, admin: Any = None) -> FastAPI:
    """The app with its token cache (``clickhouse``: a ``() -> client`` factory, read every
    ``token_refresh`` seconds), its forwarder (``kafka``: librdkafka settings; ``topic``:
    the raw topic), on ``grpc_port`` OTLP/gRPC, and with ``admin`` (a bearer -> Airflow user
    check) the token administration API."""
    spool = _own_spool(spool_budget)
    sink = KafkaRawSink({**kafka, "linger.ms": 5}, topic=topic, delivery_timeout=5.0)
    forwarder = Forwarder(guarded_kafka(sink, spool, retry_after=10.0))
    tokens = TokenCache(lambda: TokenStore(clickhouse()).tokens(), spool.dir.parent /
                        "tokens.json", refresh=token_refresh)
    return create_app(config, tokens, forwarder, grpc_port,
                      store=lambda: TokenStore(clickhouse()), admin=admin)


def app_from_env() -> FastAPI:
    """The app as ``netargus ingest`` runs it (uvicorn's factory; see the module docstring)."""
    from netargus.airflow.auth import connection_editor
    from netargus.airflow.hooks import ClickHouseHook, kafka_config

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    hook = ClickHouseHook(os.environ.get("NETARGUS_CLICKHOUSE_CONN_ID", "netargus_clickhouse"))
    kafka = kafka_config(os.environ.get("NETARGUS_KAFKA_CONN_ID", "netargus_kafka"))
    config = ingest_config()
    grpc_port = int(os.environ.get("NETARGUS_GRPC_PORT", config.listen.grpc_port))
    return build(config, hook.get_conn, kafka,
                 topic=os.environ.get("NETARGUS_RAW_TOPIC", RAW),
                 token_refresh=float(os.environ.get("NETARGUS_TOKEN_REFRESH", "10")),
                 grpc_port=grpc_port, admin=connection_editor)


def serve(host: str | None = None, port: int | None = None, workers: int = 1,
          grpc_port: int | None = None) -> None:
    """Run the service in the foreground (uvicorn; the access log is the app's own, which
    never shows a token); ``grpc_port`` overrides ``ingest.yaml``'s (0: no OTLP/gRPC).

    Raises:
        netargus.config.ConfigError: the ingestion file is invalid.
    """
    import uvicorn

    config = ingest_config()
    if grpc_port is not None:  # the factory runs in each worker: it reads the environment
        os.environ["NETARGUS_GRPC_PORT"] = str(grpc_port)
    uvicorn.run("netargus.ingest.service:app_from_env", factory=True,
                host=host or config.listen.host, port=port or config.listen.port,
                workers=workers, access_log=False, log_level="info")
