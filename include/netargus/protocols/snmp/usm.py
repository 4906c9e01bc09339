"""SNMPv3 with the User-based Security Model, on netargus's own codec (:mod:`.ber`).

What it covers, and from where:

- the message (RFC 3412 §6): msgID, msgMaxSize, msgFlags (auth 0x01, priv 0x02, reportable
  0x04), msgSecurityModel 3, the USM security parameters (RFC 3414 §2.4) and a scopedPDU
  (contextEngineID, contextName, PDU), encrypted when privacy is on;
- engine discovery (RFC 3414 §4): an unauthenticated request with an empty engine ID draws a
  Report carrying the agent's snmpEngineID, boots and time; time is kept per agent and
  resynchronised from a usmStatsNotInTimeWindows Report (RFC 3414 §3.2 step 7);
- keys (RFC 3414 A.2): a passphrase is stretched over 1 MiB and localized to the agent's
  engine ID with the authentication protocol's hash (RFC 7860 §9.3 for SHA-2); both are
  cached, so the 1 MiB hash runs once per passphrase and protocol;
- authentication: HMAC-MD5-96, HMAC-SHA-96 (RFC 3414 §6, §7), HMAC-SHA-224/256/384/512 with
  128/192/256/384-bit digests (RFC 7860);
- privacy: CBC-DES (RFC 3414 §8) and CFB128-AES-128 (RFC 3826).

AES-192/256 and 3DES have two incompatible key extensions in the field (Blumenthal and
Reeder); :func:`speaks` says which credentials this module serves and the client sends the
rest through pysnmp.

Answers are taken only when they verify: a Response must carry the security level asked for,
our user name, a correct digest and the request-id of its msgID (RFC 3413 §3.1.3); anything
else (an echo of the request, a trap, a forged or malformed datagram that is not
authenticated) is dropped (the request then times out, as net-snmp's does). Reports (errors the
agent reports, RFC 3412 §7.1.3) are taken unauthenticated, as RFC 3414 sends most of them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import time
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers.modes import CBC

from netargus.auth import SnmpAuth
from netargus.model import PollOutcome
from netargus.protocols import CollectError
from netargus.protocols.snmp.ber import (
    GET,
    RESPONSE,
    BerError,
    Oid,
    Response,
    decode_pdu,
    encode_pdu,
    expect,
    integer,
    read_integer,
    tlv,
)
from netargus.protocols.snmp.transport import Dropped, SnmpTransport

REPORT = 0xA8
MAX_SIZE = 65507  # msgMaxSize: the largest UDP payload over IPv4
AUTH, PRIV, REPORTABLE = 0x01, 0x02, 0x04
AUTH_HASHES = {  # name -> (hashlib name, digest octets sent)
    "md5": ("md5", 12), "sha": ("sha1", 12), "sha224": ("sha224", 16),
    "sha256": ("sha256", 24), "sha384": ("sha384", 32), "sha512": ("sha512", 48)}
PRIVACIES = ("des", "aes", "aes128")
USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
NOT_IN_TIME_WINDOW, UNKNOWN_ENGINE_ID = USM_STATS + (2, 0), USM_STATS + (4, 0)
REPORTED = {  # Report varbinds (RFC 3414 §5, RFC 3411 §5) -> outcome and words
    USM_STATS + (1, 0): (PollOutcome.AUTH_FAILURE, "unsupported security level"),
    USM_STATS + (3, 0): (PollOutcome.AUTH_FAILURE, "unknown user name"),
    USM_STATS + (5, 0): (PollOutcome.AUTH_FAILURE, "wrong digest (authentication key)"),
    USM_STATS + (6, 0): (PollOutcome.AUTH_FAILURE, "decryption error (privacy key)"),
    (1, 3, 6, 1, 6, 3, 12, 1, 4, 0): (PollOutcome.NETWORK_FAILURE, "unavailable context"),
    (1, 3, 6, 1, 6, 3, 12, 1, 5, 0): (PollOutcome.NETWORK_FAILURE, "unknown context"),
}


def speaks(creds: SnmpAuth) -> bool:
    """Whether this module serves ``creds`` (SNMPv3 with a supported auth and privacy)."""
    return (creds.version == "3" and (not creds.auth_key
                                      or creds.auth_protocol.lower() in AUTH_HASHES)
            and (not creds.priv_key or creds.priv_protocol.lower() in PRIVACIES))


@lru_cache(maxsize=256)
def password_to_key(hash_name: str, passphrase: bytes) -> bytes:
    """Ku: ``passphrase`` repeated over 1 MiB and hashed (RFC 3414 A.2.1 / A.2.2)."""
    if not passphrase:
        raise ValueError("an empty passphrase has no key")
    whole, rest = divmod(1_048_576, len(passphrase))
    return hashlib.new(hash_name, passphrase * whole + passphrase[:rest]).digest()


@lru_cache(maxsize=4096)
def localize(hash_name: str, passphrase: bytes, engine_id: bytes) -> bytes:
    """Kul: the key of ``passphrase`` for one agent, ``H(Ku || engineID || Ku)`` (RFC 3414
    A.2)."""
    ku = password_to_key(hash_name, passphrase)
    return hashlib.new(hash_name, ku + engine_id + ku).digest()


@dataclass
class Peer:
    """What is known of one agent's SNMP engine: its ID, and boots and time as of ``at``
    (``time.monotonic()``)."""

    engine_id: bytes
    boots: int
    engine_time: int
    at: float = field(default_factory=time.monotonic)

    def now(self) -> int:
        """The agent's snmpEngineTime now, in seconds (RFC 3414 §2.3)."""
        return self.engine_time + int(time.monotonic() - self.at)


@dataclass(frozen=True)
class Answer:
    """A verified SNMPv3 message: its PDU as a :class:`Response` (``version`` 3, no
    community) and the agent's engine ID, boots and time from its security parameters."""

    response: Response
    engine_id: bytes
    boots: int
    engine_time: int


class Keys:
    """The localized keys and protocols of one user at one engine."""

    def __init__(self, creds: SnmpAuth, engine_id: bytes) -> None:
        self.user = creds.user.encode()
        self.flags = REPORTABLE
        self.hash_name, self.mac_size = AUTH_HASHES[creds.auth_protocol.lower()] \
            if creds.auth_key else ("", 0)
        self.auth_key = self.priv_key = b""
        self.privacy = ""
        if creds.auth_key:
            self.flags |= AUTH
            self.auth_key = localize(self.hash_name, creds.auth_key.encode(), engine_id)
            if creds.priv_key:
                self.flags |= PRIV
                self.privacy = "des" if creds.priv_protocol.lower() == "des" else "aes"
                self.priv_key = localize(self.hash_name, creds.priv_key.encode(), engine_id)
        self._salt = random.getrandbits(64)

    def mac(self, whole: bytes) -> bytes:
        return hmac.new(self.auth_key, whole, self.hash_name).digest()[:self.mac_size]

    def _cipher(self, salt: bytes, boots: int, engine_time: int) -> Cipher:
        """The privacy cipher for one message: CBC-DES with IV = pre-IV XOR salt (RFC 3414
        §8.1.1.1), or CFB128-AES-128 with IV = boots || time || salt (RFC 3826 §3.1.2.1)."""
        if self.privacy == "des":
            iv = bytes(a ^ b for a, b in zip(self.priv_key[8:16], salt, strict=True))
            return Cipher(TripleDES(self.priv_key[:8] * 3), CBC(iv))
        iv = boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + salt
        return Cipher(algorithms.AES(self.priv_key[:16]), CFB(iv))

    def encrypt(self, plain: bytes, boots: int, engine_time: int) -> tuple[bytes, bytes]:
        """``(ciphertext, msgPrivacyParameters)`` of a serialized scopedPDU."""
        self._salt = (self._salt + 1) % 2**64
        if self.privacy == "des":  # the salt is boots || a local counter; pad to 8 octets
            salt = boots.to_bytes(4, "big") + (self._salt % 2**32).to_bytes(4, "big")
            plain += b"\0" * (-len(plain) % 8)
        else:
            salt = self._salt.to_bytes(8, "big")
        cipher = self._cipher(salt, boots, engine_time).encryptor()
        return cipher.update(plain) + cipher.finalize(), salt

    def decrypt(self, data: bytes, salt: bytes, boots: int, engine_time: int) -> bytes:
        """The serialized scopedPDU in ``data``; DES's padding is left for BER to ignore.

        Raises:
            BerError: privacy parameters or ciphertext of the wrong length.
        """
        if len(salt) != 8:
            raise BerError(f"msgPrivacyParameters of {len(salt)} octets (8 expected)")
        if self.privacy == "des" and len(data) % 8:
            raise BerError(f"DES ciphertext of {len(data)} octets (not a multiple of 8)")
        cipher = self._cipher(salt, boots, engine_time).decryptor()
        return cipher.update(data) + cipher.finalize()


def encode_message(message_id: int, flags: int, engine_id: bytes, boots: int,
                   engine_time: int, user: bytes, scoped_pdu: bytes,
                   keys: Keys | None = None) -> bytes:
    """An SNMPv3 message around the serialized ``scoped_pdu``; encrypted and authenticated
    by ``keys`` as ``flags`` say (RFC 3414 §3.1)."""
    privacy = b""
    data = scoped_pdu
    if keys is not None and flags & PRIV:
        ciphertext, privacy = keys.encrypt(scoped_pdu, boots, engine_time)
        data = tlv(0x04, ciphertext)
    marker = os.urandom(keys.mac_size) if keys is not None and flags & AUTH else b""
    header = tlv(0x30, integer(message_id) + integer(MAX_SIZE) + tlv(0x04, bytes((flags,)))
                 + integer(3))
    security = tlv(0x30, tlv(0x04, engine_id) + integer(boots) + integer(engine_time)
                   + tlv(0x04, user) + tlv(0x04, marker) + tlv(0x04, privacy))
    message = tlv(0x30, integer(3) + header + tlv(0x04, security) + data)
    if not marker:
        return message
    at = message.find(marker)
    if at < 0 or message.find(marker, at + 1) >= 0:  # a marker met twice: pick another
        return encode_message(message_id, flags, engine_id, boots, engine_time, user,
                              scoped_pdu, keys)
    assert keys is not None
    whole = message[:at] + bytes(len(marker)) + message[at + len(marker):]
    return whole[:at] + keys.mac(whole) + whole[at + len(marker):]


def scoped(engine_id: bytes, context: bytes, pdu: bytes) -> bytes:
    """A serialized scopedPDU (RFC 3412 §6.8)."""
    return tlv(0x30, tlv(0x04, engine_id) + tlv(0x04, context) + pdu)


def decode_message(data: bytes, keys: Keys | None) -> Answer:
    """Read and verify one SNMPv3 message.

    Raises:
        Dropped: not for us (another user, a digest that does not verify with ``keys``, an
            authenticated answer to an unauthenticated request), to be ignored.
        BerError: malformed (``request_id`` set from msgID).
    """
    start, end = expect(data, 0, len(data), 0x30, "message SEQUENCE")
    version, i = read_integer(data, start, end, "version")
    if version != 3:
        raise Dropped(f"SNMP version field {version}")
    i, header_end = expect(data, i, end, 0x30, "msgGlobalData")
    message_id, i = read_integer(data, i, header_end, "msgID")
    verified = False
    try:
        _, i = read_integer(data, i, header_end, "msgMaxSize")
        i, j = expect(data, i, header_end, 0x04, "msgFlags")
        flags = data[i] if j > i else 0
        model, _ = read_integer(data, j, header_end, "msgSecurityModel")
        if model != 3:
            raise Dropped(f"security model {model} (not USM)")
        i, j = expect(data, header_end, end, 0x04, "msgSecurityParameters")
        data_at = j
        i, stop = expect(data, i, j, 0x30, "UsmSecurityParameters")
        k, m = expect(data, i, stop, 0x04, "msgAuthoritativeEngineID")
        engine_id = data[k:m]
        boots, m = read_integer(data, m, stop, "msgAuthoritativeEngineBoots")
        engine_time, m = read_integer(data, m, stop, "msgAuthoritativeEngineTime")
        k, m = expect(data, m, stop, 0x04, "msgUserName")
        user = data[k:m]
        auth_at, auth_end = expect(data, m, stop, 0x04, "msgAuthenticationParameters")
        k, m = expect(data, auth_end, stop, 0x04, "msgPrivacyParameters")
        salt = data[k:m]
        if flags & AUTH:
            if keys is None or not keys.mac_size or user != keys.user:
                raise Dropped("authenticated with keys we do not hold")
            whole = data[:auth_at] + bytes(auth_end - auth_at) + data[auth_end:]
            if not hmac.compare_digest(keys.mac(whole), data[auth_at:auth_end]):
                raise Dropped("the digest does not verify")
            verified = True
        if flags & PRIV:
            if keys is None or not keys.privacy:
                raise Dropped("encrypted with keys we do not hold")
            k, m = expect(data, data_at, end, 0x04, "encryptedPDU")
            plain = keys.decrypt(data[k:m], salt, boots, engine_time)
            pdu_data, i, pdu_end = plain, *expect(plain, 0, len(plain), 0x30, "scopedPDU")
        else:
            pdu_data, i, pdu_end = data, *expect(data, data_at, end, 0x30, "scopedPDU")
        _, i = expect(pdu_data, i, pdu_end, 0x04, "contextEngineID")
        _, i = expect(pdu_data, i, pdu_end, 0x04, "contextName")
        pdu, request_id, status, index, binds = decode_pdu(pdu_data, i, pdu_end)
    except BerError as exc:
        if keys is not None and keys.flags & AUTH and not verified:
            raise Dropped(f"malformed and not authenticated: {exc}") from None
        raise BerError(str(exc), message_id) from None
    if pdu == REPORT:
        return Answer(Response(3, b"", pdu, request_id, status, index, binds), engine_id,
                      boots, engine_time)
    if pdu != RESPONSE or request_id != message_id:  # an echo of the request, a trap
        raise Dropped(f"a PDU of type 0x{pdu:02x} with request-id {request_id} (msgID "
                      f"{message_id}), not its Response")
    if keys is not None and ((flags & (AUTH | PRIV)) != (keys.flags & (AUTH | PRIV))
                             or user != keys.user):
        raise Dropped("a response at another security level, or for another user")
    return Answer(Response(3, b"", pdu, request_id, status, index, binds), engine_id, boots,
                  engine_time)


class Usm:
    """SNMPv3 requests over a shared :class:`~.transport.SnmpTransport`: agents' engines
    discovered once and kept (keyed by address), keys localized once per engine.
    ``discoveries`` and ``resynchronisations`` count engine discoveries and time-window
    resynchronisations."""

    def __init__(self) -> None:
        self.peers: dict[tuple[str, int], Peer] = {}
        self.discoveries = self.resynchronisations = 0

    async def _discover(self, transport: SnmpTransport, address: tuple[str, int],
                        timeout: float, retries: int) -> Peer:
        def build(message_id: int) -> bytes:
            return encode_message(message_id, REPORTABLE, b"", 0, 0, b"",
                                  scoped(b"", b"", encode_pdu(GET, message_id, [])))

        answer = await transport.request(address, build, lambda d: decode_message(d, None),
                                         timeout=timeout, retries=retries)
        if not answer.engine_id:
            raise CollectError(PollOutcome.NETWORK_FAILURE,
                               "the agent's discovery answer carries no snmpEngineID")
        self.discoveries += 1
        peer = self.peers[address] = Peer(answer.engine_id, answer.boots, answer.engine_time)
        return peer

    async def request(self, transport: SnmpTransport, address: tuple[str, int],
                      creds: SnmpAuth, context: str, pdu: int, oids: list[Oid] | list[str], *,
                      timeout: float, retries: int, max_repetitions: int = 0) -> Response:
        """One request to the agent at ``address`` as ``creds``' user, in ``context``.

        Raises:
            CollectError: auth_failure for the agent's USM Reports (unknown user, wrong
                digest, decryption error, unsupported level) and network_failure for others
                (unknown context); what :meth:`~.transport.SnmpTransport.request` raises.
        """
        resynced = False
        while True:
            peer = self.peers.get(address) or await self._discover(transport, address,
                                                                   timeout, retries)
            keys = Keys(creds, peer.engine_id)

            def build(message_id: int, peer: Peer = peer, keys: Keys = keys) -> bytes:
                body = encode_pdu(pdu, message_id, oids, max_repetitions=max_repetitions)
                return encode_message(message_id, keys.flags, peer.engine_id, peer.boots,
                                      peer.now(), keys.user,
                                      scoped(peer.engine_id, context.encode(), body), keys)

            def accept(data: bytes, keys: Keys = keys) -> Answer:
                return decode_message(data, keys)

            answer = await transport.request(address, build, accept, timeout=timeout,
                                             retries=retries)
            if answer.response.pdu != REPORT:
                return answer.response
            reported = answer.response.var_binds[0][0] if answer.response.var_binds else ()
            if reported in (NOT_IN_TIME_WINDOW, UNKNOWN_ENGINE_ID) and not resynced:
                resynced = True  # RFC 3414 §3.2 steps 3 and 7: learn the agent's clock, again
                if reported == UNKNOWN_ENGINE_ID or not answer.engine_id:
                    self.peers.pop(address, None)
                else:
                    self.resynchronisations += 1
                    self.peers[address] = Peer(answer.engine_id, answer.boots,
                                               answer.engine_time)
                continue
            outcome, words = REPORTED.get(reported, (PollOutcome.NETWORK_FAILURE, ""))
            name = ".".join(map(str, reported)) or "no varbind"
            raise CollectError(outcome, f"the agent reported {words or 'an error'} ({name})")

