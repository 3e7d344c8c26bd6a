"""Quiet, lazy access to TensorFlow for the command line.

TensorFlow 2.20+ writes its start-up lines (oneDNN, CUDA stubs, CPU features)
through absl before ``TF_CPP_MIN_LOG_LEVEL`` is read, so the variable alone
does not silence them. The CLI imports TensorFlow through
:func:`import_tensorflow`, which sets the variable and discards what the
native side writes to stderr during the import only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys


@contextlib.contextmanager
def native_stderr_silenced():
    try:
        stderr_fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # pytest capture, IDEs
        yield
        return
    sys.stderr.flush()
    saved = os.dup(stderr_fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), stderr_fd)
            yield
    finally:
        os.dup2(saved, stderr_fd)
        os.close(saved)


def import_tensorflow():
    """Import TensorFlow (and Keras) without the native start-up noise."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with native_stderr_silenced():
        import tensorflow  # noqa: PLC0415
        import keras  # noqa: F401, PLC0415

        # The first device query initializes CUDA, which logs natively (cuInit
        # errors) on GPU-less machines; do it while stderr is silenced.
        tensorflow.config.list_physical_devices("GPU")
    return tensorflow


@contextlib.contextmanager
def tensorflow_logger_level(level: int = logging.ERROR):
    """Raise the ``tensorflow`` Python logger's level for one block.

    For warnings that are expected where they occur (retracing when many
    small functions are traced on purpose, deprecations inside a TF1 run).
    """
    logger = logging.getLogger("tensorflow")
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)
