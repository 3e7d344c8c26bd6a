"""Legacy TF1 vs TF2 port vs Keras tier of a lab: training samples/s at batch 100 and 1024.

The three tiers of ``tfcourse compare`` (default lab ``mnist_nn_xavier``: the
784-256-256-10 MLP with Adam, Xavier initialization) train on Fashion-MNIST's
55,000 training images, each as ``tfcourse run``/``compare`` trains it:

* legacy: the course's TF1 program through ``tfcourse.compat`` (graph mode,
  ``sess.run`` with ``feed_dict``), its ``training_epochs``/``batch_size``
  lines set for the run;
* port: :class:`tfcourse.labs.port.MLPPort` (``tf.function`` step per batch);
* keras: :func:`tfcourse.labs.keras_tier.fit_lab` with ``FIT_DEFAULTS``
  (``dense="tf1"``, as ``compare``), and the same with Keras' own defaults
  (``steps_per_execution=1``, no XLA) as a reference row.

Each run trains ``epochs`` epochs; the first is warm-up (tracing), the later
ones are the repetitions (seconds of the training steps of one epoch, as
``compare`` reports them). Rounds run the tiers interleaved. The matmul peak
and the step's matmul floor (:mod:`benchmarks.matmul`) are measured in the
same process, so the targets are ratios within one run:

* Keras tier >= 1.3x the legacy samples/s at batch 100;
* Keras tier >= 40% of the matmul floor at batch 100;
* at batch 1024, training >= 70% of the matmul peak in GFLOP/s.

Run:  python -m benchmarks labs [--rounds 3] [--epochs 3]
"""

from __future__ import annotations

import argparse
import dataclasses

if __package__ in (None, ""):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _common, matmul


def tier_runs(lab_name: str, batch_size: int, epochs: int, data):
    """``{tier: callable -> list of epoch seconds}`` for one batch size."""
    from tfcourse.labs import get, runs  # noqa: PLC0415

    lab = dataclasses.replace(get(lab_name), batch_size=batch_size)
    return {
        "legacy": lambda: runs.run_legacy(lab, dataset=data.dataset, epochs=epochs,
                                          max_examples=data.max_examples, seed=0,
                                          progress=False).seconds,
        "port": lambda: runs.run_port(lab, data, epochs=epochs, progress=False).seconds,
        "keras": lambda: runs.run_keras(lab, data, epochs=epochs, verbose=0,
                                        dense="tf1").seconds,
        "keras, Keras' defaults": lambda: runs.run_keras(
            lab, data, epochs=epochs, verbose=0, dense="tf1", steps_per_execution=1,
            jit_compile=False).seconds,
    }


def measure(lab_name: str = "mnist_nn_xavier", batch_sizes=(100, 1024), rounds: int = 3,
            epochs: int = 3, dataset: str = "fashion_mnist", max_examples=None,
            matmul_repeats: int = 5) -> dict:
    from tfcourse.labs import runs  # noqa: PLC0415

    data = runs.load_data(dataset, max_examples)
    data.max_examples = max_examples
    num_train = data.num_train
    hardware = matmul.measure(batch_sizes=batch_sizes, repeats=matmul_repeats,
                              **({"sizes": (64,), "min_seconds": 0.001} if max_examples else {}))
    figures: dict = {"lab": lab_name, "dataset": dataset, "num_train": num_train,
                     "matmul": hardware, "batch": {}}
    for batch_size in batch_sizes:
        steps = num_train // batch_size
        samples = steps * batch_size
        seconds: dict[str, list[float]] = {}
        candidates = tier_runs(lab_name, batch_size, epochs, data)
        for _ in range(rounds):
            for tier, run in candidates.items():
                seconds.setdefault(tier, []).extend(run()[1:])  # epoch 1 is warm-up
        rates = {tier: _common.summary([samples / s for s in values])
                 for tier, values in seconds.items()}
        floor = hardware["step_floor"][str(batch_size)]
        flops = matmul.step_flops(batch_size) / batch_size
        row = {"steps_per_epoch": steps, "samples_per_second": rates}
        row["keras_over_legacy"] = rates["keras"]["median"] / rates["legacy"]["median"]
        row["keras_over_port"] = rates["keras"]["median"] / rates["port"]["median"]
        row["keras_over_keras_defaults"] = (rates["keras"]["median"]
                                            / rates["keras, Keras' defaults"]["median"])
        row["matmul_floor_samples_per_second"] = floor["samples_per_second"]
        row["keras_of_matmul_floor"] = rates["keras"]["median"] / floor["samples_per_second"]
        chain = hardware["step_chain"][str(batch_size)]
        row["matmul_chain_samples_per_second"] = chain["samples_per_second"]
        row["keras_of_matmul_chain"] = rates["keras"]["median"] / chain["samples_per_second"]
        row["keras_gflops"] = rates["keras"]["median"] * flops / 1e9
        row["best_gflops"] = max(r["median"] for r in rates.values()) * flops / 1e9
        row["best_of_matmul_peak"] = row["best_gflops"] / hardware["peak_gflops"]
        figures["batch"][str(batch_size)] = row
        report_batch(batch_size, row, hardware["peak_gflops"])
    return figures


def report_batch(batch_size: int, row: dict, peak: float) -> None:
    print(f"batch {batch_size} ({row['steps_per_epoch']} steps per epoch), samples/s:")
    for tier, stats in row["samples_per_second"].items():
        print(_common.line(tier, stats, "samples/s", digits=0))
    print(f"  -> keras / legacy {row['keras_over_legacy']:.2f}x, keras / port "
          f"{row['keras_over_port']:.2f}x, keras / Keras' defaults "
          f"{row['keras_over_keras_defaults']:.2f}x")
    print(f"  -> keras at {row['keras_of_matmul_floor']:.0%} of the matmul floor "
          f"({row['matmul_floor_samples_per_second']:,.0f} samples/s) and "
          f"{row['keras_of_matmul_chain']:.0%} of the in-order matmul chain "
          f"({row['matmul_chain_samples_per_second']:,.0f} samples/s); best tier "
          f"{row['best_gflops']:.1f} GFLOP/s = {row['best_of_matmul_peak']:.0%} of the "
          f"{peak:.1f} GFLOP/s matmul peak", flush=True)


def main(argv=None, quick: bool = False, results_dir=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="mnist_nn_xavier")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3, help="per run; the first is warm-up")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[100, 1024])
    args = parser.parse_args(argv)
    if quick:
        settings = dict(lab_name=args.lab, batch_sizes=(10,), rounds=1, epochs=2,
                        dataset="synthetic", max_examples=200, matmul_repeats=1)
    else:
        settings = dict(lab_name=args.lab, batch_sizes=tuple(args.batch_sizes),
                        rounds=args.rounds, epochs=args.epochs)
    figures = measure(**settings)
    matmul.report(figures["matmul"])
    _common.write("labs_throughput", figures, {**settings, "quick": quick}, results_dir)
    return figures


if __name__ == "__main__":
    main()
