"""Every tfcourse optimizer against its Keras built-in: the update alone, and inside ``model.fit``.

Pairs (tfcourse optimizer, Keras built-in with the same rule) on the course's
784-256-256-10 MLP (269,322 parameters), float32:

* update alone: ``optimizer.apply(gradients, variables)`` on fixed random
  gradients inside one ``tf.function`` (10 updates per call, so the call
  overhead is spread out): microseconds per update of all the variables;
* inside fit: ``model.fit`` of the MLP on synthetic data (batch 100, the
  Keras tier's ``FIT_DEFAULTS``), samples/s.

The two members of a pair are timed interleaved. tfcourse optimizers run with
the ``keras`` convention (the Keras built-in's rule; fused where a kernel
computes it) and, for Adam, RMSProp, Adagrad and Momentum, also with the
``tf1`` convention (TensorFlow's fused ``ResourceApply*`` kernels), against
the same Keras built-in as the reference.

Sparse gradients (``--sparse``): one update of a 100,000 x 32 embedding table
from an IndexedSlices gradient of 1,024 rows (ids drawn with repeats), inside
a ``tf.function``: tfcourse's path (a sparse kernel where one computes the
convention's result), the same optimizer fed the densified gradient (what
the fused path did before: ``tf.convert_to_tensor`` then the dense kernel),
and the Keras built-in fed the IndexedSlices.

Run:  python -m benchmarks optimizers            (python -m benchmarks.optimizers --sparse)
"""

from __future__ import annotations

import argparse

if __package__ in (None, ""):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _common

LEARNING_RATE = 0.01
UPDATES_PER_CALL = 10

# name, tfcourse kwargs, Keras built-in class name, Keras kwargs
PAIRS = [
    ("gradient_descent", "keras", {}, "SGD", {}),
    ("momentum", "keras", {"momentum": 0.9}, "SGD", {"momentum": 0.9}),
    ("momentum", "tf1", {"momentum": 0.9}, "SGD", {"momentum": 0.9}),
    ("nesterov", "keras", {"momentum": 0.9}, "SGD", {"momentum": 0.9, "nesterov": True}),
    ("adagrad", "keras", {}, "Adagrad", {}),
    ("adagrad", "tf1", {}, "Adagrad", {}),
    ("rmsprop", "keras", {}, "RMSprop", {}),
    ("rmsprop", "tf1", {}, "RMSprop", {}),
    ("adadelta", "keras", {}, "Adadelta", {}),
    ("adam", "keras", {}, "Adam", {}),
    ("adam", "tf1", {}, "Adam", {}),
    ("nadam", "keras", {}, "Nadam", {}),
    ("adamw", "keras", {"weight_decay": 0.004}, "AdamW", {"weight_decay": 0.004}),
]
"""(tfcourse name, convention, its kwargs, Keras built-in, its kwargs); learning rate 0.01 for all."""


def make_pair(name, convention, kwargs, keras_name, keras_kwargs):
    import keras  # noqa: PLC0415

    from tfcourse import optimizers  # noqa: PLC0415

    ours = optimizers.get(name, learning_rate=LEARNING_RATE, convention=convention, **kwargs)
    theirs = getattr(keras.optimizers, keras_name)(learning_rate=LEARNING_RATE, **keras_kwargs)
    return ours, theirs


def _mlp(seed: int = 0):
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((784,)), keras.layers.Dense(256, activation="relu"),
                             keras.layers.Dense(256, activation="relu"), keras.layers.Dense(10)])


def update_timer(optimizer, updates_per_call: int = UPDATES_PER_CALL, calls: int = 20):
    """A callable returning microseconds per update (all variables) of ``optimizer``."""
    import tensorflow as tf  # noqa: PLC0415

    model = _mlp()
    variables = model.trainable_variables
    gradients = [tf.random.normal(v.shape, stddev=1e-3, seed=i) for i, v in enumerate(variables)]
    optimizer.build(variables)

    @tf.function
    def updates():
        for _ in range(updates_per_call):
            optimizer.apply(gradients, variables)

    updates()

    def run():
        return _common.time_call(updates, calls) / updates_per_call * 1e6

    return run


def fit_timer(optimizer, batch_size: int = 100, examples: int = 5000):
    """A callable returning ``model.fit`` samples/s of the MLP with ``optimizer`` (one epoch)."""
    import keras  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    from tfcourse.labs.keras_tier import FIT_DEFAULTS  # noqa: PLC0415

    rng = np.random.default_rng(0)
    x = rng.random((examples, 784), dtype=np.float32)
    y = keras.utils.to_categorical(rng.integers(0, 10, examples), 10).astype(np.float32)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).cache()
    dataset = dataset.prefetch(tf.data.AUTOTUNE)
    steps = examples // batch_size
    spe = FIT_DEFAULTS["steps_per_execution"]
    spe = max(d for d in range(1, min(spe, steps) + 1) if steps % d == 0)
    model = _mlp()
    model.compile(optimizer=optimizer, loss=keras.losses.CategoricalCrossentropy(from_logits=True),
                  steps_per_execution=spe, jit_compile=FIT_DEFAULTS["jit_compile"])

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            import time  # noqa: PLC0415
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            import time  # noqa: PLC0415
            self.seconds = time.perf_counter() - self.start

    timer = Timer()
    model.fit(dataset, epochs=1, verbose=0, shuffle=False)

    def run():
        model.fit(dataset, epochs=1, verbose=0, shuffle=False, callbacks=[timer])
        return steps * batch_size / timer.seconds

    return run


def measure(pairs=PAIRS, repeats: int = 5, calls: int = 20, examples: int = 5000) -> dict:
    figures = {}
    for name, convention, kwargs, keras_name, keras_kwargs in pairs:
        key = f"{name}/{convention}"
        ours, theirs = make_pair(name, convention, kwargs, keras_name, keras_kwargs)
        kernel = ours._fused_kernel() if ours._use_fused() else None
        update = _common.interleaved({"tfcourse": update_timer(ours, calls=calls),
                                      "keras": update_timer(theirs, calls=calls)}, repeats)
        ours, theirs = make_pair(name, convention, kwargs, keras_name, keras_kwargs)
        fit = _common.interleaved({"tfcourse": fit_timer(ours, examples=examples),
                                   "keras": fit_timer(theirs, examples=examples)}, repeats)
        update_stats = {k: _common.summary(v) for k, v in update.items()}
        fit_stats = {k: _common.summary(v) for k, v in fit.items()}
        figures[key] = {
            "keras_builtin": f"keras.optimizers.{keras_name}({keras_kwargs or ''})",
            "fused_kernel": kernel,
            "update_us": update_stats,
            "update_speedup": update_stats["keras"]["median"] / update_stats["tfcourse"]["median"],
            "fit_samples_per_second": fit_stats,
            "fit_ratio": fit_stats["tfcourse"]["median"] / fit_stats["keras"]["median"],
        }
        report_one(key, figures[key])
    return figures


SPARSE_PAIRS = [
    ("gradient_descent", "keras", {}, "SGD", {}),
    ("momentum", "tf1", {"momentum": 0.9}, "SGD", {"momentum": 0.9}),
    ("adagrad", "tf1", {}, "Adagrad", {}),
    ("rmsprop", "tf1", {}, "RMSprop", {}),
    ("adam", "keras", {}, "Adam", {}),
]
"""(tfcourse name, convention, kwargs, Keras built-in, kwargs) timed on sparse gradients."""


def sparse_update_timer(optimizer, densify: bool = False, rows: int = 100_000,
                        columns: int = 32, ids: int = 1024, calls: int = 20):
    """A callable returning microseconds per sparse update of a ``rows`` x ``columns`` table."""
    import keras  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    table = keras.Variable(tf.random.normal((rows, columns), seed=1))
    gradient = tf.IndexedSlices(tf.random.normal((ids, columns), seed=2),
                                tf.random.uniform((ids,), 0, rows, tf.int32, seed=3),
                                tf.constant([rows, columns]))
    optimizer.build([table])

    @tf.function
    def update():
        optimizer.apply([tf.convert_to_tensor(gradient) if densify else gradient], [table])

    update()

    def run():
        return _common.time_call(update, calls) * 1e6

    return run


def measure_sparse(pairs=SPARSE_PAIRS, repeats: int = 5, calls: int = 20) -> dict:
    figures = {}
    for name, convention, kwargs, keras_name, keras_kwargs in pairs:
        key = f"{name}/{convention}"
        ours, theirs = make_pair(name, convention, kwargs, keras_name, keras_kwargs)
        densified, _ = make_pair(name, convention, kwargs, keras_name, keras_kwargs)
        times = _common.interleaved({
            "tfcourse": sparse_update_timer(ours, calls=calls),
            "tfcourse_densified": sparse_update_timer(densified, densify=True, calls=calls),
            "keras": sparse_update_timer(theirs, calls=calls)}, repeats)
        stats = {k: _common.summary(v) for k, v in times.items()}
        figures[key] = {"sparse_kernel": ours._fused_kernel(ours._sparse_update())
                        if ours._use_fused() else None,
                        "update_us": stats}
        print(f"{key} sparse update, 100000 x 32 table, 1024 ids "
              f"({figures[key]['sparse_kernel'] or 'generic keras.ops'}):")
        for label, value in stats.items():
            print(_common.line(label, value, "us"), flush=True)
    return figures


def report_one(key: str, row: dict) -> None:
    kernel = row["fused_kernel"] or "generic keras.ops"
    print(f"{key} ({kernel}) vs {row['keras_builtin']}:")
    print(_common.line("update alone, tfcourse", row["update_us"]["tfcourse"], "us"))
    print(_common.line("update alone, keras", row["update_us"]["keras"], "us"))
    print(_common.line("model.fit, tfcourse", row["fit_samples_per_second"]["tfcourse"],
                       "samples/s", digits=0))
    print(_common.line("model.fit, keras", row["fit_samples_per_second"]["keras"],
                       "samples/s", digits=0))
    print(f"  -> update {row['update_speedup']:.2f}x faster, fit {row['fit_ratio']:.2f}x",
          flush=True)


def main(argv=None, quick: bool = False, results_dir=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="optimizer names (default: all pairs)")
    parser.add_argument("--sparse", action="store_true",
                        help="only the sparse-gradient updates of an embedding table")
    args = parser.parse_args(argv)
    if args.sparse:
        figures = measure_sparse(repeats=args.repeats)
        _common.write("optimizers_sparse", figures, {"repeats": args.repeats}, results_dir)
        return figures
    pairs = [p for p in PAIRS if not args.only or p[0] in args.only]
    if quick:
        figures = measure(pairs[:1] + [p for p in pairs if p[0] == "adam"][:1], repeats=1,
                          calls=1, examples=200)
    else:
        figures = measure(pairs, repeats=args.repeats)
    _common.write("optimizers", figures, {"repeats": args.repeats, "quick": quick,
                                          "learning_rate": LEARNING_RATE}, results_dir)
    return figures


if __name__ == "__main__":
    main()
