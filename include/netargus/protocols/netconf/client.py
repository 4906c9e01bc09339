"""NETCONF over SSH (ncclient): one session, its capabilities, ``<get>`` with subtree or XPath
filters, and how its errors become poll outcomes.

A :class:`YangList` says which list of a reply becomes rows (``interfaces-state/interface``),
which of its leaves become labels (list keys) and which become metrics (counter or gauge,
enumerations through a table). :data:`IETF_INTERFACES` is the built-in one for the interface
statistics of ``ietf-interfaces``; its metric names are the SNMP ones, so the same rate code
and tables serve both. Errors become the same outcomes as SNMP's (:func:`judge`): a refused
login is ``auth_failure``, a closed port ``network_failure``, no answer ``timeout``, and an
``<rpc-error>`` carries the server's error-tag.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

from lxml import etree

from netargus.auth import NetconfAuth
from netargus.model import (
    PollOutcome,
)
from netargus.protocols import CollectError

log = logging.getLogger(__name__)
logging.getLogger("ncclient").setLevel(logging.WARNING)  # it logs every RPC at INFO/DEBUG

IETF_INTERFACES_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"


class NetconfFailure(CollectError):
    """Talking to a device over NETCONF failed; ``outcome`` is the ``poll_status`` to record."""


def judge(exc: BaseException) -> NetconfFailure:
    """The outcome of an ncclient / SSH error (the message names no secret)."""
    from ncclient.operations.errors import TimeoutExpiredError
    from ncclient.operations.rpc import RPCError
    from ncclient.transport.errors import AuthenticationError, SSHError

    if isinstance(exc, NetconfFailure):
        return exc
    if isinstance(exc, AuthenticationError):
        return NetconfFailure(PollOutcome.AUTH_FAILURE, "SSH authentication failed")
    if isinstance(exc, RPCError):
        return NetconfFailure(PollOutcome.PARTIAL,
                              f"rpc-error {exc.tag or '?'}: {exc.message or exc}".strip())
    if isinstance(exc, (TimeoutExpiredError, socket.timeout, TimeoutError)):
        return NetconfFailure(PollOutcome.TIMEOUT, f"no answer in time: {exc}")
    if isinstance(exc, (SSHError, OSError)):
        text = str(exc)
        if "host key" in text.lower() or "Unknown host key" in text:
            return NetconfFailure(PollOutcome.AUTH_FAILURE, f"SSH host key not trusted: {text}")
        return NetconfFailure(PollOutcome.NETWORK_FAILURE, text or type(exc).__name__)
    return NetconfFailure(PollOutcome.INTERNAL_FAILURE, f"{type(exc).__name__}: {exc}")


def modules(capabilities: list[str]) -> dict[str, str]:
    """YANG module -> revision, from the ``?module=...&revision=...`` capabilities."""
    out = {}
    for cap in capabilities:
        _, _, query = cap.partition("?")
        params = parse_qs(query)
        if "module" in params:
            out[params["module"][0]] = params.get("revision", [""])[0]
    return dict(sorted(out.items()))


class NetconfClient:
    """One NETCONF session (a context manager)."""

    def __init__(self, host: str, port: int, credentials: NetconfAuth,
                 timeout: float = 10.0) -> None:
        self.host, self.port, self.credentials, self.timeout = host, port, credentials, timeout
        self._manager: Any = None

    def __enter__(self) -> NetconfClient:
        from ncclient import manager

        c = self.credentials
        with self._key_file() as key_file:
            try:
                self._manager = manager.connect(
                    host=self.host, port=self.port, username=c.username,
                    password=c.password or None, key_filename=key_file,
                    hostkey_verify=c.verify_host_key, hostkey_b64=c.host_key or None,
                    allow_agent=False, look_for_keys=False, timeout=self.timeout)
            except Exception as exc:
                raise judge(exc) from None
        self._manager.timeout = self.timeout
        return self

    @contextlib.contextmanager
    def _key_file(self) -> Iterator[str | None]:
        """The private key as a file for ncclient (a mode-600 temp file, removed after)."""
        c = self.credentials
        if c.key_file or not c.private_key:
            yield c.key_file or None
            return
        fd, path = tempfile.mkstemp(prefix="netargus-key-")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(c.private_key)
            yield path
        finally:
            os.unlink(path)

    def __exit__(self, *exc: object) -> None:
        if self._manager is not None:
            with contextlib.suppress(Exception):
                self._manager.close_session()

    def capabilities(self) -> list[str]:
        return sorted(self._manager.server_capabilities)

    def get(self, subtree: str | None = None, xpath: str | None = None) -> etree._Element:
        """``<get>`` with a subtree or XPath filter; returns the ``<data>`` element."""
        flt = ("subtree", subtree) if subtree else ("xpath", xpath) if xpath else None
        try:
            reply = self._manager.get(filter=flt)
        except Exception as exc:
            raise judge(exc) from None
        return reply.data_ele
