"""The ingestion HTTP service (FastAPI): TSorage's and Datadog's series on ``POST /api/v1/series``,
OpenTelemetry metrics (OTLP/HTTP) on ``POST /v1/metrics``.

A request is authenticated (:mod:`netargus.ingest.tokens`: ``Authorization: Bearer``, the
``api_key`` query parameter TSorage's clients use, or Datadog's ``DD-API-KEY`` header), read
(gzip or deflate bodies, at most ``max_body_bytes`` after decompression), validated message by
message with the loader's own decoders (:mod:`netargus.streaming.decoders.tsorage`,
:mod:`~netargus.streaming.decoders.datadog`: an item with ``values`` is a TSorage message, one
with ``points`` a Datadog series), and forwarded to ``netargus.raw`` keyed by device
(:mod:`netargus.ingest.forward`). It answers only once Kafka acknowledged the messages or the
spool took them:

- ``202`` every message accepted: ``{"accepted": samples, "series": n, "rejected": 0}``;
- ``422`` some messages invalid: the valid ones are kept (forwarded as above) and the invalid
  ones forwarded too, so the loader dead-letters each with its reason; ``detail`` names the
  first bad field (``series[3]: values[0][0]: ...``), ``errors`` the first ten;
- ``400`` a body that is not JSON, ``413`` one too large, ``415`` an unknown
  Content-Encoding or a Content-Type other than JSON's (none is taken as JSON);
- ``401`` no token, or one that is unknown or revoked; ``403`` a message outside the token's
  devices or metrics (nothing of the request is kept);
- ``429`` the token's rate exceeded, with ``Retry-After`` (seconds);
- ``503`` Kafka down and the spool full, with ``Retry-After``.

OTLP (``/v1/metrics``, protobuf or JSON, gzip): each resource is decoded as the loader will
(:mod:`netargus.streaming.decoders.otlp`) and forwarded whole, keyed by the device its
attributes name; the answer is 200 with ``partialSuccess.rejected_data_points`` and the first
reasons when points were not stored (a resource that names no device, an exponential
histogram, a point with no recorded value), and the errors above otherwise.

A retry of a request is safe: samples are deduplicated by content in ClickHouse (device,
metric, labels and time). ``GET /health`` (no token) reports Kafka's state, the spool and the
counters per token id (accepted samples, rejected series, spooled samples, throttled
requests). No token ever reaches a log line: the access log names the token's id only.
"""

from __future__ import annotations

import json
import logging
import math
import time
import zlib
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField

from netargus.ingest.config import IngestConfig
from netargus.ingest.forward import Forwarder, Full
from netargus.ingest.tokens import Token, TokenCache, TokenStore, token_id
from netargus.model import Source
from netargus.sink.spool import SpoolError
from netargus.streaming.decoders import datadog, otlp, tsorage
from netargus.streaming.decoders.pushed import Invalid, SeriesWriter, compact_json
from netargus.streaming.raw import SOURCE_HEADER, RawMessage

log = logging.getLogger("netargus.ingest")

UNPARSED = "unparsed@rest"  # the key of a message whose device is unknown (the loader rejects it)
MAX_ERRORS = 10


class Refused(Exception):
    """A request answered with ``status`` and ``detail`` (and optional headers)."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None
                 ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}


@dataclass
class Bucket:
    """A token bucket: ``rate`` samples/s, up to ``burst`` at once."""

    rate: float
    burst: float
    level: float = 0.0
    at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.level = self.burst

    def take(self, n: int) -> float:
        """Take ``n`` samples (at most ``burst``): 0.0 when allowed, else the seconds to wait
        before retrying."""
        now = time.monotonic()
        self.level = min(self.burst, self.level + (now - self.at) * self.rate)
        self.at = now
        if self.level >= n:
            self.level -= n
            return 0.0
        return (n - self.level) / self.rate


@dataclass
class Counters:
    """What one token did through this process."""

    accepted_samples: int = 0
    rejected_series: int = 0  # REST series refused (422)
    rejected_points: int = 0  # OTLP data points not stored (partialSuccess)
    spooled_samples: int = 0
    throttled_requests: int = 0


def _presented(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.headers.get("dd-api-key") or request.query_params.get("api_key")


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, decompressed (``gzip``, ``deflate``), at most ``limit`` bytes.

    Raises:
        Refused: 413 too large (before or after decompression), 415 an unknown encoding,
            400 a body that does not decompress (corrupt or cut short).
    """
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise Refused(413, f"body of {length} bytes: the limit is {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"body larger than the limit of {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise Refused(415, f"Content-Encoding {encoding[:40]!r}: gzip, deflate or none")
    # wbits: gzip's header, or zlib's (deflate as HTTP means it; Datadog's client sends that)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise Refused(400, f"body is not valid {encoding}: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise Refused(413, f"body larger than the limit of {limit} bytes once decompressed")
    if not inflater.eof:
        raise Refused(400, f"body is not valid {encoding}: it ends before its stream does")
    return out


@dataclass
class Parsed:
    """A request's series, judged: samples and raw messages to forward, errors."""

    samples: int = 0
    series: int = 0
    errors: list[str] = field(default_factory=list)
    messages: list[RawMessage] = field(default_factory=list)


def judge(items: list[Any], token: Token, config: IngestConfig) -> Parsed:
    """Validate every series of a request and group the valid ones by device.

    Raises:
        Refused: 403, a series outside the token's devices or metrics.
    """
    out = Parsed()
    writer = SeriesWriter(Source.REST, config)
    valid: dict[tuple[str, str], list[Any]] = defaultdict(list)  # (device, format) -> items
    for i, item in enumerate(items):
        fmt = "datadog" if isinstance(item, dict) and "points" in item else "tsorage"
        before = len(writer.samples)
        try:
            if fmt == "datadog":
                datadog.add_series(writer, item)
            else:
                tsorage.add_message(writer, item)
        except Invalid as exc:
            out.errors.append(f"series[{i}]: {exc}")
            device = _device_of(item, fmt, config) or UNPARSED
            out.messages.append(RawMessage(device, fmt, compact_json(item),
                                           ((SOURCE_HEADER, Source.REST.value),)))
            continue
        device, metric = writer.samples.device[before], writer.samples.metric[before]
        why = token.allows(device, metric)
        if why is not None:
            raise Refused(403, f"series[{i}]: {why}; nothing of this request was kept")
        valid[(device, fmt)].append(item)
        out.series += 1
    out.samples = len(writer.samples)
    out.messages[:0] = [RawMessage(device, fmt, compact_json(group),
                                   ((SOURCE_HEADER, Source.REST.value),))
                        for (device, fmt), group in valid.items()]
    return out


def _device_of(item: Any, fmt: str, config: IngestConfig) -> str | None:
    """The device an invalid item names, if it names one (its dead letter's key)."""
    try:
        return (datadog if fmt == "datadog" else tsorage).sender(compact_json(item))
    except (TypeError, ValueError):
        return None


OTLP_TYPES = {"application/x-protobuf": "pb", "application/protobuf": "pb",
              "application/json": "json"}


def data_points(resource_metrics: Any) -> int:
    """How many data points a ``ResourceMetrics`` holds (OTLP counts rejections in points)."""
    total = 0
    for scope in resource_metrics.scope_metrics:
        for metric in scope.metrics:
            data = metric.WhichOneof("data")
            if data is not None:
                total += len(getattr(metric, data).data_points)
    return total


@dataclass
class OtlpParsed:
    """An OTLP request, judged: samples and messages to forward, rejected points and why."""

    samples: int = 0
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)
    messages: list[RawMessage] = field(default_factory=list)


def judge_otlp(request: Any, token: Token, config: IngestConfig) -> OtlpParsed:
    """Decode each resource of an ``ExportMetricsServiceRequest`` as the loader will, and
    forward those that name a device and give samples (``otlp`` format, as received).

    Raises:
        Refused: 403, a metric outside the token's devices or metrics.
    """
    out = OtlpParsed()
    for i, resource_metrics in enumerate(request.resource_metrics):
        device = otlp.device_of(resource_metrics, config)
        if device is None:
            out.rejected += data_points(resource_metrics)
            out.reasons.append(f"resource_metrics[{i}]: no device: none of the resource "
                               f"attributes {', '.join(config.device_tags)} is set to a name "
                               "(non-blank, no control characters)")
            continue
        decoded = otlp.resource_samples(resource_metrics, device, config)
        for metric in dict.fromkeys(decoded.samples.metric):
            why = token.allows(device, metric)
            if why is not None:
                raise Refused(403, f"resource_metrics[{i}]: {why}; nothing of this request "
                              "was kept")
        out.rejected += len(decoded.dropped)
        out.reasons += [f"resource_metrics[{i}].{d}" for d in decoded.dropped[:MAX_ERRORS]]
        if decoded.samples:
            out.samples += len(decoded.samples)
            out.messages.append(RawMessage(device, otlp.FORMAT,
                                           resource_metrics.SerializeToString(),
                                           ((SOURCE_HEADER, Source.OTLP.value),)))
    return out


class Ingestor:
    """What every endpoint shares: tokens, rate buckets, the forwarder and the counters per
    token id. Its checks raise :class:`Refused` with the HTTP status (the gRPC service maps it
    to a gRPC code)."""

    def __init__(self, config: IngestConfig, tokens: TokenCache, forwarder: Forwarder) -> None:
        self.config, self.tokens, self.forwarder = config, tokens, forwarder
        self.buckets: dict[str, Bucket] = {}
        self.counters: dict[str, Counters] = defaultdict(Counters)

    def authenticate(self, presented: str | None) -> Token:
        """The live token presented (401 otherwise)."""
        if not presented:
            raise Refused(401, "no token: send Authorization: Bearer <token>, DD-API-KEY or "
                          "?api_key=", {"WWW-Authenticate": "Bearer"})
        token = self.tokens.check(presented)
        if token is None:
            raise Refused(401, f"unknown or revoked token (id {token_id(presented) or '?'})",
                          {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return token

    def throttle(self, token: Token, samples: int) -> None:
        """Take ``samples`` from the token's bucket (429 with Retry-After when empty; 413 for
        a request larger than the whole burst, which no wait would let through)."""
        bucket = self.buckets.get(token.id)
        rate = token.rate or self.config.rate_per_token
        if bucket is None or bucket.rate != rate:
            bucket = self.buckets[token.id] = Bucket(rate, rate * self.config.burst_seconds)
        if samples > bucket.burst:
            self.counters[token.id].throttled_requests += 1
            raise Refused(413, f"{samples} samples in one request, more than token {token.id} "
                               f"may send at once ({bucket.burst:g}: {rate:g} samples/s for "
                               f"{self.config.burst_seconds:g} s): send them in smaller "
                               "requests, or use a token with a higher rate")
        wait = bucket.take(samples)
        if wait:
            self.counters[token.id].throttled_requests += 1
            raise Refused(429, f"token {token.id} is limited to {rate:g} samples/s",
                          {"Retry-After": str(max(1, math.ceil(wait)))})

    def accepted(self, token: Token, samples: int, fate: str) -> None:
        count = self.counters[token.id]
        count.accepted_samples += samples
        if fate == "spooled":
            count.spooled_samples += samples

    async def forward(self, token: Token, messages: list[RawMessage], samples: int) -> str:
        """Send ``messages`` (503 when Kafka is down and the spool full) and count them;
        returns their fate (written or spooled)."""
        try:
            fate = await self.forwarder.send(messages) if messages else "written"
        except (Full, SpoolError, OSError) as exc:  # Kafka down and no room on disk
            raise Refused(503, f"not accepted: {exc}", {"Retry-After": "10"}) from None
        self.accepted(token, samples, fate)
        return fate

    def forward_blocking(self, token: Token, messages: list[RawMessage], samples: int,
                         timeout: float = 60.0) -> str:
        """:meth:`forward` for a thread (the gRPC service's)."""
        try:
            fate = self.forwarder.submit(messages).result(timeout) if messages else "written"
        except (Full, SpoolError, OSError) as exc:
            raise Refused(503, f"not accepted: {exc}", {"Retry-After": "10"}) from None
        self.accepted(token, samples, fate)
        return fate

    def otlp(self, token: Token, request: Any) -> tuple[OtlpParsed, Any]:
        """Judge an OTLP request and the response it gets (before forwarding)."""
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
            ExportMetricsServiceResponse,
        )

        parsed = judge_otlp(request, token, self.config)
        self.throttle(token, parsed.samples + parsed.rejected)
        self.counters[token.id].rejected_points += parsed.rejected
        answer = ExportMetricsServiceResponse()
        if parsed.rejected:
            answer.partial_success.rejected_data_points = parsed.rejected
            answer.partial_success.error_message = "; ".join(parsed.reasons[:MAX_ERRORS])[:2000]
        return parsed, answer


class NewToken(BaseModel):
    """What ``POST /api/v1/admin/tokens`` takes (as ``netargus tokens create``)."""

    model_config = ConfigDict(extra="forbid")
    name: str = PydanticField(min_length=1, max_length=128)
    devices: list[str] = []
    metrics: list[str] = []
    rate: float = PydanticField(default=0.0, ge=0)


AdminCheck = Callable[[str], Awaitable[str]]


def create_app(config: IngestConfig, tokens: TokenCache, forwarder: Forwarder,
               grpc_port: int | None = None, store: Callable[[], TokenStore] | None = None,
               admin: AdminCheck | None = None) -> FastAPI:
    """The service's ASGI app (see the module docstring); ``tokens`` and ``forwarder`` are
    started and stopped with it, and with ``grpc_port`` the OTLP/gRPC server
    (:mod:`netargus.ingest.otlp_grpc`) too. With ``store`` (the token table) and ``admin``
    (a bearer -> Airflow user name check, raising PermissionError: see
    :func:`netargus.airflow.auth.connection_editor`), ``/api/v1/admin/tokens`` lists, creates
    and revokes tokens."""
    ingestor = Ingestor(config, tokens, forwarder)

    async def lifespan(app: FastAPI):  # noqa: ANN202
        tokens.start()
        forwarder.start()
        server = None
        if grpc_port:
            from netargus.ingest.otlp_grpc import serve_grpc

            server = serve_grpc(ingestor, config.listen.host, grpc_port)
        yield
        if server is not None:
            server.stop(5).wait()
        forwarder.stop()

    app = FastAPI(title="netargus ingestion", version="1", lifespan=lifespan,
                  docs_url="/docs", redoc_url=None)
    app.state.ingestor = ingestor

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, exc.status, headers=exc.headers)

    @app.post("/api/v1/series", status_code=202, openapi_extra={"requestBody": {
        "required": True, "content": {"application/json": {"schema": SERIES_SCHEMA}}}})
    async def series(request: Request) -> JSONResponse:
        """TSorage messages and Datadog series (see the module docstring)."""
        token = ingestor.authenticate(_presented(request))
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media and media not in ("application/json", "text/json") \
                and not media.endswith("+json"):
            raise Refused(415, f"Content-Type {media[:60]!r}: the series are JSON "
                               "(Content-Type: application/json)")
        body = await read_body(request, config.max_body_bytes)
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise Refused(400, f"body is not JSON: {exc}") from None
        except RecursionError:
            raise Refused(400, "body is not JSON series: nested too deep") from None
        if not isinstance(data, dict) or not isinstance(data.get("series"), list):
            raise Refused(422, 'series: the body must be {"series": [message, ...]}')
        parsed = judge(data["series"], token, config)
        # an invalid series counts one sample against the rate
        ingestor.throttle(token, parsed.samples + len(parsed.errors))
        await ingestor.forward(token, parsed.messages, parsed.samples)
        ingestor.counters[token.id].rejected_series += len(parsed.errors)
        body_out: dict[str, Any] = {"accepted": parsed.samples, "series": parsed.series,
                                    "rejected": len(parsed.errors)}
        if parsed.errors:
            body_out |= {"detail": parsed.errors[0], "errors": parsed.errors[:MAX_ERRORS]}
            return JSONResponse(body_out, 422)
        return JSONResponse(body_out, 202)

    @app.post("/v1/metrics", openapi_extra={"requestBody": {"required": True, "content": {
        "application/x-protobuf": {"schema": {"type": "string", "format": "binary"}},
        "application/json": {"schema": {"type": "object"}}}}})
    async def otlp_metrics(request: Request) -> Response:
        """OTLP/HTTP metrics: an ``ExportMetricsServiceRequest`` in protobuf or JSON (gzip
        allowed); 200 with ``partialSuccess`` naming the points not stored."""
        from google.protobuf import json_format
        from google.protobuf.message import DecodeError
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
            ExportMetricsServiceRequest,
        )

        token = ingestor.authenticate(_presented(request))
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        encoding = OTLP_TYPES.get(media)
        if encoding is None:
            raise Refused(415, f"Content-Type {media[:60]!r}: application/x-protobuf or "
                          "application/json")
        body = await read_body(request, config.max_body_bytes)
        message = ExportMetricsServiceRequest()
        try:
            if encoding == "json":
                json_format.Parse(body, message, ignore_unknown_fields=True)
            else:
                message.ParseFromString(body)
        except (json_format.ParseError, DecodeError, UnicodeDecodeError, RecursionError,
                ValueError) as exc:
            raise Refused(400, f"not an OTLP ExportMetricsServiceRequest ({encoding}): "
                          f"{str(exc)[:300]}") from None
        parsed, answer = ingestor.otlp(token, message)
        await ingestor.forward(token, parsed.messages, parsed.samples)
        if encoding == "json":
            return Response(json_format.MessageToJson(answer), 200, media_type=media)
        return Response(answer.SerializeToString(), 200, media_type=media)

    async def administrator(request: Request) -> tuple[str, TokenStore]:
        """The Airflow user managing tokens, and the token table (401/403 otherwise)."""
        if store is None or admin is None:
            raise Refused(404, "token administration is not enabled on this service")
        auth = request.headers.get("authorization", "")
        if auth[:7].lower() != "bearer ":
            raise Refused(401, "send an Airflow API token: Authorization: Bearer <jwt>",
                          {"WWW-Authenticate": "Bearer"})
        try:
            user = await admin(auth[7:].strip())
        except PermissionError as exc:
            status = 401 if "not a valid" in str(exc) else 403
            raise Refused(status, str(exc)) from None
        return user, store()

    @app.get("/api/v1/admin/tokens")
    async def list_tokens(request: Request) -> list[dict[str, Any]]:
        """Every token (no secret, no digest), for an Airflow user who may edit Connections."""
        _, table = await administrator(request)
        return [t.public() for t in table.tokens()]

    @app.post("/api/v1/admin/tokens", status_code=201)
    async def create_token(request: Request, new: NewToken) -> dict[str, Any]:
        """Create a token; the answer holds it, once (as ``netargus tokens create``)."""
        user, table = await administrator(request)
        try:
            token, text = table.create(new.name, new.devices, new.metrics, new.rate)
        except ValueError as exc:
            raise Refused(422, str(exc)) from None
        log.info("token %s (%s) created by Airflow user %s", token.id, token.name, user)
        return {**token.public(), "token": text}

    @app.delete("/api/v1/admin/tokens/{ident}")
    async def revoke_token(request: Request, ident: str) -> dict[str, Any]:
        """Revoke a token (refused by this service at once, by others within 10 s)."""
        user, table = await administrator(request)
        try:
            token = table.revoke(ident)
        except KeyError:
            raise Refused(404, f"no token {ident[:16]!r}") from None
        tokens.update()
        log.info("token %s revoked by Airflow user %s", token.id, user)
        return token.public()

    @app.get("/health")
    async def health() -> dict[str, Any]:
        """The service's state: ``status`` ok, or degraded with the ``problems`` (batches
        spooled for over a minute; batches Kafka refused for good, set aside), Kafka (written
        / spooling), the spool, tokens, counters per token id."""
        spool = forwarder.guarded.spool.stats()
        problems = []
        if spool.pending_batches and spool.oldest_age_s > 60:
            problems.append(f"{spool.pending_batches} batches wait in the spool, the oldest "
                            f"for {spool.oldest_age_s:.0f} s: Kafka does not take them")
        if spool.rejected_batches:
            problems.append(f"{spool.rejected_batches} batches Kafka refused for good are set "
                            f"aside in {forwarder.guarded.spool.dir / 'rejected'}")
        return {"status": "degraded" if problems else "ok", "problems": problems,
                "kafka": "spooling" if forwarder.last == "spooled" else "ok",
                "spool": asdict(spool), "tokens": len(tokens),
                "tokens_error": tokens.error,
                "counters": {k: vars(v) for k, v in ingestor.counters.items()}}

    @app.middleware("http")
    async def access_log(request: Request, call_next: Any) -> Any:
        start = time.perf_counter()
        response = await call_next(request)
        presented = _presented(request)
        who = (token_id(presented) or "other") if presented else "-"  # ids only, never tokens
        log.info("%s %s %d %.1f ms token=%s", request.method, request.url.path,
                 response.status_code, (time.perf_counter() - start) * 1000, who)
        return response

    return app


SERIES_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["series"],
    "properties": {"series": {"type": "array", "items": {"oneOf": [
        {"title": "TSorage message", "type": "object",
         "required": ["metric", "tagset", "type", "values"],
         "properties": {"metric": {"type": "string"},
                        "tagset": {"type": "object",
                                   "additionalProperties": {"type": "string"}},
                        "type": {"enum": ["tdouble", "tlong"]},
                        "values": {"type": "array", "items": {
                            "type": "array", "minItems": 2, "maxItems": 2}}}},
        {"title": "Datadog series (v1)", "type": "object", "required": ["metric", "points"],
         "properties": {"metric": {"type": "string"}, "host": {"type": "string"},
                        "type": {"enum": ["gauge", "count", "rate"]},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "points": {"type": "array", "items": {
                            "type": "array", "minItems": 2, "maxItems": 2}}}}]}}}}
