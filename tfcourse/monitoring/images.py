"""Put PNG pictures (the ``tfcourse plot`` figures) into TensorBoard's Images tab."""

from __future__ import annotations

import os

import tensorflow as tf

from tfcourse._validation import check_int
from tfcourse.monitoring import _writers
from tfcourse.monitoring._base import check_log_dir

__all__ = ["write_image"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_image(log_dir, tag: str, png, step: int = 0) -> str:
    """Write one PNG image summary into ``log_dir``.

    Args:
        log_dir: the run folder the image belongs to, e.g. ``logs/plots``.
        tag: the image's name in TensorBoard, e.g. ``"optimizers/beale"``.
        png: the PNG file's bytes, or a path to it.
        step: the summary step, an int >= 0. Defaults to `0`.

    Returns:
        The folder written to.
    """
    log_dir = check_log_dir(log_dir)
    step = check_int("step", step, low=0)
    if isinstance(png, (str, os.PathLike)):
        with open(png, "rb") as file:
            png = file.read()
    if not isinstance(png, (bytes, bytearray)) or not bytes(png).startswith(PNG_SIGNATURE):
        raise ValueError(
            f"`png` must be the bytes of a PNG file (or its path). "
            f"Received: {type(png).__name__} starting with {bytes(png[:8])!r}"
            if isinstance(png, (bytes, bytearray))
            else f"`png` must be the bytes of a PNG file (or its path). Received: png={png!r}"
        )
    image = tf.image.decode_png(bytes(png), channels=4)
    writer = _writers.acquire(log_dir)
    try:
        with writer.as_default():
            tf.summary.image(str(tag), image[tf.newaxis], step=step)
    finally:
        _writers.release(log_dir)
    return log_dir
