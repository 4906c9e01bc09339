"""Raw messages to samples, or to a dead-letter reason: one decoder per message format.

The ``format`` header of a raw message (:mod:`netargus.streaming.raw`) names its decoder:
``gnmi`` (a gNMI Notification), ``mdt`` (a Cisco kvGPB Telemetry message), ``jti`` (a Juniper
TelemetryStream), and what the ingestion APIs forward: ``tsorage`` (a TSorage message, JSON),
``tsorage_pb`` (TSorage's protobuf MessagePB), ``datadog`` (a Datadog v1 series) and ``otlp``
(an OpenTelemetry ``ResourceMetrics``); without the header a message is JSON samples. The
loader (:mod:`netargus.streaming.loader`) and ``netargus decode`` both decode through
:func:`decode_message` / :func:`decode_payload`, so they agree on every sample and reason.

A decoder is anything that follows :class:`Decoder` (the built-in ones are modules). More
register without editing netargus, as an installed package's entry point in the group
``netargus.decoders`` (name = the format, value = ``module:object``), or with
:func:`register`.

Every message must give at least one sample: one that decodes to none (a gNMI notification of
text leaves or deletes only, an empty JSON list) is rejected with the reason and the leaves
that were dropped, so the loader dead-letters it instead of accepting it in silence. Leaves
dropped from a message that gave samples are returned beside them (:class:`Decoded`).
"""

from __future__ import annotations

import functools
from datetime import datetime
from importlib import import_module
from importlib.metadata import entry_points
from typing import Protocol

from netargus.model import OutOfRange, SampleColumns, check_storable, source_name, utc
from netargus.streaming.leaves import NS, Decoded, Dropped, describe, epoch_time
from netargus.streaming.raw import (
    FORMAT_HEADER,
    JSON_FORMAT,
    RECEIVED_HEADER,
    SOURCE_HEADER,
    TIMESTAMPS_HEADER,
    NoSamples,
    Rejected,
    samples_from_json,
)

__all__ = ["Decoded", "Decoder", "Dropped", "NoSamples", "Rejected", "decode",
           "decode_message", "decode_payload", "formats", "halve", "register"]

ENTRY_POINTS = "netargus.decoders"
FORMAT_ALIASES = {"json": JSON_FORMAT}
BUILT_IN = {"gnmi": "netargus.streaming.decoders.gnmi",
            "mdt": "netargus.streaming.decoders.mdt",
            "jti": "netargus.streaming.decoders.jti",
            "tsorage": "netargus.streaming.decoders.tsorage",
            "tsorage_pb": "netargus.streaming.decoders.tsorage_pb",
            "otlp": "netargus.streaming.decoders.otlp",
            "datadog": "netargus.streaming.decoders.datadog"}


class Decoder(Protocol):
    """What a message format's decoder provides (the built-in ones are modules)."""

    FORMAT: str
    Undecodable: type[Exception]

    def decode(self, payload: bytes, device: str, received: datetime | None = None
               ) -> Decoded:
        """The samples of one payload from ``device``, and the leaves it dropped; with
        ``received``, every sample is stamped with it. Raises ``Undecodable`` with the
        reason."""
        ...

    def sender(self, payload: bytes) -> str | None:
        """The device the payload names itself (a node id, a system id), if any."""
        ...


_REGISTERED: dict[str, Decoder] = {}


def register(decoder: Decoder) -> None:
    """Make ``decoder`` read messages whose format header is ``decoder.FORMAT``."""
    _REGISTERED[decoder.FORMAT] = decoder


@functools.cache
def decoders() -> dict[str, Decoder]:
    """Every decoder by format: the built-in ones, then the entry points' (imported when
    first needed: the protobuf modules are not small)."""
    found: dict[str, Decoder] = {fmt: import_module(path)  # a module is a Decoder
                                 for fmt, path in BUILT_IN.items()}
    for point in entry_points(group=ENTRY_POINTS):
        found[point.name] = point.load()
    return found


def _registry() -> dict[str, Decoder]:
    return {**decoders(), **_REGISTERED}


def formats() -> list[str]:
    """The format names :func:`decode_payload` reads: ``gnmi``, ``jti``, ``json``, ``mdt``,
    any plugin's (and ``samples+json``, the header value for JSON)."""
    return sorted([*_registry(), *FORMAT_ALIASES, JSON_FORMAT])


def header(headers: list[tuple[str, bytes]] | None, name: str) -> str | None:
    """The text of Kafka header ``name`` (the first one), or ``None``."""
    for key, value in headers or ():
        if key == name:
            return value.decode("utf-8", "replace") if value is not None else None
    return None


def _received(headers: list[tuple[str, bytes]] | None) -> datetime | None:
    """The receipt time to stamp samples with, when the headers ask for it."""
    if header(headers, TIMESTAMPS_HEADER) != "receipt":
        return None
    text = header(headers, RECEIVED_HEADER)
    if not text or not text.isdigit():
        raise Rejected(f"timestamps=receipt without a valid {RECEIVED_HEADER!r} header "
                       f"({text!r})")
    try:
        return epoch_time(int(text), NS)
    except OutOfRange as exc:
        raise Rejected(f"receipt time: {exc}") from None


def decode_message(payload: bytes | None, headers: list[tuple[str, bytes]] | None = None,
                   key: bytes | None = None) -> Decoded:
    """The samples of one raw message (its value, headers and key), with the leaves it
    dropped.

    Raises:
        Rejected: with the reason, for the dead-letter topic (including a message that
            gives no sample).
    """
    if payload is None:
        raise Rejected("empty message")
    fmt, decoder = _decoder(header(headers, FORMAT_HEADER) or JSON_FORMAT)
    if decoder is None:
        return Decoded(SampleColumns(samples_from_json(payload)), [])
    device = key.decode("utf-8", "replace") if key else ""
    if not device or device.startswith("unparsed@"):
        # the collector could not read the sender's name: say why the payload is bad
        _decode(decoder, fmt, payload, device or "?", None)
        raise Rejected(f"{fmt}: no device (key {device!r})")
    decoded = _decode(decoder, fmt, payload, device, _received(headers))
    source = header(headers, SOURCE_HEADER)
    if source:  # the ingestion path that received a pushed message
        try:
            name = source_name(source)
        except ValueError as exc:
            raise Rejected(f"{SOURCE_HEADER} header: {exc}") from None
        decoded.samples.source = [name] * len(decoded.samples)
    return decoded


def decode(payload: bytes | None, headers: list[tuple[str, bytes]] | None = None,
           key: bytes | None = None) -> SampleColumns:
    """The samples of one raw message (a sequence of ``Sample``): :func:`decode_message`
    without the dropped leaves.

    Raises:
        Rejected: with the reason, for the dead-letter topic.
    """
    return decode_message(payload, headers, key).samples


def decode_payload(payload: bytes, fmt: str, device: str | None = None,
                   received: datetime | None = None) -> Decoded:
    """Decode one payload as the loader would, for ``netargus decode --format FMT FILE``.

    Args:
        payload: the message as it travels on ``netargus.raw``: a serialized gNMI
            ``Notification`` (``gnmi``), a Cisco kvGPB ``Telemetry`` message (``mdt``), a
            Juniper JTI ``TelemetryStream`` datagram (``jti``), or JSON samples (``json``).
        fmt: one of :func:`formats`.
        device: the device the samples belong to; by default the name the message gives
            (MDT node id, JTI system id, gNMI prefix target), else ``"unknown"``. Ignored
            for JSON (each sample names its device).
        received: stamp every sample with this time instead of the device's (what a
            target configured ``timestamps: receipt`` gets).

    Returns:
        :class:`Decoded`: ``samples`` (``netargus.model.Sample``) and ``dropped``, the
        leaves that became no sample, each with its path and reason.

    Raises:
        Rejected: the message as a whole cannot be decoded, or gives no sample; ``str()``
            is the reason the loader would dead-letter it with, ``dropped`` the leaves it
            dropped.
    """
    fmt, decoder = _decoder(fmt)
    if decoder is None:
        return Decoded(SampleColumns(samples_from_json(payload)), [])
    if received is not None:
        try:
            check_storable(utc(received))
        except OutOfRange as exc:
            raise Rejected(f"receipt time: {exc}") from None
        received = utc(received)
    return _decode(decoder, fmt, payload, device or decoder.sender(payload) or "unknown",
                   received)


def halve(fmt: str, payload: bytes) -> tuple[bytes, bytes] | None:
    """``payload`` of format ``fmt`` as two payloads of that format that decode, together, to
    the samples it decodes to (for Kafka's message size: :mod:`netargus.sink.kafka`), from
    the decoder's optional ``halve``. None when the format has none (gNMI, MDT, JTI, JSON
    samples), the payload holds one reading, or is not of its format (the loader
    dead-letters it whole)."""
    try:
        _, decoder = _decoder(fmt)
    except Rejected:
        return None
    split = getattr(decoder, "halve", None)
    return None if split is None else split(payload)


def _decoder(fmt: str) -> tuple[str, Decoder | None]:
    """The format's canonical name and its decoder (None for JSON samples).

    Raises:
        Rejected: an unknown format.
    """
    fmt = FORMAT_ALIASES.get(fmt, fmt)
    if fmt == JSON_FORMAT:
        return fmt, None
    decoder = _registry().get(fmt)
    if decoder is None:
        raise Rejected(f"unknown format {fmt!r} (known: {', '.join(formats())})")
    return fmt, decoder


def _decode(decoder: Decoder, fmt: str, payload: bytes, device: str,
            received: datetime | None) -> Decoded:
    try:
        decoded = decoder.decode(payload, device, received)
    except decoder.Undecodable as exc:
        raise Rejected(f"{fmt}: {exc}") from None
    except (ValueError, TypeError) as exc:  # a value a sample cannot hold
        raise Rejected(f"{fmt}: {exc}") from None
    if not decoded.samples:
        what = describe(decoded.dropped) if decoded.dropped else "the message carries no values"
        raise NoSamples(f"{fmt}: no samples: {what}", decoded.dropped)
    return decoded
