"""A lab certificate authority and server certificates (for the gNMI simulators' TLS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def ensure_certs(folder: Path, names: list[str]) -> Path:
    """``folder/ca.pem`` plus ``<name>.pem``/``<name>.key`` for each server name (made once;
    keys mode 600). Returns the CA file."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_file, ca_key_file = folder / "ca.pem", folder / "ca.key"
    now = datetime.now(UTC) - timedelta(minutes=5)
    if not ca_file.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name("netargus lab CA"))
                .issuer_name(_name("netargus lab CA")).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now)
                .not_valid_after(now + timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .sign(key, hashes.SHA256()))
        ca_key_file.write_bytes(_key_pem(key))
        ca_key_file.chmod(0o600)
        ca_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    ca_cert = x509.load_pem_x509_certificate(ca_file.read_bytes())
    ca_key = serialization.load_pem_private_key(ca_key_file.read_bytes(), None)
    for name in names:
        if (folder / f"{name}.pem").exists():
            continue
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(name))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now)
                .not_valid_after(now + timedelta(days=3650))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        (folder / f"{name}.key").write_bytes(_key_pem(key))
        (folder / f"{name}.key").chmod(0o600)
        (folder / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return ca_file
