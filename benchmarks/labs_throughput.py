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
``compare`` reports them). Rounds run the tiers interleaved, and each round
first times the step's eight matmuls in step order (the in-order matmul chain,
:func:`benchmarks.matmul.chain_timer`), so that the chain and the tiers see
the same load: in two runs before, measured apart, the chain came out at
108,828 and 69,610 samples/s. The ratio of a round is its Keras-tier median
over its own chain; the figure is the median over the rounds. The matmul
peak and the step's matmul floor (:mod:`benchmarks.matmul`) are measured
once, before the rounds. Targets (issues 8 and 18), printed as PASS/FAIL:

* Keras tier >= 1.3x the legacy samples/s at batch 100;
* Keras tier >= 40% of the matmul floor at batch 100;
* Keras tier >= 85% of the in-order matmul chain at batch 100, >= 90% at 1024;
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


#: (what, batch size, the figure's key in the batch row, threshold): the PASS/FAIL lines.
TARGETS = (
    ("keras >= 1.3x legacy", 100, "keras_over_legacy", 1.3),
    ("keras >= 40% of the matmul floor", 100, "keras_of_matmul_floor", 0.40),
    ("keras >= 85% of the in-order matmul chain", 100, "keras_of_matmul_chain", 0.85),
    ("keras >= 90% of the in-order matmul chain", 1024, "keras_of_matmul_chain", 0.90),
    ("best tier >= 70% of the matmul peak", 1024, "best_of_matmul_peak", 0.70),
)


def measure(lab_name: str = "mnist_nn_xavier", batch_sizes=(100, 1024), rounds: int = 3,
            epochs: int = 3, dataset: str = "fashion_mnist", max_examples=None,
            matmul_repeats: int = 5, tiers=None) -> dict:
    from tfcourse.labs import runs  # noqa: PLC0415

    data = runs.load_data(dataset, max_examples)
    data.max_examples = max_examples
    num_train = data.num_train
    small = {"sizes": (64,), "min_seconds": 0.001} if max_examples else {}
    hardware = matmul.measure(batch_sizes=batch_sizes, repeats=matmul_repeats, **small)
    figures: dict = {"lab": lab_name, "dataset": dataset, "num_train": num_train,
                     "matmul": hardware, "batch": {}}
    for batch_size in batch_sizes:
        steps = num_train // batch_size
        samples = steps * batch_size
        seconds: dict[str, list[float]] = {}
        candidates = tier_runs(lab_name, batch_size, epochs, data)
        if tiers is not None:
            candidates = {tier: run for tier, run in candidates.items() if tier in tiers}
        chain = matmul.chain_timer(batch_size, small.get("min_seconds", 0.2))
        chain_seconds, round_ratios = [], []
        for _ in range(rounds):
            chain_seconds.append(chain())
            for tier, run in candidates.items():
                seconds.setdefault(tier, []).extend(run()[1:])  # epoch 1 is warm-up
            this_round = seconds["keras"][-(epochs - 1):]
            keras_rate = samples / _common.summary(this_round)["median"]
            round_ratios.append(keras_rate / (batch_size / chain_seconds[-1]))
        hardware["step_chain"][str(batch_size)] = matmul.step_figures(
            batch_size, _common.summary(chain_seconds))
        rates = {tier: _common.summary([samples / s for s in values])
                 for tier, values in seconds.items()}
        floor = hardware["step_floor"][str(batch_size)]
        flops = matmul.step_flops(batch_size) / batch_size
        row = {"steps_per_epoch": steps, "samples_per_second": rates}
        for name, tier in (("keras_over_legacy", "legacy"), ("keras_over_port", "port"),
                           ("keras_over_keras_defaults", "keras, Keras' defaults")):
            if tier in rates:
                row[name] = rates["keras"]["median"] / rates[tier]["median"]
        row["matmul_floor_samples_per_second"] = floor["samples_per_second"]
        row["keras_of_matmul_floor"] = rates["keras"]["median"] / floor["samples_per_second"]
        chain = hardware["step_chain"][str(batch_size)]
        row["matmul_chain_samples_per_second"] = chain["samples_per_second"]
        row["keras_of_matmul_chain_per_round"] = round_ratios
        row["keras_of_matmul_chain"] = _common.summary(round_ratios)["median"]
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
    ratios = [f"keras / {label} {row[name]:.2f}x" for name, label in (
        ("keras_over_legacy", "legacy"), ("keras_over_port", "port"),
        ("keras_over_keras_defaults", "Keras' defaults")) if name in row]
    print(f"  -> {', '.join(ratios)}")
    per_round = ", ".join(f"{ratio:.0%}" for ratio in row["keras_of_matmul_chain_per_round"])
    print(f"  -> keras at {row['keras_of_matmul_floor']:.0%} of the matmul floor "
          f"({row['matmul_floor_samples_per_second']:,.0f} samples/s) and "
          f"{row['keras_of_matmul_chain']:.0%} of the in-order matmul chain measured in the "
          f"same rounds ({per_round}; chain {row['matmul_chain_samples_per_second']:,.0f} "
          f"samples/s); best tier "
          f"{row['best_gflops']:.1f} GFLOP/s = {row['best_of_matmul_peak']:.0%} of the "
          f"{peak:.1f} GFLOP/s matmul peak", flush=True)


def main(argv=None, quick: bool = False, results_dir=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="mnist_nn_xavier")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3, help="per run; the first is warm-up")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[100, 1024])
    parser.add_argument("--tiers", nargs="+", default=None,
                        choices=("legacy", "port", "keras", "keras, Keras' defaults"),
                        help="measure only these tiers (keras is always measured)")
    args = parser.parse_args(argv)
    if quick:
        settings = dict(lab_name=args.lab, batch_sizes=(10,), rounds=1, epochs=2,
                        dataset="synthetic", max_examples=200, matmul_repeats=1)
    else:
        settings = dict(lab_name=args.lab, batch_sizes=tuple(args.batch_sizes),
                        rounds=args.rounds, epochs=args.epochs,
                        tiers=None if args.tiers is None else ("keras", *args.tiers))
    figures = measure(**settings)
    matmul.report(figures["matmul"])
    figures["targets"] = report_targets(figures)
    _common.write("labs_throughput", figures, {**settings, "quick": quick}, results_dir)
    return figures


def report_targets(figures: dict) -> list[dict]:
    """Print one PASS/FAIL line per target whose batch size was measured; return them."""
    results = []
    for name, batch_size, key, target in TARGETS:
        row = figures["batch"].get(str(batch_size))
        if row is None or key not in row:
            continue
        passed = row[key] >= target
        results.append({"target": name, "batch_size": batch_size, "value": row[key],
                        "threshold": target, "passed": passed})
        print(f"{'PASS' if passed else 'FAIL'}  batch {batch_size}: {name}: "
              f"{row[key]:.2f} (target {target:.2f})", flush=True)
    return results


if __name__ == "__main__":
    main()
