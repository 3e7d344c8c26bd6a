"""Where a Keras-tier training step spends its time: TensorFlow profiler op self-times.

Trains a lab's Keras version as ``tfcourse run``/``compare`` do
(:func:`tfcourse.labs.keras_tier.fit_lab` with ``FIT_DEFAULTS``, TF1Dense) on
Fashion-MNIST's 55,000 training images, profiles one epoch after a warm-up
epoch with ``tf.profiler``, and prints the operations with the largest
self-time per training step (all threads: the tf.data threads run beside
the step). This is how the per-step loss record, the accuracy metric's
argmax and the per-step gather were found (benchmarks/README.md).

Self-times overlap (two cores) and the profiler slows the step, so compare
operations with each other, not with the benchmark's samples/s.

Run:  python benchmarks/keras_tier_profile.py [--lab mnist_nn_xavier] [--batch-size 100] [--top 25]
Writes benchmarks/results/keras_tier_profile.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import os
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks import _common  # noqa: E402


def op_self_times(xplane: str) -> list[dict]:
    """``[{type, name, occurrences, self_us}]`` of a profile, largest self-time first."""
    from tensorflow.python.profiler.internal import _pywrap_profiler_plugin  # noqa: PLC0415

    data, _ = _pywrap_profiler_plugin.xspace_to_tools_data([xplane], "framework_op_stats", {})
    table = json.loads(data)[0]
    columns = [column["id"] for column in table["cols"]]
    rows = []
    for row in table["rows"]:
        values = dict(zip(columns, (cell.get("v") for cell in row["c"])))
        if values["type"] != "IDLE":
            rows.append({"type": values["type"], "name": values["operation"],
                         "occurrences": values["occurrences"],
                         "self_us": values["total_self_time"]})
    return sorted(rows, key=lambda row: -row["self_us"])


def measure(lab_name: str, batch_size: int, dataset: str = "fashion_mnist",
            max_examples=None) -> dict:
    import keras  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    from tfcourse.labs import get, keras_tier, runs  # noqa: PLC0415

    lab = dataclasses.replace(get(lab_name), batch_size=batch_size)
    data = runs.load_data(dataset, max_examples)
    steps = data.num_train // batch_size
    trace_dir = tempfile.mkdtemp(prefix="tfcourse-profile-")

    class ProfileSecondEpoch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                tf.profiler.experimental.start(trace_dir)

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                tf.profiler.experimental.stop()

    batches = runs.tf1_batches(data.num_train, batch_size, 2 * steps, seed=0)
    keras_tier.fit_lab(lab, data.as_tuple(), batches, 2, verbose=0, dense="tf1",
                       callbacks=[ProfileSecondEpoch()])
    xplane = sorted(glob.glob(os.path.join(trace_dir, "**", "*.xplane.pb"), recursive=True))[-1]
    ops = op_self_times(xplane)
    for op in ops:
        op["self_us_per_step"] = op["self_us"] / steps
    return {"lab": lab_name, "batch_size": batch_size, "steps": steps,
            "total_self_us_per_step": sum(op["self_us"] for op in ops) / steps, "ops": ops}


def report(figures: dict, top: int) -> None:
    print(f"{figures['lab']} at batch {figures['batch_size']}: op self-time per training step "
          f"({figures['steps']} steps profiled), total {figures['total_self_us_per_step']:,.0f} us")
    for op in figures["ops"][:top]:
        print(f"  {op['self_us_per_step']:9.1f} us  {op['occurrences'] / figures['steps']:5.2f}/step"
              f"  {op['type']:<30} {op['name'][-70:]}")


def main(argv=None, quick: bool = False, results_dir=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="mnist_nn_xavier")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    settings = (dict(lab_name=args.lab, batch_size=10, dataset="synthetic", max_examples=200)
                if quick else dict(lab_name=args.lab, batch_size=args.batch_size))
    figures = measure(**settings)
    report(figures, args.top)
    _common.write("keras_tier_profile", figures, {**settings, "quick": quick}, results_dir)
    return figures


if __name__ == "__main__":
    main()
