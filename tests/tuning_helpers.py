"""Shared pieces of the tuning tests: a tiny space file and the `tfcourse tune` command.

The tiny space trains 1-layer MLPs of 8-64 units for 1 epoch on a few
hundred synthetic examples, so a trial takes about a second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

TINY_SPACE = """
[search]
dataset = "synthetic"
num_train = {num_train}
num_test = 100
max_trials = 3

[space]
num_layers = 1
units = [8, 16, 32, 64]
activation = ["relu", "tanh", "elu"]
initializer = "he"
batch_norm = false
dropout = 0.0
optimizer = ["adam", "rmsprop"]
learning_rate = {{ min = 1e-3, max = 1e-2, sampling = "log" }}
schedule = "constant"
batch_size = 64
epochs = 1
weight_decay = 0.0
"""


def write_space(folder: Path, name: str = "tiny.toml", num_train: int = 400, text: str | None = None) -> Path:
    path = Path(folder) / name
    path.write_text(text if text is not None else TINY_SPACE.format(num_train=num_train))
    return path


def tune(argv: list[str]) -> int:
    """Run `tfcourse tune ARGV` in this process; exceptions propagate (unlike main())."""
    from tfcourse.cli import main as cli_main
    from tfcourse.cli import tune as tune_module

    parser = cli_main._Parser(prog="tfcourse")
    subparsers = parser.add_subparsers(dest="command", parser_class=cli_main._Parser)
    tune_module.add_parser(subparsers)
    args = parser.parse_args(["tune", *argv])
    return args.run(args)


def tune_command(argv: list[str]) -> list[str]:
    """The command line of `tfcourse tune ARGV` in a fresh process."""
    return [sys.executable, "-m", "tfcourse.cli.tune", *argv]


def child_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KERASTUNER_")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def run_tune_process(argv: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(tune_command(argv), capture_output=True, text=True, timeout=timeout,
                          env=child_env(), cwd=REPO)


def trial_statuses(directory: Path) -> dict[str, str]:
    statuses = {}
    for path in sorted(Path(directory, "trials").glob("trial_*/trial.json")):
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        statuses[state["trial_id"]] = state["status"]
    return statuses


def end_order(directory: Path) -> list[str]:
    return json.loads(Path(directory, "trials", "oracle.json").read_text())["end_order"]
