"""KerasTuner searches over the course's choices (seed 000's homework).

"Train on MNIST with suitable activation, initialization and optimizer, and
push the accuracy as high as you can, showing the process": KerasTuner does
the search, TensorBoard (HParams) shows it.

* :mod:`~tfcourse.tuning.space`: the course's search space (MLPs and, with
  ``model = "cnn"``, the lab 11 conv nets) and the ``tuning/*.toml`` files
  that narrow it;
* :mod:`~tfcourse.tuning.hypermodel`: ``CourseHyperModel``, built through
  ``tfcourse.models`` (``MLPSpec``, ``ConvSpec``) and compiled with tfcourse
  optimizers and schedules;
* :mod:`~tfcourse.tuning.search`: run, resume (no trial run twice) and report;
* :mod:`~tfcourse.tuning.budget`: a wall-time budget for the search and the
  final training together;
* :mod:`~tfcourse.tuning.final`: the final training of the best
  configuration and its one evaluation on the test set;
* :mod:`~tfcourse.tuning.search_report`: the generated report (Markdown,
  the best trials, accuracy against trial, a figure per hyperparameter);
* :mod:`~tfcourse.tuning.trial_resume`: epoch-end checkpoints inside a trial,
  so a search killed mid-trial continues that trial after its last epoch;
* :mod:`~tfcourse.tuning.hparams`: the HParams dashboard, integers as integers;
* :mod:`~tfcourse.tuning.distributed`: KerasTuner's chief/worker mode with
  timeouts, and a launcher for one machine.

The command line is ``tfcourse tune`` (``tuning/README.md`` has examples
and recorded results).
"""

from tfcourse.tuning.distributed import (
    ChiefUnreachableError,
    DistributedError,
    NoWorkerError,
    PortInUseError,
    launch,
    serve_chief,
)
from tfcourse.tuning.budget import TimeBudget
from tfcourse.tuning.final import FinalResult, read_final, train_best
from tfcourse.tuning.hypermodel import CourseHyperModel, count_parameters
from tfcourse.tuning.search import (
    NotASearchDirectoryError,
    SearchChangedError,
    SearchConfig,
    SearchResult,
    completed_trials,
    end_order,
    finish,
    make_tuner,
    read_trials,
    report,
    resolve_config,
    run_search,
)
from tfcourse.tuning.search_report import write_report
from tfcourse.tuning.space import SearchSpace, course_space, load_space_file

__all__ = [
    "ChiefUnreachableError",
    "CourseHyperModel",
    "DistributedError",
    "FinalResult",
    "NoWorkerError",
    "NotASearchDirectoryError",
    "PortInUseError",
    "SearchChangedError",
    "SearchConfig",
    "SearchResult",
    "SearchSpace",
    "TimeBudget",
    "completed_trials",
    "count_parameters",
    "course_space",
    "end_order",
    "finish",
    "launch",
    "load_space_file",
    "make_tuner",
    "read_final",
    "read_trials",
    "report",
    "resolve_config",
    "run_search",
    "serve_chief",
    "train_best",
    "write_report",
]
