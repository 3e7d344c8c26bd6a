"""Shared machinery of the speed benchmarks: timing statistics, machine description, JSON output.

Every speed benchmark reports the median, minimum and maximum over its
repetitions, measured after warm-up, and writes
``benchmarks/results/<name>.json`` holding the figures and :func:`machine`.
Comparisons are measured interleaved (A, B, A, B, ...) in one process so
that their ratio survives the load of a shared machine.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULTS = Path(__file__).resolve().parent / "results"


def summary(values: Sequence[float]) -> dict:
    """``{"median", "min", "max", "n", "values"}`` of the repetitions."""
    values = [float(v) for v in values]
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values), "values": values}


def interleaved(candidates: dict[str, Callable[[], float]], repeats: int,
                warmup: int = 1) -> dict[str, list[float]]:
    """Call each candidate ``warmup`` times, then round-robin ``repeats`` times.

    Each callable returns its own figure (seconds, samples/s...); the lists of
    figures after warm-up are returned per name, in call order.
    """
    for _ in range(warmup):
        for run in candidates.values():
            run()
    figures: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, run in candidates.items():
            figures[name].append(float(run()))
    return figures


def time_call(function: Callable[[], object], number: int) -> float:
    """Seconds per call of ``function`` over ``number`` calls."""
    start = time.perf_counter()
    for _ in range(number):
        function()
    return (time.perf_counter() - start) / number


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_flags() -> list[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = line.split(":", 1)[1].split()
                return sorted(f for f in flags if f.startswith(("avx", "fma", "amx")))
    except OSError:
        pass
    return []


def machine() -> dict:
    """What ran the benchmark: CPU, cores, load, accelerators, library versions."""
    import tensorflow as tf  # noqa: PLC0415
    import keras  # noqa: PLC0415

    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    gpu_names = []
    for device in tf.config.list_physical_devices("GPU"):
        try:
            gpu_names.append(tf.config.experimental.get_device_details(device).get("device_name"))
        except (ValueError, RuntimeError):
            gpu_names.append(device.name)
    return {
        "cpu": _cpu_model(),
        "cpu_flags": _cpu_flags(),
        "cores": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "gpus": gpu_names or gpus,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def write(name: str, figures: dict, settings: dict, results_dir: Path | None = None) -> Path:
    """Write ``<results_dir>/<name>.json`` with the figures, the settings and :func:`machine`."""
    folder = Path(results_dir) if results_dir is not None else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"benchmark": name, "settings": settings, "machine": machine(),
                                "figures": figures}, indent=2, sort_keys=True) + "\n")
    return path


def line(label: str, stats: dict, unit: str, scale: float = 1.0, digits: int = 1) -> str:
    """``label  median (min .. max) unit`` for the console."""
    return (f"  {label:<44} {stats['median'] * scale:>12,.{digits}f} "
            f"({stats['min'] * scale:,.{digits}f} .. {stats['max'] * scale:,.{digits}f}) {unit}")


def step_lines(label: str, figures: dict, arrow: str) -> str:
    """Two console lines for one step figure: its time, then ``-> arrow`` samples/s and GFLOP/s."""
    return (line(label, figures["step_seconds"], "us", 1e6) + "\n"
            f"  {'  -> ' + arrow:<44} {figures['samples_per_second']:>12,.0f} samples/s "
            f"({figures['gflops']:.1f} GFLOP/s)")
