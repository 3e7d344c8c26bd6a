"""A convolutional lab: the TF1 program vs its Keras version, samples/s at batch 100 and 1024.

The program is the lab 11 CNN ``tests/port_programs/mnist_cnn_nn.py``
(``tf.nn.conv2d`` 3 x 3 SAME 32 and 64 filters, ReLU, 2 x 2 max pooling, a
dense layer, Adam), trained on Fashion-MNIST's 55,000 training images:

* legacy: the program itself through ``tfcourse.compat`` (graph mode,
  ``sess.run`` with ``feed_dict``), its ``training_epochs``/``batch_size``
  lines set for the run (:func:`tfcourse.labs.runs.run_legacy`);
* keras: its Keras version as ``tfcourse compare`` trains a lab's, the
  porter's model (``tfcourse.port.port`` then ``build_models``: ``Conv2D``,
  ``MaxPooling2D``, ``TF1Dense``) with Adam under TF1's rule, on the replayed
  mini-batches with ``FIT_DEFAULTS`` (:func:`tfcourse.labs.keras_tier.fit_lab`).

Each run trains ``epochs`` epochs, the first is warm-up. Every round first
times the step's convolutions and matmuls alone (the convolution floor,
:mod:`benchmarks.convolution`), then runs the tiers, so the floor and the
tiers see the same load. Target (issue 18), printed as PASS/FAIL: the Keras
version at least as fast as its TF1 program at batch 100 and 1024; its share
of the convolution floor is reported beside it.

Run:  python -m benchmarks conv_lab [--rounds 2] [--epochs 2] [--max-examples N]
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

if __package__ in (None, ""):
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _common, convolution

PROGRAM = Path(__file__).resolve().parent.parent / "tests" / "port_programs" / "mnist_cnn_nn.py"


def cnn_lab(batch_size: int):
    """The lab 11 CNN program as a :class:`tfcourse.labs.registry.Lab` (its program file set)."""
    from tfcourse.labs.registry import Lab  # noqa: PLC0415

    @dataclasses.dataclass(frozen=True)
    class ProgramLab(Lab):
        path: str = ""

        @property
        def program(self) -> Path:
            return Path(self.path)

    # hidden_sizes=(): the Keras tier's memory check counts a softmax regression, far
    # below the CNN's 50,090 weights' few hundred kilobytes either way
    return ProgramLab(name="mnist_cnn_nn", title="lab 11 CNN (tf.nn.conv2d)", hidden_sizes=(),
                      kernel_initializer="random_normal", bias_initializer="random_normal",
                      optimizer="adam", optimizer_config={"learning_rate": 0.001},
                      batch_size=batch_size, graph_seed=777, path=str(PROGRAM))


def tier_runs(batch_size: int, epochs: int, data):
    """``{tier: callable -> list of epoch seconds}`` for one batch size."""
    from tfcourse.labs import keras_tier, runs  # noqa: PLC0415

    lab = cnn_lab(batch_size)
    steps = data.num_train // batch_size
    batches = runs.tf1_batches(data.num_train, batch_size, steps * epochs, seed=777)
    return {
        "legacy": lambda: runs.run_legacy(lab, dataset=data.dataset, epochs=epochs,
                                          max_examples=data.max_examples, seed=0,
                                          progress=False).seconds,
        "keras": lambda: keras_tier.fit_lab(lab, data.as_tuple(), batches, epochs, verbose=0,
                                            dense="tf1")[2]["seconds"],
    }


def measure(batch_sizes=(100, 1024), rounds: int = 2, epochs: int = 2,
            dataset: str = "fashion_mnist", max_examples=None, min_seconds: float = 0.2) -> dict:
    from tfcourse.labs import runs  # noqa: PLC0415

    data = runs.load_data(dataset, max_examples)
    data.max_examples = max_examples
    figures: dict = {"program": str(PROGRAM.relative_to(PROGRAM.parents[2])), "dataset": dataset,
                     "num_train": data.num_train, "batch": {}}
    for batch_size in batch_sizes:
        steps = data.num_train // batch_size
        samples = steps * batch_size
        floor = convolution.floor_timer(batch_size, min_seconds)
        candidates = tier_runs(batch_size, epochs, data)
        seconds: dict[str, list[float]] = {}
        floor_seconds = []
        for _ in range(rounds):
            floor_seconds.append(floor())
            for tier, run in candidates.items():
                seconds.setdefault(tier, []).extend(run()[1:])  # epoch 1 is warm-up
        rates = {tier: _common.summary([samples / s for s in values])
                 for tier, values in seconds.items()}
        floor_figures = convolution.step_figures(batch_size, _common.summary(floor_seconds))
        row = {"steps_per_epoch": steps, "samples_per_second": rates,
               "conv_floor": floor_figures,
               "keras_over_legacy": rates["keras"]["median"] / rates["legacy"]["median"],
               "keras_of_conv_floor": rates["keras"]["median"] / floor_figures[
                   "samples_per_second"],
               "legacy_of_conv_floor": rates["legacy"]["median"] / floor_figures[
                   "samples_per_second"]}
        figures["batch"][str(batch_size)] = row
        report_batch(batch_size, row)
    return figures


def report_batch(batch_size: int, row: dict) -> None:
    print(f"lab 11 CNN, batch {batch_size} ({row['steps_per_epoch']} steps per epoch), "
          f"samples/s:")
    for tier, stats in row["samples_per_second"].items():
        print(_common.line(tier, stats, "samples/s", digits=0))
    floor = row["conv_floor"]
    print(f"  -> keras / legacy {row['keras_over_legacy']:.2f}x; keras at "
          f"{row['keras_of_conv_floor']:.0%} and legacy at {row['legacy_of_conv_floor']:.0%} of "
          f"the convolution floor ({floor['samples_per_second']:,.0f} samples/s, "
          f"{floor['gflops']:.1f} GFLOP/s, measured in the same rounds)", flush=True)


def report_targets(figures: dict) -> list[dict]:
    results = []
    for batch_size in ("100", "1024"):
        row = figures["batch"].get(batch_size)
        if row is None:
            continue
        passed = row["keras_over_legacy"] >= 1.0
        results.append({"target": "keras >= legacy", "batch_size": int(batch_size),
                        "value": row["keras_over_legacy"], "threshold": 1.0, "passed": passed})
        print(f"{'PASS' if passed else 'FAIL'}  batch {batch_size}: lab 11 CNN keras >= legacy: "
              f"{row['keras_over_legacy']:.2f}x (target 1.00x)", flush=True)
    return results


def main(argv=None, quick: bool = False, results_dir=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2, help="per run; the first is warm-up")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[100, 1024])
    parser.add_argument("--max-examples", type=int, default=None,
                        help="examples per split (default: all 55,000 training images)")
    args = parser.parse_args(argv)
    if quick:
        settings = dict(batch_sizes=(10,), rounds=1, epochs=2, dataset="synthetic",
                        max_examples=60, min_seconds=0.001)
    else:
        settings = dict(batch_sizes=tuple(args.batch_sizes), rounds=args.rounds,
                        epochs=args.epochs, max_examples=args.max_examples)
    figures = measure(**settings)
    figures["targets"] = report_targets(figures)
    _common.write("conv_lab", figures, {**settings, "quick": quick}, results_dir)
    return figures


if __name__ == "__main__":
    main()
