"""``tfcourse version``: package, TensorFlow, Keras and KerasTuner versions, and the GPU."""

from __future__ import annotations

import argparse
import json
import platform


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "version",
        help="print the versions of tfcourse, TensorFlow, Keras, KerasTuner and whether a GPU is visible",
        description="Print the versions of tfcourse and its frameworks, and the visible GPUs.",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def collect() -> dict:
    """The versions and devices, as a dict."""
    from tfcourse import __version__
    from tfcourse._runtime import import_tensorflow, native_stderr_silenced

    tf = import_tensorflow()
    import keras
    import keras_tuner
    import tensorboard

    with native_stderr_silenced():  # CUDA probing logs natively on GPU-less machines
        gpus = tf.config.list_physical_devices("GPU")
    return {
        "tfcourse": __version__,
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_tuner": keras_tuner.__version__,
        "tensorboard": tensorboard.__version__,
        "keras_backend": keras.backend.backend(),
        "gpus": [device.name for device in gpus],
    }


def run(args: argparse.Namespace) -> int:
    info = collect()
    if args.format == "json":
        print(json.dumps(info, indent=2))
        return 0
    for key in ("tfcourse", "python", "tensorflow", "keras", "keras_tuner", "tensorboard", "keras_backend"):
        print(f"{key:<14}{info[key]}")
    gpu_text = ", ".join(info["gpus"]) if info["gpus"] else "none visible (running on CPU)"
    print(f"{'gpu':<14}{gpu_text}")
    return 0
