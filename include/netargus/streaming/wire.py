"""Telemetry messages written down by people, turned into the bytes devices send.

``netargus decode`` and the recorded fixtures (``tests/fixtures/<protocol>/<case>/``) hold
messages in whichever form their source kept them; :func:`wire_messages` accepts all of them:

* protobuf as sent on the wire (binary);
* protobuf JSON (``json_format``): gNMI, a ``Notification``, a ``SubscribeResponse``, or a
  list of either (the form Telegraf's gnmi testcases record; sync responses are skipped);
  MDT, a Cisco ``Telemetry`` message or a list of them (Telegraf's ``packet.json``);
* protobuf text format (a JTI ``TelemetryStream``, say, with its ``[netargus.jti....]``
  extensions);
* hex, one message per line (``#`` starts a comment), as packet captures are quoted.
"""

from __future__ import annotations

import json
import re
from typing import Any

from google.protobuf import json_format, text_format
from google.protobuf.message import DecodeError

HEX_LINE = re.compile(r"^[0-9a-fA-F\s]*$")


class Unreadable(ValueError):
    """A file that is none of the forms :func:`wire_messages` reads (the message says why)."""


def message_class(fmt: str) -> Any:
    """The protobuf message a raw message of ``fmt`` (``gnmi``, ``mdt``, ``jti``) holds.

    Raises:
        Unreadable: an unknown format.
    """
    if fmt == "gnmi":
        from pygnmi.spec.v080 import gnmi_pb2

        return gnmi_pb2.Notification
    if fmt == "mdt":
        from netargus.proto.cisco import telemetry_bis_pb2

        return telemetry_bis_pb2.Telemetry
    if fmt == "jti":
        from netargus.proto.juniper import port_pb2, telemetry_top_pb2

        assert port_pb2  # registers the interface sensor's extension for text and JSON
        return telemetry_top_pb2.TelemetryStream
    raise Unreadable(f"no protobuf message for format {fmt!r} (gnmi, mdt, jti)")


def _from_json(fmt: str, data: Any) -> list[bytes]:
    cls = message_class(fmt)
    out = []
    for item in data if isinstance(data, list) else [data]:
        if fmt == "gnmi" and isinstance(item, dict):
            if "syncResponse" in item or "sync_response" in item:
                continue
            if isinstance(item.get("update"), dict):  # a SubscribeResponse's notification
                item = item["update"]              # (a Notification's own update is a list)
        try:
            out.append(json_format.ParseDict(item, cls()).SerializeToString())
        except json_format.ParseError as exc:
            raise Unreadable(f"not a {cls.DESCRIPTOR.full_name} in protobuf JSON: {exc}") \
                from None
    return out


def _hex(text: str) -> list[bytes]:
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [bytes.fromhex(line) for line in lines if line]


def wire_messages(fmt: str, raw: bytes) -> list[bytes]:
    """The messages a file holds, as the wire bytes of ``fmt`` (``gnmi``, ``mdt``, ``jti``),
    in order. Binary input is returned as it is (the decoder judges it).

    Raises:
        Unreadable: text that is not protobuf JSON, text format or hex of ``fmt``.
    """
    cls = message_class(fmt)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return [raw]
    if not text.strip() or any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        return [raw]  # control characters: protobuf as sent
    stripped = text.strip()
    if stripped[0] in "[{":
        try:
            return _from_json(fmt, json.loads(stripped))
        except json.JSONDecodeError:
            pass
    if all(HEX_LINE.match(line.split("#", 1)[0]) for line in stripped.splitlines()):
        try:
            return _hex(stripped)
        except ValueError:
            pass
    try:
        return [text_format.Parse(text, cls()).SerializeToString()]
    except (text_format.ParseError, DecodeError) as exc:
        raise Unreadable(f"not a {cls.DESCRIPTOR.full_name} as protobuf JSON, text format or "
                         f"hex: {exc}") from None
