"""Distributed search on KerasTuner's own chief/worker mode, with timeouts on every wait.

KerasTuner runs one *chief* (the oracle, served over gRPC) and any number of
*workers* (each builds and trains models, asking the chief for trials). The
processes find each other through ``KERASTUNER_ORACLE_IP``,
``KERASTUNER_ORACLE_PORT`` and ``KERASTUNER_TUNER_ID`` ("chief" or a worker
name) (https://keras.io/guides/keras_tuner/distributed_tuning).

What KerasTuner 1.4.8 leaves to the user, and this module does:

* a worker whose chief never comes waits for an hour (the client's RPC
  ``TIMEOUT``) and a chief with no worker waits forever: here a worker waits
  for the chief's port at most ``connect_timeout`` seconds, every RPC has
  ``rpc_timeout``, and a chief that hears from no worker within
  ``connect_timeout`` stops with an error;
* two chiefs on one port both bind (gRPC sets ``SO_REUSEPORT``) and silently
  split the workers: here the port is checked first and the server is
  started without ``SO_REUSEPORT``;
* the chief polls "are all workers done?" every 20 s; here every 0.2 s;
* :func:`launch` starts a chief and N workers on one machine (127.0.0.1, a
  free port, one log file per process, ``CUDA_VISIBLE_DEVICES`` per worker
  when GPUs exist), stops them all when one fails or the overall
  ``timeout`` passes, and never leaves a hung process behind.

On several machines run ``tfcourse tune --role chief --oracle HOST:PORT`` on
one and ``tfcourse tune --role worker --oracle HOST:PORT --worker-id NAME``
on the others, with the same space and settings.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent import futures
from pathlib import Path
from typing import Sequence

from tfcourse import _ports as ports
from tfcourse._validation import TfcourseError, check_int

__all__ = [
    "ChiefUnreachableError",
    "DistributedError",
    "NoWorkerError",
    "PortInUseError",
    "check_port_free",
    "free_port",
    "gpu_ids",
    "launch",
    "parse_address",
    "serve_chief",
    "wait_for_chief",
]

#: How often the chief checks whether every worker is done (KerasTuner: 20 s).
CHIEF_POLL_S = 0.2


class DistributedError(TfcourseError, RuntimeError):
    """A distributed search could not start or did not finish."""


class PortInUseError(DistributedError, ports.PortInUseError):
    """The chief's port is already taken."""


class ChiefUnreachableError(DistributedError):
    """A worker found no chief at the address within the timeout."""


class NoWorkerError(DistributedError):
    """The chief heard from no worker within the timeout."""


def parse_address(text: str) -> tuple[str, int]:
    """``"HOST:PORT"`` -> ``(host, port)``, or a ``ValueError`` naming ``--oracle``."""
    host, separator, port = str(text).rpartition(":")
    if not separator or not host or not port.isdigit():
        raise ValueError(f"`oracle` must be HOST:PORT, e.g. 127.0.0.1:8765. Received: oracle={text!r}")
    return host, check_int("oracle port", int(port), 1, 65535)


def free_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` that no process listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`PortInUseError` if something already listens on ``host:port``."""
    error = ports.bind_error(host, port, reuse_address=True)
    if error is not None:
        raise PortInUseError(
            f"Port {port} on {host} is already in use ({error.strerror}); another chief "
            f"may be running there. Choose another --oracle port, or leave --oracle out "
            f"with --workers to pick a free one.") from error


def wait_for_chief(host: str, port: int, timeout: float) -> None:
    """Wait until something accepts connections on ``host:port``, at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError:
            if time.monotonic() >= deadline:
                raise ChiefUnreachableError(
                    f"No chief answered at {host}:{port} within {timeout:g} s. Start "
                    f"`tfcourse tune --role chief --oracle {host}:{port}` first (or raise "
                    f"--connect-timeout).") from None
            time.sleep(0.2)


def set_rpc_timeout(seconds: float) -> None:
    """Every worker-to-chief RPC waits at most ``seconds`` (KerasTuner: 3600)."""
    from keras_tuner.src.distribute import oracle_client  # noqa: PLC0415

    oracle_client.TIMEOUT = float(seconds)


def serve_chief(oracle, host: str, port: int, *, connect_timeout: float = 120.0,
                timeout: float | None = None, poll_interval: float = CHIEF_POLL_S) -> None:
    """Serve ``oracle`` on ``host:port`` until every worker is done (KerasTuner's
    ``oracle_chief.start_server`` with a port check, timeouts and a short poll).

    Raises:
        PortInUseError: the port is taken.
        NoWorkerError: no worker called within ``connect_timeout`` seconds.
        TimeoutError: the search ran longer than ``timeout`` seconds.
    """
    import grpc  # noqa: PLC0415
    from keras_tuner.src import protos  # noqa: PLC0415
    from keras_tuner.src.distribute import oracle_chief  # noqa: PLC0415

    class Servicer(oracle_chief.OracleServicer):
        first_contact: float | None = None

        def _contact(self):
            if self.first_contact is None:
                self.first_contact = time.monotonic()

        def GetSpace(self, request, context):  # noqa: N802 (gRPC method names)
            self._contact()
            return super().GetSpace(request, context)

        def UpdateSpace(self, request, context):  # noqa: N802
            self._contact()
            return super().UpdateSpace(request, context)

        def CreateTrial(self, request, context):  # noqa: N802
            self._contact()
            return super().CreateTrial(request, context)

    check_port_free(host, port)
    servicer = Servicer(oracle)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1),
                         options=[("grpc.so_reuseport", 0)])
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:
        bound = 0
    if not bound:
        raise PortInUseError(f"The chief could not listen on {host}:{port} (port in use?)")
    server.start()
    start = time.monotonic()
    print(f"Chief serving the oracle on {host}:{port}", flush=True)
    try:
        while True:
            time.sleep(poll_interval)
            if servicer.stop_triggered and oracle_chief.exit_chief(oracle):
                return
            elapsed = time.monotonic() - start
            if servicer.first_contact is None and elapsed > connect_timeout:
                raise NoWorkerError(
                    f"No worker called the chief on {host}:{port} within {connect_timeout:g} s. "
                    f"Start `tfcourse tune --role worker --oracle {host}:{port}` (or raise "
                    f"--connect-timeout).")
            if timeout is not None and elapsed > timeout:
                raise TimeoutError(
                    f"The distributed search on {host}:{port} did not finish within "
                    f"{timeout:g} s (--timeout); trials still running: "
                    f"{sorted(t.trial_id for t in oracle.ongoing_trials.values())}")
    finally:
        server.stop(grace=1.0).wait(timeout=10)  # the port is free again when this returns


def gpu_ids() -> list[str]:
    """The GPUs workers may use: ``CUDA_VISIBLE_DEVICES`` if set, else ``nvidia-smi -L``."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [gpu.strip() for gpu in visible.split(",") if gpu.strip() and gpu.strip() != "-1"]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True,
                                 timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [str(index) for index, line in enumerate(
        line for line in listing.splitlines() if line.startswith("GPU "))]


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


def launch(child_args: Sequence[str], directory: str | os.PathLike, num_workers: int, *,
           host: str = "127.0.0.1", port: int | None = None, timeout: float = 6 * 3600,
           connect_timeout: float = 120.0, command: Sequence[str] | None = None,
           stream=None) -> dict[str, int]:
    """Start a chief and ``num_workers`` workers on this machine and wait for them.

    ``child_args`` are the ``tfcourse tune`` arguments every process shares
    (space, settings, ``--dir``); this function adds ``--role``, ``--oracle``,
    ``--worker-id`` and the timeouts. Logs go to ``<directory>/logs/``.

    Returns each process's exit code (all 0). Raises :class:`DistributedError`
    (with the tail of the failing log) if a process fails or ``timeout``
    passes; every process started is then stopped.
    """
    stream = stream or sys.stdout
    num_workers = check_int("workers", num_workers, 1)
    if port is None:
        port = free_port(host)
    check_port_free(host, port)
    command = list(command or [sys.executable, "-m", "tfcourse.cli.tune"])
    logs = Path(directory) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    common = [*child_args, "--oracle", f"{host}:{port}", "--connect-timeout",
              str(connect_timeout), "--timeout", str(timeout), "--skip-report"]
    gpus = gpu_ids()
    roles = [("chief", [*command, *common, "--role", "chief"], {"CUDA_VISIBLE_DEVICES": ""})]
    for index in range(num_workers):
        env = {"CUDA_VISIBLE_DEVICES": gpus[index % len(gpus)]} if gpus else {}
        roles.append((f"worker{index}", [*command, *common, "--role", "worker",
                                         "--worker-id", f"worker{index}"], env))
    processes: dict[str, tuple[subprocess.Popen, Path]] = {}
    print(f"Starting a chief and {num_workers} worker(s) on {host}:{port}; logs in {logs}",
          file=stream, flush=True)
    try:
        for name, argv, env in roles:
            log_path = logs / f"{name}.log"
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n")
                log.flush()
                processes[name] = (subprocess.Popen(
                    argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env}), log_path)
        deadline = time.monotonic() + timeout
        codes: dict[str, int] = {}
        while len(codes) < len(processes):
            for name, (process, log_path) in processes.items():
                if name in codes:
                    continue
                code = process.poll()
                if code is None:
                    continue
                codes[name] = code
                if code != 0:
                    raise DistributedError(
                        f"The {name} process exited with code {code}; log {log_path}:\n"
                        f"{_tail(log_path)}")
            if time.monotonic() > deadline:
                running = sorted(set(processes) - set(codes))
                raise DistributedError(
                    f"The distributed search did not finish within {timeout:g} s (--timeout); "
                    f"still running: {running}. Logs in {logs}")
            time.sleep(0.2)
        return codes
    finally:
        for name, (process, _) in processes.items():
            if process.poll() is None:
                process.kill()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    print(f"warning: the {name} process (pid {process.pid}) did not stop",
                          file=sys.stderr)
