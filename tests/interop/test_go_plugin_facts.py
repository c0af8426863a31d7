"""What a real go-plugin 1.0.1 provider does on the wire, checked against bh-provider-gocatalog.

These are the facts the Python host relies on; each is read from the 1.0.1 source under
/usr/share/gocode/src/github.com/hashicorp/go-plugin and proven here on the built binary.
"""

from __future__ import annotations

import base64
import datetime
import subprocess
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google.protobuf import empty_pb2
from goplugin import StartProvider
from grpc_health.v1 import health_pb2, health_pb2_grpc

from benchhub.proto.plugin import grpc_controller_pb2 as controller_pb
from benchhub.proto.plugin import grpc_controller_pb2_grpc, grpc_stdio_pb2_grpc
from benchhub.providers.sdk import wire


def self_signed_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_refuses_to_run_without_the_magic_cookie(go_bin: Path) -> None:
    done = subprocess.run([str(go_bin / "bh-provider-gocatalog")], capture_output=True, text=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 1
    assert "This binary is a plugin" in done.stderr


def test_handshake_is_five_fields_plus_an_empty_certificate_on_a_unix_socket(
    start_gocatalog: StartProvider, gocatalog_env: dict[str, str]
) -> None:
    # go-plugin 1.0.1 listens on a unix socket on Linux whatever the port range says.
    _, line = start_gocatalog({**gocatalog_env, wire.NETWORK_ENV: "tcp",
                               wire.MIN_PORT_ENV: "20000", wire.MAX_PORT_ENV: "20010"})
    assert line.count("|") == 5 and line.endswith("|grpc|")
    handshake = wire.Handshake.parse(line)
    assert (handshake.core_version, handshake.app_version, handshake.network) == (1, 1, "unix")
    assert handshake.cert_der is None
    assert Path(handshake.address).is_socket()


def test_automtls_certificate_is_unpadded_standard_base64_der_on_p521(
    start_gocatalog: StartProvider, gocatalog_env: dict[str, str]
) -> None:
    _, line = start_gocatalog({**gocatalog_env, wire.CLIENT_CERT_ENV: self_signed_pem()})
    field = line.split("|")[5]
    assert field and "=" not in field and "-" not in field and "_" not in field
    der = base64.b64decode(field + "=" * (-len(field) % 4), validate=True)
    assert wire.Handshake.parse(line).cert_der == der
    cert = x509.load_der_x509_certificate(der)
    public_key = cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp521r1"  # the curve grpcio refuses under TLS 1.3
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]  # the name the host verifies


def test_shutdown_answers_unavailable_and_the_provider_exits(
    start_gocatalog: StartProvider, gocatalog_env: dict[str, str]
) -> None:
    proc, line = start_gocatalog(gocatalog_env)
    with grpc.insecure_channel(wire.Handshake.parse(line).target()) as channel:
        check = health_pb2.HealthCheckRequest(service=wire.HEALTH_SERVICE)
        health = health_pb2_grpc.HealthStub(channel).Check(check, timeout=10)
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as failed:
            grpc_controller_pb2_grpc.GRPCControllerStub(channel).Shutdown(controller_pb.Empty(), timeout=10)
    assert failed.value.code() == grpc.StatusCode.UNAVAILABLE  # the server stops inside the call
    assert proc.wait(timeout=10) == 0


def test_there_is_no_grpc_stdio_service(
    start_gocatalog: StartProvider, gocatalog_env: dict[str, str]
) -> None:
    _, line = start_gocatalog(gocatalog_env)
    with grpc.insecure_channel(wire.Handshake.parse(line).target()) as channel:
        stream = grpc_stdio_pb2_grpc.GRPCStdioStub(channel).StreamStdio(empty_pb2.Empty(), timeout=10)
        with pytest.raises(grpc.RpcError) as failed:
            next(iter(stream))
    assert failed.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_logs_are_hclog_json_lines_on_stderr(
    start_gocatalog: StartProvider, gocatalog_env: dict[str, str]
) -> None:
    proc, _ = start_gocatalog(gocatalog_env)
    proc.kill()
    _, stderr = proc.communicate(timeout=10)
    first = stderr.splitlines()[0]
    assert first.startswith('{"@level":"debug","@message":"plugin address"'), first
