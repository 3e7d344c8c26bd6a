"""Checking that a loopback port is free before a server (TensorBoard, the tuner's chief) binds it."""

from __future__ import annotations

import socket

from tfcourse._validation import TfcourseError


class PortInUseError(TfcourseError, OSError):
    """A port a tfcourse server should listen on is taken."""


def bind_error(host: str, port: int, *, reuse_address: bool = False) -> OSError | None:
    """The ``OSError`` binding ``host:port`` raises now, or ``None`` if the port is free.

    ``reuse_address`` ignores sockets left in TIME_WAIT by a server that just
    stopped (a restarted chief may take its port back), but not a listener.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        if reuse_address:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return error
    return None
