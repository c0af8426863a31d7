"""AutoMTLS, the go-plugin way: each side makes an ephemeral key and self-signed certificate per
launch, and trusts exactly the other side's certificate.

The host passes its certificate (PEM) in ``PLUGIN_CLIENT_CERT``; the plugin returns its own (DER,
base64) in the handshake. Certificates name ``localhost``, as go-plugin's do.

grpcio's TLS stack (BoringSSL) does not accept P-521 signatures under TLS 1.3, and go-plugin makes
P-521 certificates. `grpc_compatible` tells whether grpcio can handle a peer's certificate; when it
cannot, the TLS session is terminated with Python's `ssl` module instead (see `tls_bridge`).
"""

from __future__ import annotations

import dataclasses
import datetime
import ssl
import tempfile
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

if TYPE_CHECKING:
    import grpc

AUTOMTLS_ENV = "BH_PLUGIN_AUTOMTLS"  # "0" turns AutoMTLS off on the host
SERVER_NAME = "localhost"
_GRPC_CURVES = (ec.SECP256R1, ec.SECP384R1)
_BOTH_WAYS = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH])


@dataclasses.dataclass(frozen=True)
class Identity:
    """An ephemeral key pair and its self-signed certificate."""

    cert_pem: bytes
    key_pem: bytes

    @property
    def cert_der(self) -> bytes:
        return x509.load_pem_x509_certificate(self.cert_pem).public_bytes(serialization.Encoding.DER)


def make_identity(curve: ec.EllipticCurve | None = None) -> Identity:
    """A key (P-256 unless `curve` says otherwise) and a self-signed CA certificate for ``localhost``,
    usable as client and server."""
    key = ec.generate_private_key(curve or ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAME),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "BenchHub"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_encipherment=False, key_agreement=True, key_cert_sign=True,
                content_commitment=False, data_encipherment=False, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(_BOTH_WAYS, critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(SERVER_NAME)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return Identity(cert.public_bytes(serialization.Encoding.PEM), key_pem)


def pem_of_der(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def grpc_compatible(cert_pem: bytes) -> bool:
    """True when grpcio's TLS can verify this certificate's signatures (RSA, P-256, P-384)."""
    key = x509.load_pem_x509_certificate(cert_pem).public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return isinstance(key.curve, _GRPC_CURVES)
    return isinstance(key, rsa.RSAPublicKey)


def _load_identity(context: ssl.SSLContext, identity: Identity) -> None:
    # ssl loads a key pair only from files: write them to a private temp file that is gone at once.
    with tempfile.NamedTemporaryFile(prefix="bh-tls-") as pair:
        pair.write(identity.key_pem + identity.cert_pem)
        pair.flush()
        context.load_cert_chain(pair.name)


def ssl_server_context(identity: Identity, client_cert_pem: bytes) -> ssl.SSLContext:
    """TLS 1.2+ server requiring exactly the client certificate `client_cert_pem`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_identity(context, identity)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=client_cert_pem.decode())
    context.set_alpn_protocols(["h2"])
    return context


def ssl_client_context(identity: Identity, server_cert_pem: bytes) -> ssl.SSLContext:
    """TLS 1.2+ client trusting only `server_cert_pem` (for ``localhost``) and presenting `identity`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_identity(context, identity)
    context.load_verify_locations(cadata=server_cert_pem.decode())
    context.set_alpn_protocols(["h2"])
    return context


def grpc_server_credentials(identity: Identity, client_cert_pem: bytes) -> grpc.ServerCredentials:
    import grpc  # here: the host makes its identity before it loads gRPC

    return grpc.ssl_server_credentials(
        [(identity.key_pem, identity.cert_pem)], root_certificates=client_cert_pem, require_client_auth=True
    )


def grpc_channel_credentials(identity: Identity, server_cert_pem: bytes) -> grpc.ChannelCredentials:
    """Use with the channel option ``("grpc.ssl_target_name_override", SERVER_NAME)``."""
    import grpc

    return grpc.ssl_channel_credentials(
        root_certificates=server_cert_pem, private_key=identity.key_pem, certificate_chain=identity.cert_pem
    )
