"""Does batch normalization train faster? First-epoch accuracy on Fashion-MNIST.

The course (seed 000, Unit 04; seed 001) claims Batch Normalization makes a
network train faster. This benchmark builds one model from course components
through ``tfcourse.models`` - He initialization (course rule), Maxout units,
dropout (keep_prob), ``tfcourse.layers.BatchNormalization`` before the
nonlinearity, a seed-003 learning-rate schedule and ``tfcourse.optimizers.Adam``
(course convention) - and the same model without batch norm, trains each
for one epoch on the 60000 Fashion-MNIST training images, and reports the
validation accuracy on the 10000 test images after that epoch, over several
seeds. For the BN model it also reports the accuracy with the paper's
population statistics (Algorithm 2) instead of Keras-style moving averages.

Run:  python benchmarks/bn_first_epoch.py [--seeds 0 1 2] [--batch-size 128]
Writes benchmarks/results/bn_first_epoch.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from tfcourse.data import load  # noqa: E402
from tfcourse.layers import calibrate_population_statistics  # noqa: E402
from tfcourse.models import MLPSpec, build_model  # noqa: E402
from tfcourse.schedules import InverseTimeEpochDecay  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "bn_first_epoch.json"


def make_optimizer(steps_per_epoch, learning_rate):
    schedule = InverseTimeEpochDecay(learning_rate, decay_rate=0.5, steps_per_epoch=steps_per_epoch)
    try:
        from tfcourse.optimizers import Adam
    except ImportError:
        return keras.optimizers.Adam(learning_rate=schedule), "keras.optimizers.Adam"
    return Adam(learning_rate=schedule), "tfcourse.optimizers.Adam(convention='course')"


def run(batch_norm, seed, data, batch_size, learning_rate):
    (x_train, y_train), (x_test, y_test) = data
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    spec = MLPSpec(hidden_sizes=(256, 256), activation="maxout", num_pieces=2,
                   kernel_initializer="he", bias_initializer="zeros", batch_norm=batch_norm,
                   batch_norm_position="before", keep_prob=0.8,
                   name="course_bn" if batch_norm else "course_no_bn")
    model = build_model(spec, seed=seed)
    steps_per_epoch = -(-len(x_train) // batch_size)
    optimizer, optimizer_name = make_optimizer(steps_per_epoch, learning_rate)
    model.compile(optimizer=optimizer,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=1, shuffle=True,
                        validation_data=(x_test, y_test), verbose=0)
    seconds = time.perf_counter() - start
    result = {
        "seed": seed,
        "train_loss": history.history["loss"][0],
        "train_accuracy": history.history["accuracy"][0],
        "val_accuracy": history.history["val_accuracy"][0],
        "val_loss": history.history["val_loss"][0],
        "fit_seconds": round(seconds, 2),
        "optimizer": optimizer_name,
    }
    if batch_norm:
        calibrate_population_statistics(model, x_train, batch_size=batch_size)
        loss, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
        result["val_accuracy_population_stats"] = accuracy
        result["val_loss_population_stats"] = loss
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    data = load("fashion_mnist", flatten=True)
    runs = {"batch_norm": [], "no_batch_norm": []}
    for seed in args.seeds:
        for key, batch_norm in (("batch_norm", True), ("no_batch_norm", False)):
            result = run(batch_norm, seed, data, args.batch_size, args.learning_rate)
            runs[key].append(result)
            print(f"seed {seed} {key:14s} val_accuracy={result['val_accuracy']:.4f} "
                  f"train_loss={result['train_loss']:.4f}"
                  + (f" val_accuracy(population stats)={result['val_accuracy_population_stats']:.4f}"
                     if batch_norm else "")
                  + f"  ({result['fit_seconds']} s)", flush=True)

    def summary(key, field):
        values = [r[field] for r in runs[key]]
        return {"mean": statistics.mean(values),
                "stdev": statistics.stdev(values) if len(values) > 1 else 0.0,
                "min": min(values), "max": max(values)}

    report = {
        "benchmark": "first-epoch validation accuracy, Fashion-MNIST, with vs without batch norm",
        "model": "784 -> Maxout(256, k=2) -> Maxout(256, k=2) -> 10 logits; He (course) init, "
                 "dropout keep_prob 0.8; BN (tfcourse, before the nonlinearity: after each Maxout) "
                 "or none; InverseTimeEpochDecay(lr0, decay_rate=0.5), first epoch lr = lr0/1.5",
        "data": "60000 train / 10000 test (used as validation), flattened, [0, 1]",
        "batch_size": args.batch_size,
        "learning_rate_0": args.learning_rate,
        "seeds": args.seeds,
        "runs": runs,
        "summary": {
            "val_accuracy_bn_moving": summary("batch_norm", "val_accuracy"),
            "val_accuracy_bn_population": summary("batch_norm", "val_accuracy_population_stats"),
            "val_accuracy_no_bn": summary("no_batch_norm", "val_accuracy"),
            "train_loss_bn": summary("batch_norm", "train_loss"),
            "train_loss_no_bn": summary("no_batch_norm", "train_loss"),
        },
        "environment": {"python": platform.python_version(), "keras": keras.__version__,
                        "backend": keras.backend.backend(), "cpu_count": os.cpu_count()},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    s = report["summary"]
    print(f"first-epoch val accuracy, mean over seeds {args.seeds}: "
          f"BN {s['val_accuracy_bn_moving']['mean']:.4f} (moving averages), "
          f"{s['val_accuracy_bn_population']['mean']:.4f} (population statistics); "
          f"no BN {s['val_accuracy_no_bn']['mean']:.4f}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
