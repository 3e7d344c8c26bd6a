"""``tfcourse version``: package, TensorFlow, Keras and KerasTuner versions; GPUs with ``--gpus``.

The versions come from the installed packages' metadata
(:mod:`importlib.metadata`), so the command answers at once; listing the
GPUs needs TensorFlow itself (seconds), so it happens only with ``--gpus``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from importlib import metadata

# The distributions each framework is published as (the first one installed is reported).
DISTRIBUTIONS = {
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos", "tf-nightly"),
    "keras": ("keras", "keras-nightly"),
    "keras_tuner": ("keras-tuner",),
    "tensorboard": ("tensorboard", "tb-nightly"),
}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "version",
        help="print the versions of tfcourse, TensorFlow, Keras, KerasTuner (--gpus: the GPUs)",
        description="Print the versions of tfcourse and its frameworks (from the installed "
                    "packages, at once); with --gpus also start TensorFlow and list the GPUs "
                    "it sees.",
    )
    parser.add_argument("--gpus", action="store_true",
                        help="also list the GPUs TensorFlow sees (starts TensorFlow: seconds)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def starting(args: argparse.Namespace) -> str | None:
    return "Looking for GPUs" if args.gpus else None


def installed_version(name: str) -> str | None:
    """The version of the first installed distribution of ``DISTRIBUTIONS[name]``, or None."""
    for distribution in DISTRIBUTIONS[name]:
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    return None


def keras_backend() -> str:
    """The backend Keras will use, by Keras' own rule, without importing Keras.

    ``KERAS_BACKEND`` if set, else ``"backend"`` of ``keras.json`` in
    ``$KERAS_HOME`` (default ``~/.keras``), else ``"tensorflow"``.
    """
    if "KERAS_BACKEND" in os.environ:
        return os.environ["KERAS_BACKEND"]
    folder = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(folder, "keras.json"), encoding="utf-8") as handle:
            return str(json.load(handle).get("backend", "tensorflow"))
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def collect(gpus: bool = False) -> dict:
    """The versions (and with ``gpus``, the visible GPUs; else ``"gpus": None``), as a dict."""
    from tfcourse import __version__

    info = {"tfcourse": __version__, "python": platform.python_version(),
            **{name: installed_version(name) for name in DISTRIBUTIONS},
            "keras_backend": keras_backend(), "gpus": None}
    if gpus:
        from tfcourse._runtime import import_tensorflow, native_stderr_silenced

        tf = import_tensorflow()
        with native_stderr_silenced():  # CUDA probing logs natively on GPU-less machines
            info["gpus"] = [device.name for device in tf.config.list_physical_devices("GPU")]
    return info


def run(args: argparse.Namespace) -> int:
    info = collect(gpus=args.gpus)
    if args.format == "json":
        print(json.dumps(info, indent=2))
        return 0
    for key in ("tfcourse", "python", *DISTRIBUTIONS, "keras_backend"):
        print(f"{key:<14}{info[key] or 'not installed'}")
    if info["gpus"] is None:
        gpu_text = "not checked (--gpus starts TensorFlow to list them)"
    else:
        gpu_text = ", ".join(info["gpus"]) or "none visible (running on CPU)"
    print(f"{'gpu':<14}{gpu_text}")
    return 0
