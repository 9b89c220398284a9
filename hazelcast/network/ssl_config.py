"""TLS options and the :class:`ssl.SSLContext` built from them.

:class:`SSLConfig` mirrors the official client's ``ssl_*`` options. :meth:`SSLConfig.create_context` checks every
file before handing it to OpenSSL so that a missing or unreadable file is reported by name, as an
:class:`~hazelcast.errors.InvalidConfigurationError`, instead of as a bare ``OSError`` from deep inside ``ssl``.
Hostname checking is on by default; ``server_hostname`` overrides the name sent (SNI) and verified.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from typing import Optional

from hazelcast.errors import InvalidConfigurationError

_PROTOCOLS = {
    "TLSv1_2": ssl.TLSVersion.TLSv1_2,
    "TLSv1_3": ssl.TLSVersion.TLSv1_3,
}


@dataclass(frozen=True)
class SSLConfig:
    """TLS settings for member connections.

    * ``cafile``: PEM bundle of the CAs to trust; the system defaults when ``None``.
    * ``certfile`` / ``keyfile`` / ``password``: the client certificate for mutual TLS (``keyfile`` may be omitted
      when the key is in ``certfile``).
    * ``protocol``: minimum TLS version, ``"TLSv1_2"`` (default) or ``"TLSv1_3"``.
    * ``ciphers``: an OpenSSL cipher string for TLS 1.2.
    * ``check_hostname``: verify the member certificate's name (default ``True``).
    * ``server_hostname``: the name to send and verify instead of the connected address's host.
    """

    enabled: bool = False
    cafile: Optional[str] = None
    certfile: Optional[str] = None
    keyfile: Optional[str] = None
    password: Optional[str] = None
    protocol: Optional[str] = None
    ciphers: Optional[str] = None
    check_hostname: bool = True
    server_hostname: Optional[str] = None

    def __post_init__(self) -> None:
        if self.protocol is not None and self.protocol not in _PROTOCOLS:
            raise InvalidConfigurationError(
                f"ssl_protocol must be one of {sorted(_PROTOCOLS)} or None, got {self.protocol!r}"
            )
        if self.keyfile is not None and self.certfile is None:
            raise InvalidConfigurationError("ssl_keyfile is set but ssl_certfile is not")

    def create_context(self) -> ssl.SSLContext:
        """A client-side context: certificate verification required, hostname checking as configured."""
        for name in ("cafile", "certfile", "keyfile"):
            _check_readable(name, getattr(self, name))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = _PROTOCOLS[self.protocol or "TLSv1_2"]
        context.check_hostname = self.check_hostname
        context.verify_mode = ssl.CERT_REQUIRED
        try:
            if self.cafile is not None:
                context.load_verify_locations(cafile=self.cafile)
            else:
                context.load_default_certs(ssl.Purpose.SERVER_AUTH)
            if self.certfile is not None:
                context.load_cert_chain(self.certfile, self.keyfile, self.password)
            if self.ciphers is not None:
                context.set_ciphers(self.ciphers)
        except ssl.SSLError as e:
            raise InvalidConfigurationError(f"invalid TLS configuration: {e}") from e
        return context

    def hostname_for(self, host: str) -> Optional[str]:
        """The server name to send (SNI) and check for a connection to ``host``."""
        return self.server_hostname or host


def _check_readable(name: str, path: Optional[str]) -> None:
    if path is None:
        return
    if not os.path.isfile(path):
        raise InvalidConfigurationError(f"ssl_{name} {path!r} does not exist or is not a file")
    try:
        with open(path, "rb") as f:
            f.read(1)
    except OSError as e:
        raise InvalidConfigurationError(f"ssl_{name} {path!r} is not readable: {e}") from e
