"""Tuner throughput: trials per hour of ``tfcourse tune`` on a fixed small search.

The search (:data:`SPACE`): a random search of 6 trials over 1-2 layer MLPs
of 64-256 units, Adam or RMSProp, on the first 5,000 Fashion-MNIST training
images for 2 epochs at batch 128 (seed 0, so every repetition trains the
same 6 models). Each repetition runs the whole search in a fresh directory
through :func:`tfcourse.tuning.search.run_search` (what ``tfcourse tune``
does: oracle, model building, ``model.fit``, checkpoints, HParams logs, the
final report); trials per hour = trials / wall seconds * 3600.

Run:  python -m benchmarks tuner          (python benchmarks/tuner.py --profile: where the time goes)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _common

SPACE = """
[search]
dataset = "{dataset}"
num_train = {num_train}
num_test = 1000
max_trials = {trials}
seed = 0
tuner = "random"

[space]
num_layers = [1, 2]
units = [64, 128, 256]
activation = ["relu", "elu"]
initializer = "he"
batch_norm = false
dropout = 0.0
optimizer = ["adam", "rmsprop"]
learning_rate = {{ min = 1e-3, max = 1e-2, sampling = "log" }}
schedule = "constant"
batch_size = 128
epochs = {epochs}
"""


def search_seconds(trials: int, num_train: int, epochs: int, dataset: str) -> float:
    """Wall seconds of one complete search in a fresh directory."""
    from tfcourse.tuning import search  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        space = Path(folder) / "space.toml"
        space.write_text(SPACE.format(dataset=dataset, num_train=num_train, trials=trials,
                                      epochs=epochs))
        config = search.resolve_config(str(space), directory=str(Path(folder) / "run"))
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            search.run_search(config)
        seconds = time.perf_counter() - start
        completed = len(search.completed_trials(config.directory))
    if completed != trials:
        raise RuntimeError(f"The search completed {completed} of {trials} trials")
    return seconds


def measure(trials: int = 6, num_train: int = 5000, epochs: int = 2, repeats: int = 2,
            dataset: str = "fashion_mnist") -> dict:
    seconds = [search_seconds(trials, num_train, epochs, dataset) for _ in range(repeats)]
    return {"trials": trials, "num_train": num_train, "epochs": epochs,
            "search_seconds": _common.summary(seconds),
            "trials_per_hour": _common.summary([trials / s * 3600 for s in seconds])}


def profile_search(trials: int, num_train: int = 5000, epochs: int = 2, top: int = 60) -> None:
    """One search under ``cProfile`` (after one warm-up search), the ``top`` entries by
    cumulative time: tracing, building, evaluation, the report, ``gc.collect``."""
    import cProfile  # noqa: PLC0415
    import pstats  # noqa: PLC0415

    search_seconds(2, num_train, epochs, "fashion_mnist")  # imports and first traces
    profiler = cProfile.Profile()
    profiler.enable()
    seconds = search_seconds(trials, num_train, epochs, "fashion_mnist")
    profiler.disable()
    print(f"tuner: one search of {trials} trials under cProfile: {seconds:.1f} s")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


def report(figures: dict) -> None:
    print(f"tuner: random search of {figures['trials']} trials, {figures['num_train']} examples, "
          f"{figures['epochs']} epochs each:")
    print(_common.line("search wall time", figures["search_seconds"], "s"))
    print(_common.line("trials per hour", figures["trials_per_hour"], "trials/h", digits=0))


def main(argv=None, quick: bool = False, results_dir=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--profile", action="store_true",
                        help="print where one search's time goes (cProfile, cumulative) instead")
    args = parser.parse_args(argv)
    if args.profile:
        profile_search(args.trials)
        return {}
    if quick:
        settings = dict(trials=1, num_train=200, epochs=1, repeats=1, dataset="synthetic")
    else:
        settings = dict(trials=args.trials, repeats=args.repeats)
    figures = measure(**settings)
    report(figures)
    _common.write("tuner", figures, {**settings, "quick": quick}, results_dir)
    return figures


if __name__ == "__main__":
    main()
