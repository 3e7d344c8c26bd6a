"""Start TensorBoard on the loopback interface (``tfcourse board``).

TensorBoard binds wherever it is told; the course's logs hold nothing secret
but a server on all interfaces is reachable by anyone on the network, so the
default here is ``127.0.0.1`` and another host must be asked for explicitly.
The server runs in this process with ``--load_fast=false`` (the Python
reader, no separate Rust data-server process), so Ctrl-C or SIGTERM to this
one process stops everything.
"""

from __future__ import annotations

import os
import signal
import threading

from tfcourse._ports import PortInUseError, bind_error
from tfcourse._validation import check_int, check_positive

__all__ = ["DEFAULT_PORT", "PortInUseError", "check_port_free", "serve"]

DEFAULT_PORT = 6006


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`PortInUseError` if ``port`` on ``host`` cannot be bound."""
    port = check_int("port", port, low=1, high=65535)
    error = bind_error(host, port)
    if error is not None:
        raise PortInUseError(
            f"port {port} on {host} is already in use (another TensorBoard?); "
            f"choose a free one with --port, e.g. --port {port + 1 if port < 65535 else port - 1}. "
            f"Received: port={port}"
        ) from error


def serve(
    logdir="logs",
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    reload_interval: float = 5.0,
    on_ready=None,
    stop_event: threading.Event | None = None,
) -> int:
    """Serve TensorBoard over ``logdir`` until Ctrl-C, SIGTERM or ``stop_event``.

    Args:
        logdir: the log root. Defaults to `"logs"`. A missing folder is
            allowed (TensorBoard shows runs as they appear).
        port: an int in [1, 65535]. Defaults to `6006`.
        host: the address to bind. Defaults to `"127.0.0.1"`; pass
            ``"0.0.0.0"`` only to serve the whole network on purpose.
        reload_interval: seconds between rescans of ``logdir``, > 0.
            Defaults to `5.0`.
        on_ready: called with the URL once the server listens.
        stop_event: a ``threading.Event`` that stops the server when set.

    Returns:
        0 after a clean stop.

    Raises:
        PortInUseError: the port is taken.
    """
    logdir = os.fspath(logdir)
    port = check_int("port", port, low=1, high=65535)
    reload_interval = check_positive("reload_interval", reload_interval)
    check_port_free(host, port)

    from tensorboard import program  # noqa: PLC0415 - heavy, only when serving

    board = program.TensorBoard()
    board.configure(
        argv=[
            "tensorboard",
            "--logdir", logdir,
            "--host", host,
            "--port", str(port),
            "--load_fast", "false",
            "--reload_interval", repr(float(reload_interval)),
        ]
    )
    try:
        # launch() would start the same server but keeps no handle to stop it;
        # _make_server() is what launch() and main() both call.
        server = board._make_server()
    except program.TensorBoardPortInUseError as error:
        raise PortInUseError(
            f"port {port} on {host} is already in use ({error.msg}); choose a free one "
            f"with --port. Received: port={port}"
        ) from error
    thread = threading.Thread(target=server.serve_forever, name="TensorBoard", daemon=True)
    thread.start()
    stop = stop_event or threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if on_ready is not None:
            on_ready(server.get_url())
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    return 0
