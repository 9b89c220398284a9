"""TLS: SSLConfig -> SSLContext with clear errors, and real TLS (trustme certificates, a TLS terminator on loopback
in front of a real member): server verification, mutual TLS, hostname checking and its override."""

import asyncio
import ssl
import uuid

import pytest
import trustme

from hazelcast.config import Config
from hazelcast.errors import HazelcastIOError, InvalidConfigurationError, TargetDisconnectedError
from hazelcast.network.address import Address
from hazelcast.network.connection import Connection, ConnectionOptions
from hazelcast.network.ssl_config import SSLConfig
from hazelcast.protocol.codecs.client import decode_authentication_response, encode_authentication_request
from _tls_terminator import TLSTerminator


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture(scope="module")
def pki(ca, tmp_path_factory):
    """PEM files: the CA, a server cert for 127.0.0.1/localhost, one for another name, a client cert."""
    d = tmp_path_factory.mktemp("pki")
    files = {"ca": d / "ca.pem"}
    ca.cert_pem.write_to_path(str(files["ca"]))
    for name, hosts in (("server", ["127.0.0.1", "localhost"]), ("other", ["member.other.test"]), ("client", ["client"])):
        cert = ca.issue_cert(*hosts)
        files[name] = d / f"{name}.pem"
        cert.private_key_and_cert_chain_pem.write_to_path(str(files[name]))
        files[name + "_cert"] = d / f"{name}_cert.pem"
        files[name + "_key"] = d / f"{name}_key.pem"
        for blob in cert.cert_chain_pems:
            blob.write_to_path(str(files[name + "_cert"]), append=True)
        cert.private_key_pem.write_to_path(str(files[name + "_key"]))
    files["dir"] = d
    return files


def server_context(pki, name="server", require_client_cert=False, ca=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(pki[name]))
    if require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=str(pki["ca"]))
    return ctx


# -- SSLConfig -----------------------------------------------------------------------------------------------------


def test_context_defaults(pki):
    ctx = SSLConfig(enabled=True, cafile=str(pki["ca"])).create_context()
    assert ctx.check_hostname and ctx.verify_mode is ssl.CERT_REQUIRED
    assert ctx.minimum_version is ssl.TLSVersion.TLSv1_2
    ctx = SSLConfig(enabled=True, cafile=str(pki["ca"]), protocol="TLSv1_3", check_hostname=False).create_context()
    assert ctx.minimum_version is ssl.TLSVersion.TLSv1_3 and not ctx.check_hostname
    assert SSLConfig().create_context().verify_mode is ssl.CERT_REQUIRED  # system CAs
    assert SSLConfig(server_hostname="x").hostname_for("h") == "x" and SSLConfig().hostname_for("h") == "h"


def test_config_views(pki):
    c = Config(ssl_enabled=True, ssl_cafile=str(pki["ca"]), ssl_certfile=str(pki["client"]), ssl_ciphers="ECDHE+AESGCM",
               ssl_server_hostname="localhost")
    s = c.ssl_config()
    assert s.enabled and s.cafile == str(pki["ca"]) and s.certfile == str(pki["client"]) and s.check_hostname
    o = ConnectionOptions.from_config(c)
    assert isinstance(o.ssl_context, ssl.SSLContext) and o.server_hostname == "localhost"


@pytest.mark.parametrize("field", ["cafile", "certfile"])
def test_missing_files_are_named(field, tmp_path):
    missing = str(tmp_path / "nope.pem")
    with pytest.raises(InvalidConfigurationError, match=f"ssl_{field} .*nope.pem.* does not exist"):
        SSLConfig(enabled=True, **{field: missing}).create_context()


def test_missing_keyfile(pki, tmp_path):
    with pytest.raises(InvalidConfigurationError, match="ssl_keyfile .* does not exist"):
        SSLConfig(enabled=True, certfile=str(pki["client_cert"]), keyfile=str(tmp_path / "k.pem")).create_context()


def test_directory_is_not_a_file(pki):
    with pytest.raises(InvalidConfigurationError, match="not a file"):
        SSLConfig(enabled=True, cafile=str(pki["dir"])).create_context()


def test_unreadable_file(pki, monkeypatch):
    import builtins

    real_open = builtins.open

    def deny(path, *a, **k):
        if str(path) == str(pki["ca"]):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **k)

    monkeypatch.setattr(builtins, "open", deny)  # as root every file is readable: inject the failure
    with pytest.raises(InvalidConfigurationError, match="is not readable"):
        SSLConfig(enabled=True, cafile=str(pki["ca"])).create_context()


def test_garbage_files_and_bad_options(pki, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(InvalidConfigurationError, match="invalid TLS configuration"):
        SSLConfig(enabled=True, cafile=str(bad)).create_context()
    with pytest.raises(InvalidConfigurationError, match="invalid TLS configuration"):
        SSLConfig(enabled=True, cafile=str(pki["ca"]), ciphers="NO-SUCH-CIPHER").create_context()
    with pytest.raises(InvalidConfigurationError, match="ssl_protocol"):
        SSLConfig(protocol="SSLv3")
    with pytest.raises(InvalidConfigurationError, match="ssl_keyfile is set but ssl_certfile is not"):
        SSLConfig(keyfile="k.pem")


def test_wrong_key_password(pki, ca, tmp_path):
    from cryptography.hazmat.primitives import serialization

    cert = ca.issue_cert("client")
    key = serialization.load_pem_private_key(cert.private_key_pem.bytes(), None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    key_file = tmp_path / "enc_key.pem"
    key_file.write_bytes(encrypted)
    cert_file = tmp_path / "c.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    SSLConfig(enabled=True, certfile=str(cert_file), keyfile=str(key_file), password="secret").create_context()
    with pytest.raises(InvalidConfigurationError, match="invalid TLS configuration"):
        SSLConfig(enabled=True, certfile=str(cert_file), keyfile=str(key_file), password="wrong").create_context()


# -- real TLS in front of a real member -------------------------------------------------------------------------


async def authenticate_over(port: int, cluster_name: str, ssl_config: SSLConfig) -> Connection:
    options = ConnectionOptions(
        connect_timeout=10, ssl_context=ssl_config.create_context(), server_hostname=ssl_config.server_hostname
    )
    c = Connection(Address("127.0.0.1", port), lambda conn, msg: None, options=options)
    await c.connect()
    waiter = c.expect_handshake_response()
    request = encode_authentication_request(cluster_name, None, None, uuid.uuid4(), "0.1.0", "tls", [], 1)
    request.correlation_id = 1
    c.send_sync(request)
    response = decode_authentication_response(await asyncio.wait_for(waiter, 30))
    assert response.status == 0 and response.partition_count == 271
    return c


@pytest.mark.integration
async def test_tls_to_a_real_member(pki, hazelcast_cluster):
    member = hazelcast_cluster.members[0]
    async with TLSTerminator(server_context(pki), member.port) as port:
        c = await authenticate_over(port, hazelcast_cluster.cluster_name, SSLConfig(True, cafile=str(pki["ca"])))
        ssl_object = c.transport.get_extra_info("ssl_object")
        assert ssl_object is not None and ssl_object.version() in ("TLSv1.2", "TLSv1.3")
        await c.close()


@pytest.mark.integration
async def test_mutual_tls(pki, hazelcast_cluster):
    member = hazelcast_cluster.members[0]
    async with TLSTerminator(server_context(pki, require_client_cert=True), member.port) as port:
        config = SSLConfig(True, cafile=str(pki["ca"]), certfile=str(pki["client_cert"]), keyfile=str(pki["client_key"]))
        c = await authenticate_over(port, hazelcast_cluster.cluster_name, config)
        peer = c.transport.get_extra_info("peercert")
        assert peer is not None
        await c.close()
        # without a client certificate the terminator refuses the handshake (with TLS 1.3 the client learns it
        # after its side of the handshake: the connection closes before the authentication response)
        with pytest.raises((HazelcastIOError, TargetDisconnectedError)):
            await authenticate_over(port, hazelcast_cluster.cluster_name, SSLConfig(True, cafile=str(pki["ca"])))


@pytest.mark.integration
async def test_hostname_mismatch_fails_and_the_override_fixes_it(pki, hazelcast_cluster):
    member = hazelcast_cluster.members[0]
    async with TLSTerminator(server_context(pki, name="other"), member.port) as port:
        c = Connection(
            Address("127.0.0.1", port),
            lambda conn, msg: None,
            options=ConnectionOptions(ssl_context=SSLConfig(True, cafile=str(pki["ca"])).create_context()),
        )
        with pytest.raises(HazelcastIOError) as info:
            await c.connect()
        assert isinstance(info.value.__cause__, ssl.SSLCertVerificationError)
        assert "127.0.0.1" in str(info.value.__cause__) or "mismatch" in str(info.value.__cause__).lower()
        # the certificate is for member.other.test: verifying that name instead succeeds
        ok = await authenticate_over(
            port,
            hazelcast_cluster.cluster_name,
            SSLConfig(True, cafile=str(pki["ca"]), server_hostname="member.other.test"),
        )
        await ok.close()
        # and hostname checking can be turned off explicitly
        ok = await authenticate_over(
            port, hazelcast_cluster.cluster_name, SSLConfig(True, cafile=str(pki["ca"]), check_hostname=False)
        )
        await ok.close()


@pytest.mark.integration
async def test_untrusted_server_certificate_fails(pki, hazelcast_cluster):
    member = hazelcast_cluster.members[0]
    other_ca = trustme.CA()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    other_ca.issue_cert("127.0.0.1").configure_cert(ctx)
    async with TLSTerminator(ctx, member.port) as port:
        with pytest.raises(HazelcastIOError) as info:
            await authenticate_over(port, hazelcast_cluster.cluster_name, SSLConfig(True, cafile=str(pki["ca"])))
        assert isinstance(info.value.__cause__, ssl.SSLCertVerificationError)


async def test_tls_handshake_that_never_completes_times_out(pki):
    # a TCP server that accepts and never answers the ClientHello
    accepted = []

    async def silent(reader, writer):
        accepted.append(writer)
        await asyncio.sleep(10)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        c = Connection(
            Address("127.0.0.1", port),
            lambda conn, msg: None,
            options=ConnectionOptions(connect_timeout=0.3, ssl_context=SSLConfig(True, cafile=str(pki["ca"])).create_context()),
        )
        with pytest.raises(HazelcastIOError, match="timed out"):
            await c.connect()
    finally:
        for w in accepted:
            w.close()
        server.close()
        await server.wait_closed()
