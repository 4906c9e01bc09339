"""What an Airflow Connection resolves into: the secrets a protocol logs in with.

The inventory and the streaming file name a Connection id (``credentials: snmp_ro``), never a
secret; the Airflow layer (:mod:`netargus.airflow.hooks`) reads the Connection and builds one
of these ``*Auth`` objects, which reach a protocol's session and nothing else. Each hides its
secrets from ``repr`` and lists them (:meth:`secrets`) so error texts can be scrubbed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LoginAuth:
    """A user name and password from an Airflow Connection (gNMI); the password hidden."""

    login: str = ""
    password: str = field(default="", repr=False)

    def secrets(self) -> tuple[str, ...]:
        """The secret strings, for scrubbing error texts."""
        return (self.password,) if self.password else ()


@dataclass(frozen=True)
class SnmpAuth:
    """SNMP security settings resolved from an Airflow Connection (secrets hidden from repr)."""

    version: str = "2c"
    community: str = field(default="", repr=False)
    user: str = ""
    auth_protocol: str = "sha"
    auth_key: str = field(default="", repr=False)
    priv_protocol: str = "aes"
    priv_key: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.version not in ("1", "2c", "3"):
            raise ValueError(f"unsupported SNMP version {self.version!r} (use 1, 2c or 3)")
        if self.version == "3" and not self.user:
            raise ValueError("SNMPv3 credentials need a user name (the connection's login)")
        for what, key in (("auth key", self.auth_key), ("privacy passphrase", self.priv_key)):
            if self.version == "3" and key and len(key) < 8:  # RFC 3414 s11.2
                raise ValueError(f"the SNMPv3 {what} must be at least 8 characters (RFC 3414)")

    @classmethod
    def from_connection(cls, login: str | None, password: str | None,
                        extra: dict[str, Any] | None) -> SnmpAuth:
        """Build from an Airflow Connection's fields.

        v1/v2c: ``password`` is the community. v3: ``login`` is the user, ``password`` the
        auth key, ``extra`` holds ``version``, ``auth_protocol``, ``priv_protocol`` and
        ``priv_passphrase`` (a name Airflow masks in logs).
        """
        extra = extra or {}
        version = str(extra.get("version", "3" if login else "2c"))
        if version not in ("1", "2", "2c", "3"):
            raise ValueError(f"unsupported SNMP version {version!r} in the connection's extra "
                             "(use 1, 2c or 3)")
        if version in ("1", "2c", "2"):
            return cls(version="1" if version == "1" else "2c", community=password or "")
        return cls(
            version="3",
            user=login or "",
            auth_protocol=str(extra.get("auth_protocol", "sha")),
            auth_key=password or "",
            priv_protocol=str(extra.get("priv_protocol", "aes")),
            priv_key=str(extra.get("priv_passphrase", "")),
        )

    def secrets(self) -> tuple[str, ...]:
        """The secret strings, for scrubbing error texts."""
        return tuple(s for s in (self.community, self.auth_key, self.priv_key) if s)


@dataclass(frozen=True)
class NetconfAuth:
    """SSH login for NETCONF from an Airflow Connection (secrets hidden from repr).

    ``host_key`` is the server's public key (base64, as in ``known_hosts``); without it the
    host key is verified against ``~/.ssh/known_hosts`` unless ``verify_host_key`` is off.
    """

    username: str
    password: str = field(default="", repr=False)
    private_key: str = field(default="", repr=False)  # PEM text
    key_file: str = ""
    host_key: str = ""
    verify_host_key: bool = True

    def secrets(self) -> tuple[str, ...]:
        """The secret strings, for scrubbing error texts."""
        return tuple(s for s in (self.password, self.private_key) if s)

    @classmethod
    def from_connection(cls, login: str | None, password: str | None,
                        extra: dict[str, Any] | None) -> NetconfAuth:
        """From an SSH-style Connection: login, password, and in extra ``key_file`` or
        ``private_key``, ``host_key``, ``no_host_key_check`` (the SSH provider's names)."""
        extra = extra or {}
        if not login:
            raise ValueError("NETCONF credentials need a login")
        return cls(username=login, password=password or "",
                   private_key=str(extra.get("private_key", "")),
                   key_file=str(extra.get("key_file", "")),
                   host_key=str(extra.get("host_key", "")),
                   verify_host_key=str(extra.get("no_host_key_check", "false")).lower()
                   not in ("true", "1", "yes"))
