"""Loaded by test subprocesses: any attempt to reach another machine fails loudly."""

import os
import socket

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _local(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        return host in ("localhost", "::1") or host.startswith("127.")
    return True  # AF_UNIX paths and the like


def _record(what: str) -> None:
    log = os.environ.get("DOCENT_NETWORK_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(what + "\n")


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _local(address):
        _record(f"connect {address!r}")
        raise OSError(f"network access attempted in an offline test: {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _local(address):
        _record(f"connect {address!r}")
        raise OSError(f"network access attempted in an offline test: {address!r}")
    return _real_connect_ex(self, address)


def _no_lookup(*args: object, **kwargs: object) -> object:
    host = str(args[0]) if args else ""
    if host in ("localhost", "", "None") or host.startswith("127.") or host == "::1":
        return _real_getaddrinfo(*args, **kwargs)
    _record(f"lookup {host!r}")
    raise OSError(f"DNS lookup attempted in an offline test: {host!r}")


_real_getaddrinfo = socket.getaddrinfo
socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _no_lookup  # type: ignore[assignment]
