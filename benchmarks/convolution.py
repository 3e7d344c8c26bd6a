"""The convolution floor of one training step of the lab 11 CNN, measured like the matmul floor.

The lab 11 program (``tests/port_programs/mnist_cnn_nn.py``): a 28 x 28 x 1
image, ``tf.nn.conv2d`` 3 x 3 SAME to 32 channels, ReLU, 2 x 2 max pooling,
3 x 3 SAME to 64 channels, ReLU, pooling, then ``tf.matmul`` of the 3,136
features to 10 logits. One training step runs these products:

* forward: conv 1 (B x 28 x 28 x 1 by 3 x 3 x 1 x 32), conv 2 (B x 14 x 14 x 32
  by 3 x 3 x 32 x 64), the dense matmul (B x 3136 by 3136 x 10);
* backward: the filter gradient of each convolution (``Conv2DBackpropFilter``),
  the input gradient of conv 2 (``Conv2DBackpropInput``; conv 1's input is the
  data), the dense layer's weight and input gradients.

Timed alone, several steps per ``tf.function`` call in a graph loop
(grappler cannot merge them), independent of each other as in
:mod:`benchmarks.matmul`'s floor: ``B / t`` is the samples/s no training loop
can beat on this machine (no activations, pooling, loss, optimizer or calls).
Flops: ``2 B H W k^2 C_in C_out`` per convolution and per gradient.

Run:  python -m benchmarks convolution   (or python benchmarks/convolution.py)
"""

from __future__ import annotations

import argparse

if __package__ in (None, ""):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _common

#: (height and width of the input, input channels, output channels) of each 3 x 3 SAME conv.
CONVOLUTIONS = ((28, 1, 32), (14, 32, 64))
KERNEL = 3
FEATURES, CLASSES = 7 * 7 * 64, 10


def step_flops(batch_size: int) -> int:
    """Flops of the convolutions and matmuls of one training step (see the module docstring)."""
    (side_1, in_1, out_1), (side_2, in_2, out_2) = CONVOLUTIONS
    conv_1 = 2 * batch_size * side_1 * side_1 * KERNEL ** 2 * in_1 * out_1
    conv_2 = 2 * batch_size * side_2 * side_2 * KERNEL ** 2 * in_2 * out_2
    dense = 2 * batch_size * FEATURES * CLASSES
    # conv 1: forward + filter gradient; conv 2: forward + filter + input gradients; dense: 3
    return 2 * conv_1 + 3 * conv_2 + 3 * dense


def _floor_function(batch_size: int, inner: int):
    import tensorflow as tf  # noqa: PLC0415

    (side_1, in_1, out_1), (side_2, in_2, out_2) = CONVOLUTIONS
    image = tf.random.uniform((batch_size, side_1, side_1, in_1), seed=1)
    pooled = tf.random.uniform((batch_size, side_2, side_2, in_2), seed=2)
    grad_1 = tf.random.normal((batch_size, side_1, side_1, out_1), seed=3)
    grad_2 = tf.random.normal((batch_size, side_2, side_2, out_2), seed=4)
    w_1 = tf.random.normal((KERNEL, KERNEL, in_1, out_1), seed=5)
    w_2 = tf.random.normal((KERNEL, KERNEL, in_2, out_2), seed=6)
    features = tf.random.uniform((batch_size, FEATURES), seed=7)
    w_3 = tf.random.normal((FEATURES, CLASSES), seed=8)
    grad_3 = tf.random.normal((batch_size, CLASSES), seed=9)
    strides, padding = [1, 1, 1, 1], "SAME"

    @tf.function
    def step_products():
        total = tf.zeros((), tf.float32)
        for _ in tf.range(inner):  # a graph loop: grappler cannot merge repeated products
            total += tf.nn.conv2d(image, w_1, strides, padding)[0, 0, 0, 0]
            total += tf.nn.conv2d(pooled, w_2, strides, padding)[0, 0, 0, 0]
            total += tf.linalg.matmul(features, w_3)[0, 0]
            total += tf.raw_ops.Conv2DBackpropFilter(
                input=image, filter_sizes=tf.shape(w_1), out_backprop=grad_1,
                strides=strides, padding=padding)[0, 0, 0, 0]
            total += tf.raw_ops.Conv2DBackpropFilter(
                input=pooled, filter_sizes=tf.shape(w_2), out_backprop=grad_2,
                strides=strides, padding=padding)[0, 0, 0, 0]
            total += tf.raw_ops.Conv2DBackpropInput(
                input_sizes=tf.shape(pooled), filter=w_2, out_backprop=grad_2,
                strides=strides, padding=padding)[0, 0, 0, 0]
            total += tf.linalg.matmul(features, grad_3, transpose_a=True)[0, 0]
            total += tf.linalg.matmul(grad_3, w_3, transpose_b=True)[0, 0]
        return total

    return step_products


def floor_timer(batch_size: int, min_seconds: float = 0.2):
    """A callable returning the seconds of one step's products (traced and warmed up here)."""
    inner = max(2, int(2e9 // step_flops(batch_size)))
    call = _floor_function(batch_size, inner)
    call()
    calls = max(1, int(min_seconds / max(_common.time_call(call, 1), 1e-6)))
    return lambda: _common.time_call(call, calls) / inner


def step_figures(batch_size: int, stats: dict) -> dict:
    """Samples/s and GFLOP/s of a step whose seconds are ``stats``."""
    return {
        "step_seconds": stats,
        "flops_per_step": step_flops(batch_size),
        "samples_per_second": batch_size / stats["median"],
        "gflops": step_flops(batch_size) / stats["median"] / 1e9,
    }


def measure(batch_sizes=(100, 1024), repeats: int = 5, min_seconds: float = 0.2) -> dict:
    """The floor per batch size: ``{"step_floor": {batch: step_figures}}``."""
    figures: dict = {"step_floor": {}}
    for batch_size in batch_sizes:
        timer = floor_timer(batch_size, min_seconds)
        seconds = [timer() for _ in range(repeats)]
        figures["step_floor"][str(batch_size)] = step_figures(batch_size,
                                                              _common.summary(seconds))
    return figures


def report(figures: dict) -> None:
    print("convolution floor of one lab 11 CNN training step (5 convolutions, 3 matmuls):")
    for batch_size, floor in figures["step_floor"].items():
        print(_common.step_lines(f"batch {batch_size}: conv + matmul products", floor, "floor"))


def main(argv=None, quick: bool = False, results_dir=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if quick:
        figures = measure(batch_sizes=(4,), repeats=2, min_seconds=0.001)
    else:
        figures = measure(repeats=args.repeats)
    report(figures)
    _common.write("convolution", figures, {"repeats": args.repeats, "quick": quick}, results_dir)
    return figures


if __name__ == "__main__":
    main()
