"""OTLP/gRPC metrics (``opentelemetry.proto.collector.metrics.v1.MetricsService/Export``) beside
the HTTP service, in the same process and with the same tokens, judgment and forwarder.

The token comes in the ``authorization`` metadata (``Bearer <token>``, as OpenTelemetry
exporters send their configured headers). Refusals map to the gRPC codes the OTLP
specification gives (https://opentelemetry.io/docs/specs/otlp/#failures-1):
unauthenticated (401), permission denied (403), invalid argument (400, 413), resource
exhausted (429, retryable) and unavailable (503, retryable). Several uvicorn processes share
the port (``SO_REUSEPORT``, gRPC's default on Linux).
"""

from __future__ import annotations

import logging
from concurrent import futures
from typing import Any

import grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc

from netargus.ingest.app import Ingestor, Refused
from netargus.ingest.tokens import token_id

log = logging.getLogger("netargus.ingest")

CODES = {400: grpc.StatusCode.INVALID_ARGUMENT, 401: grpc.StatusCode.UNAUTHENTICATED,
         403: grpc.StatusCode.PERMISSION_DENIED, 413: grpc.StatusCode.INVALID_ARGUMENT,
         429: grpc.StatusCode.RESOURCE_EXHAUSTED, 503: grpc.StatusCode.UNAVAILABLE}


class MetricsService(metrics_service_pb2_grpc.MetricsServiceServicer):
    """``Export`` through an :class:`~netargus.ingest.app.Ingestor`."""

    def __init__(self, ingestor: Ingestor) -> None:
        self.ingestor = ingestor

    def Export(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        metadata = {k.lower(): v for k, v in context.invocation_metadata()}
        auth = str(metadata.get("authorization", ""))
        presented = auth[7:].strip() if auth[:7].lower() == "bearer " else auth or None
        try:
            token = self.ingestor.authenticate(presented)
            parsed, answer = self.ingestor.otlp(token, request)
            self.ingestor.forward_blocking(token, parsed.messages, parsed.samples)
        except Refused as exc:
            log.info("grpc Export %d token=%s", exc.status,
                     (token_id(presented) or "malformed") if presented else "-")
            context.abort(CODES.get(exc.status, grpc.StatusCode.INVALID_ARGUMENT), exc.detail)
        log.info("grpc Export ok token=%s", token.id)
        return answer


def serve_grpc(ingestor: Ingestor, host: str, port: int) -> grpc.Server:
    """Start the OTLP/gRPC server on ``host:port`` (messages up to ``max_body_bytes``)."""
    limit = ingestor.config.max_body_bytes
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="otlp"),
                         options=[("grpc.max_receive_message_length", limit)])
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(MetricsService(ingestor),
                                                                  server)
    server.add_insecure_port(f"{host}:{port}")
    server.start()
    log.info("OTLP/gRPC on %s:%d", host, port)
    return server
