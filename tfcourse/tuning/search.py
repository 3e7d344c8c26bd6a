"""Run, resume and report a KerasTuner search over the course's space.

``run_search(config)`` is what ``tfcourse tune`` does on one machine:

1. resolve the space (``tuning/*.toml`` narrows :func:`course_space`) and the
   settings (flags > the file's ``[search]`` table > defaults);
2. prepare the search directory: ``--overwrite`` empties it; otherwise a
   fingerprint of the space and settings (``search.json``) must match the
   one stored there, and a completed search does nothing and says so;
3. load the data and hold out the last ``validation_split`` of the training
   set for validation;
4. check the objective against the metrics the fit will report, by compiling
   (not training) the default model;
5. search: every trial is built after ``keras.backend.clear_session()``
   (KerasTuner's ``Tuner._try_build``), trains with early stopping on the
   objective, and logs to TensorBoard with its hyperparameters (HParams);
6. print the best trials and evaluate the best model on the test set.

Resume: re-running the same command continues the search (KerasTuner's
``overwrite=False`` reload), down to the epoch. The oracles here fix what
KerasTuner 1.4.8 gets wrong on reload: ``Oracle.end_trial`` saves
``oracle.json`` *before* it removes the trial from ``ongoing_trials``, so a
process that stops after the save (a distributed chief always does: it never
saves again) leaves a finished trial marked as running, and the reload sends
it to the retry queue, where it runs a second time. :class:`ResumeSafeOracle`
saves again after the removal and, on reload, drops from the retry queue
every trial whose own ``trial.json`` says it ended. Every state file is
written to a temporary file and renamed, so a kill never leaves half a JSON
file.

A trial that *was* running when the process died (SIGKILL, power cut) is
the one KerasTuner's reload puts in the retry queue; the next run gets that
same trial (same id and hyperparameters) before any new one. Every trial
checkpoints at the end of each epoch into ``trials/trial_<id>/epochs/``
(:mod:`tfcourse.tuning.trial_resume`: weights, optimizer state and
iterations, seed generators, the epoch logs, EarlyStopping's and
KerasTuner's best-epoch state), so the retried trial continues after its
last finished epoch and prints ``trial <id> continues after epoch <k>``;
the run's entry in ``search.json`` lists it under ``continued_trials``.
With the same seed (:func:`tfcourse.set_seed`, deterministic kernels) and
epoch e's mini-batches drawn from ``(seed, e)``, the search ends with the
trial ids, scores and best weights of an uninterrupted one. The folder is
deleted when the trial ends. A checkpoint that is corrupt or was written
for another search or trial is discarded with a printed note naming the
file, and that trial starts again from its first epoch (which gives the
same result, only later). Hyperband's continuation trials start, as in
KerasTuner, from the best weights of the trial they continue with a fresh
optimizer; inside each of them the epochs are checkpointed like any other.

Directory layout (``--dir tuning/runs/NAME``)::

    search.json       fingerprint, resolved space and settings, status, run history
    results.json      the best trials and the test-set evaluation (after a search)
    trials/           KerasTuner's project: oracle.json, trial_<id>/trial.json, checkpoints
                      (checkpoint.weights.h5: the best epoch; epochs/: the last epoch of
                      a trial still running)
    tensorboard/      HParams experiment and one run per trial (see tfcourse.tuning.hparams)
    logs/             per-process logs of a distributed search
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Iterator

import keras_tuner

from tfcourse import checkpointing
from tfcourse._validation import TfcourseError, check_bool, check_choice, check_int, check_range
from tfcourse.tuning import budget, trial_resume
from tfcourse.tuning.space import (
    CONV_NAMES,
    TUNERS,
    Fixed,
    SearchSpace,
    course_space,
    load_space_file,
)

__all__ = [
    "NotASearchDirectoryError",
    "SearchChangedError",
    "SearchConfig",
    "SearchResult",
    "completed_trials",
    "end_order",
    "make_tuner",
    "prepare_directory",
    "read_trials",
    "report",
    "resolve_config",
    "run_search",
]

SEARCH_FILE = "search.json"
RESULTS_FILE = "results.json"
PROJECT_NAME = "trials"
DATASETS = ("mnist", "fashion_mnist", "synthetic")


class SearchChangedError(TfcourseError, ValueError):
    """The search space or settings differ from those stored in the search directory."""


class NotASearchDirectoryError(TfcourseError, ValueError):
    """``--overwrite`` was asked for a non-empty folder that holds no search."""


# ----------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------


@dataclasses.dataclass
class SearchConfig:
    """Everything a search needs; ``resolve_config`` fills it from flags and a space file.

    Args:
        directory: the search directory. Defaults to ``tuning/runs/default``.
        space_file: a ``tuning/*.toml`` (or YAML) file narrowing the space.
        dataset: ``"mnist"``, ``"fashion_mnist"`` or ``"synthetic"``.
        tuner: ``"random"``, ``"bayesian"`` or ``"hyperband"``.
        max_trials: trials at most (random, bayesian; Hyperband's count
            follows from ``epochs`` and ``hyperband_factor``). >= 1.
        objective: the metric to optimize, e.g. ``"val_accuracy"``.
        seed: seed of the oracle and of every model. >= 0.
        validation_split: fraction of the training set held out, in (0, 1).
        patience: early-stopping patience in epochs. >= 1.
        num_train: keep only the first examples of the training set.
        num_test: keep only the first examples of the test set.
        hyperband_factor: Hyperband's reduction factor. >= 2.
        overwrite: empty the directory first.
        data_dir: where the dataset files are (see ``tfcourse.data.load``).
        max_params: a model with more trainable parameters fails its trial.
        time_budget: seconds for the search and the final training together
            (all runs of the search count): no new trial starts once the time
            spent, the longest trial so far and the estimated final training
            add up to more (:class:`tfcourse.tuning.final.TimeBudget`). ``None``:
            no limit.
        final_training: after the search, train the best configuration from
            scratch on the whole training set (validation split included) for
            its best trial's epochs and evaluate it once on the test set
            (:mod:`tfcourse.tuning.final`); the search itself then never
            touches the test set.
        verbose: ``model.fit`` verbosity.
        space: the resolved space (set by ``resolve_config``).
    """

    directory: str = os.path.join("tuning", "runs", "default")
    space_file: str | None = None
    dataset: str = "mnist"
    tuner: str = "random"
    max_trials: int = 10
    objective: str = "val_accuracy"
    seed: int = 0
    validation_split: float = 0.1
    patience: int = 3
    num_train: int | None = None
    num_test: int | None = None
    hyperband_factor: int = 3
    overwrite: bool = False
    data_dir: str | None = None
    max_params: int = 20_000_000
    time_budget: float | None = None
    final_training: bool = False
    verbose: int = 0
    space: SearchSpace | None = None

    def settings(self) -> dict[str, Any]:
        """What the fingerprint covers: all that changes a trial's result (not max_trials)."""
        return {
            "dataset": self.dataset, "tuner": self.tuner, "objective": self.objective,
            "seed": self.seed, "validation_split": self.validation_split,
            "patience": self.patience, "num_train": self.num_train,
            "hyperband_factor": self.hyperband_factor if self.tuner == "hyperband" else None,
            "max_params": self.max_params,
        }

    def fingerprint(self) -> str:
        return self.space.fingerprint(**self.settings())


def resolve_config(space_file: str | None = None, **flags: Any) -> SearchConfig:
    """A :class:`SearchConfig` from a space file and flags (``None`` flags are not given).

    Precedence: a flag given > the file's ``[search]`` table > the defaults.
    """
    space, file_settings = (load_space_file(space_file) if space_file
                            else (course_space(), {}))
    given = {key: value for key, value in flags.items() if value is not None}
    known = {field.name for field in dataclasses.fields(SearchConfig)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise TypeError(f"resolve_config() got unknown settings {unknown}")
    config = SearchConfig(**{**file_settings, **given}, space_file=space_file)
    config.dataset = check_choice("dataset", config.dataset, DATASETS)
    config.tuner = check_choice("tuner", config.tuner, TUNERS)
    config.max_trials = check_int("max_trials", config.max_trials, 1)
    config.seed = check_int("seed", config.seed, 0)
    config.validation_split = check_range("validation_split", config.validation_split,
                                          0.0, 1.0, low_open=True, high_open=True)
    config.patience = check_int("patience", config.patience, 1)
    config.hyperband_factor = check_int("hyperband_factor", config.hyperband_factor, 2)
    config.max_params = check_int("max_params", config.max_params, 1)
    if config.time_budget is not None:
        config.time_budget = check_range("time_budget", config.time_budget, 0.0, math.inf,
                                         low_open=True)
    config.final_training = check_bool("final_training", config.final_training)
    if config.num_train is not None:
        config.num_train = check_int("num_train", config.num_train, 2)
    if config.num_test is not None:
        config.num_test = check_int("num_test", config.num_test, 1)
    if not isinstance(config.objective, str) or not config.objective:
        raise TypeError(f"`objective` must be a metric name. Received: objective={config.objective!r}")
    if config.tuner == "hyperband":
        # Hyperband decides the epochs of each trial itself, up to the space's largest.
        max_epochs = max(space.domains["epochs"].candidates())
        space = SearchSpace({**space.domains, "epochs": Fixed(max_epochs)})
    config.space = space
    return config


# ----------------------------------------------------------------------------
# Atomic files and the search directory
# ----------------------------------------------------------------------------


def write_json_atomic(path: str | os.PathLike, content: Any) -> None:
    """Write JSON to a temporary file in the same folder, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(content, stream, indent=2, sort_keys=True)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as stream:
        return json.load(stream)


@dataclasses.dataclass
class DirectoryState:
    """What ``prepare_directory`` found: a fresh search, one to resume, or a finished one."""

    directory: Path
    resumed: bool
    completed: bool
    completed_trials: int


def prepare_directory(config: SearchConfig, *, role: str = "local") -> DirectoryState:
    """Empty (``overwrite``), check (fingerprint) and record the search directory.

    Raises:
        SearchChangedError: the directory holds a search with another space or
            settings and ``overwrite`` is off.
        NotASearchDirectoryError: ``overwrite`` on a non-empty folder that is not a search.
    """
    directory = Path(config.directory)
    record_path = directory / SEARCH_FILE
    if config.overwrite and directory.exists():
        if not record_path.exists() and not (directory / PROJECT_NAME).exists() \
                and any(directory.iterdir()):
            raise NotASearchDirectoryError(
                f"Refusing to empty {directory}: it is not a tfcourse search directory "
                f"(no {SEARCH_FILE}). Choose another --dir.")
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    fingerprint = config.fingerprint()
    if record_path.exists():
        record = _read_json(record_path)
        if record.get("fingerprint") != fingerprint:
            changed = _changed_keys(record, config)
            raise SearchChangedError(
                f"The search in {directory} was started with another search space or settings "
                f"(changed: {', '.join(changed) or 'the space'}). Re-run with --overwrite to "
                f"discard it and start again, or choose another --dir.")
        done = len(completed_trials(directory))
        completed = (record.get("status") == "completed"
                     and (config.tuner == "hyperband"
                          or config.max_trials <= record.get("max_trials", 0)))
        return DirectoryState(directory, True, completed, done)
    if role == "worker":
        return DirectoryState(directory, False, False, 0)
    write_json_atomic(record_path, {
        "fingerprint": fingerprint,
        "space": config.space.to_json(),
        "settings": config.settings(),
        "space_file": config.space_file,
        "max_trials": config.max_trials,
        "status": "running",
        "runs": [],
    })
    return DirectoryState(directory, False, False, 0)


def _changed_keys(record: dict, config: SearchConfig) -> list[str]:
    changed = [key for key, value in config.settings().items()
               if record.get("settings", {}).get(key) != value]
    old_space = record.get("space", {})
    changed += [f"space.{name}" for name, value in config.space.to_json().items()
                if json.loads(json.dumps(value)) != old_space.get(name)]
    return changed


def _update_record(directory: Path, **changes: Any) -> dict:
    path = directory / SEARCH_FILE
    record = _read_json(path)
    runs = changes.pop("run", None)
    record.update(changes)
    if runs is not None:
        record.setdefault("runs", []).append(runs)
    write_json_atomic(path, record)
    return record


def read_trials(directory: str | os.PathLike) -> dict[str, dict]:
    """trial id -> the trial's ``trial.json`` (status, score, hyperparameters, message)."""
    project = Path(directory) / PROJECT_NAME
    trials = {}
    for path in sorted(project.glob("trial_*/trial.json")):
        state = _read_json(path)
        trials[state["trial_id"]] = state
    return trials


def end_order(directory: str | os.PathLike) -> list[str]:
    """The trial ids in the order the oracle ended them (``oracle.json``'s ``end_order``).

    A trial that ran twice appears twice: this is what the resume tests count.
    """
    path = Path(directory) / PROJECT_NAME / "oracle.json"
    return list(_read_json(path).get("end_order", [])) if path.exists() else []


def completed_trials(directory: str | os.PathLike) -> list[str]:
    """Ids of the trials whose ``trial.json`` says COMPLETED."""
    return [trial_id for trial_id, state in read_trials(directory).items()
            if state.get("status") == "COMPLETED"]


# ----------------------------------------------------------------------------
# Oracles that resume without repeating a trial, and the tuners
# ----------------------------------------------------------------------------

_ENDED = ("COMPLETED", "FAILED")


class ResumeSafeOracle:
    """Mixin for KerasTuner oracles: atomic state files, no repeated trial on resume.

    See the module docstring for KerasTuner 1.4.8's save-before-pop in
    ``Oracle.end_trial``. It also measures each trial's wall seconds (from
    the moment it is handed out to its end; ``trial_seconds``, kept in
    ``oracle.json``) and, with a :class:`tfcourse.tuning.budget.TimeBudget`
    in ``time_budget``, starts no new trial that the budget cannot hold.
    """

    time_budget: budget.TimeBudget | None = None
    stopped_by_budget: str | None = None

    def __init__(self, *args, **kwargs):
        self.trial_seconds: dict[str, float] = {}
        self._handed_out: dict[str, float] = {}
        super().__init__(*args, **kwargs)

    @keras_tuner.synchronized
    def create_trial(self, tuner_id):
        trial = super().create_trial(tuner_id)
        if trial.status == "RUNNING":
            self._handed_out.setdefault(trial.trial_id, time.monotonic())
        return trial

    def populate_space(self, trial_id):
        if self.time_budget is not None:
            reason = self.time_budget.stop_reason(self)
            if reason is not None:
                if self.stopped_by_budget is None:
                    print(f"[oracle] {reason}", file=sys.stderr, flush=True)
                self.stopped_by_budget = reason
                return {"status": "STOPPED", "values": None}
        return super().populate_space(trial_id)

    @keras_tuner.synchronized
    def end_trial(self, trial):
        started = self._handed_out.pop(trial.trial_id, None)
        if started is not None:
            self.trial_seconds[trial.trial_id] = round(
                self.trial_seconds.get(trial.trial_id, 0.0) + time.monotonic() - started, 3)
        super().end_trial(trial)
        self.save()  # again, now that the trial has left ongoing_trials

    def get_state(self):
        return {**super().get_state(), "trial_seconds": dict(self.trial_seconds)}

    def set_state(self, state):
        super().set_state(state)
        self.trial_seconds = dict(state.get("trial_seconds", {}))

    def reload(self):
        super().reload()
        ended = set(self.end_order)
        queue = []
        for trial_id in self._retry_queue:
            status = getattr(self.trials.get(trial_id), "status", None)
            if trial_id in ended or status in _ENDED:
                if trial_id not in ended:
                    # trial.json was saved as ended, oracle.json not yet: record the end.
                    self.end_order.append(trial_id)
                    ended.add(trial_id)
                continue
            if trial_id not in queue:
                queue.append(trial_id)
        self._retry_queue = queue

    def save(self):
        write_json_atomic(self._get_oracle_fname(), self.get_state())

    def _save_trial(self, trial):
        path = os.path.join(self._get_trial_dir(trial.trial_id), "trial.json")
        write_json_atomic(path, trial.get_state())


class RandomSearchOracle(ResumeSafeOracle, keras_tuner.oracles.RandomSearchOracle):
    """KerasTuner's random search, resume-safe."""


class BayesianOptimizationOracle(ResumeSafeOracle,
                                 keras_tuner.oracles.BayesianOptimizationOracle):
    """KerasTuner's Bayesian optimization (Gaussian process), resume-safe."""


class HyperbandOracle(ResumeSafeOracle, keras_tuner.oracles.HyperbandOracle):
    """KerasTuner's Hyperband, resume-safe."""


ORACLES = {"random": RandomSearchOracle, "bayesian": BayesianOptimizationOracle,
           "hyperband": HyperbandOracle}


def make_oracle(config: SearchConfig):
    """The oracle of ``config.tuner``, with the resume fix."""
    cls = ORACLES[config.tuner]
    objective = keras_tuner.Objective(config.objective, _direction(config.objective))
    common = {"objective": objective, "seed": config.seed, "max_consecutive_failed_trials": 3}
    if config.tuner == "hyperband":
        return cls(max_epochs=max(config.space.domains["epochs"].candidates()),
                   factor=config.hyperband_factor, hyperband_iterations=1, **common)
    return cls(max_trials=config.max_trials, **common)


def _direction(objective: str) -> str:
    return "min" if objective.endswith("loss") else "max"


class _CourseTunerMixin:
    """Our changes to KerasTuner's Tuner: TensorBoard layout, HParams, chief loop."""

    def __init__(self, *args, log_root=None, space=None, chief_options=None,
                 fingerprint=None, **kwargs):
        self._log_root = log_root
        self._space = space
        self._chief_options = chief_options or {}
        self._fingerprint = fingerprint
        self.continued_trials: dict[str, int] = {}  # trial id -> epochs it continued after
        super().__init__(*args, **kwargs)

    def on_trial_begin(self, trial):
        self._trial_start = time.monotonic()
        if self._log_root is not None:
            from tfcourse.tuning import hparams  # noqa: PLC0415

            # A trial interrupted by a kill lost its unflushed events: drop its old curves
            # (a continued trial rewrites those of its finished epochs from its checkpoint).
            shutil.rmtree(hparams.trial_logdir(self._log_root, trial.trial_id),
                          ignore_errors=True)
        super().on_trial_begin(trial)

    def _try_build(self, hp):
        """Build the trial's model after ``keras.backend.clear_session()``.

        KerasTuner's version runs a second ``gc.collect()`` right after the one
        in ``clear_session``; with TensorFlow loaded each full collection took
        about 0.25 s on 2 CPU cores, a tenth of a small trial
        (``benchmarks/tuner.py``). :func:`run_search` also freezes the objects
        that live through the search (``gc.freeze``), so the collection here
        only looks at what earlier trials left.
        """
        import keras  # noqa: PLC0415

        keras.backend.clear_session()
        model = self._build_hypermodel(hp)
        if not isinstance(model, keras.Model):
            raise keras_tuner.errors.FatalTypeError(
                f"HyperModel.build() must return a keras.Model. Received: {type(model).__name__}")
        return model

    def _build_and_fit_model(self, trial, *args, **kwargs):
        """Build the trial's model, continue it from its last epoch checkpoint, and fit it.

        Replaces KerasTuner's version (which builds and fits): ``kwargs``
        holds the callbacks ``Tuner.run_trial`` assembled, KerasTuner's
        ``SaveBestEpoch`` last; the epoch checkpoint goes after it.
        """
        import keras  # noqa: PLC0415
        from keras_tuner.src import utils as kt_utils  # noqa: PLC0415
        from keras_tuner.src.backend import config as kt_config  # noqa: PLC0415
        from keras_tuner.src.engine import tuner_utils  # noqa: PLC0415

        hp = trial.hyperparameters
        callbacks = list(kwargs["callbacks"])
        folder = trial_resume.checkpoint_dir(self.get_trial_dir(trial.trial_id))
        expected = trial_resume.settings(trial, self._fingerprint)
        model = self._try_build(hp)
        try:
            pointer = trial_resume.restore(model, folder, expected, callbacks)
        except checkpointing.CheckpointError as error:
            print(f"[{self.tuner_id}] trial {trial.trial_id}: {error}. Discarding it: the trial "
                  f"starts again from its first epoch.", file=sys.stderr, flush=True)
            shutil.rmtree(folder, ignore_errors=True)
            pointer = None
            model = self._try_build(hp)
        saver = trial_resume.TrialCheckpoint(folder, expected, callbacks, pointer)
        if pointer is not None:
            done = int(pointer["epochs_done"])
            self.continued_trials[trial.trial_id] = done
            print(f"[{self.tuner_id}] trial {trial.trial_id} continues after epoch {done} "
                  f"(checkpoint {folder})", file=sys.stderr, flush=True)
            kwargs["initial_epoch"] = done
            if saver.stopped:  # early stopping had ended it: nothing left to train
                kwargs["epochs"] = done
            for callback in callbacks:
                if isinstance(callback, keras.callbacks.TensorBoard):
                    trial_resume.write_epoch_curves(callback.log_dir, pointer)
        kwargs["callbacks"] = [*callbacks, saver]
        history = self.hypermodel.fit(hp, model, *args, **kwargs)
        # The epochs of every process of this trial (the score is the best of them all).
        history.history = {name: list(values) for name, values in saver.history.items()}
        # recorded with the trial's metrics: what the time budget's estimate divides by
        epochs = max((len(values) for values in history.history.values()), default=0)
        history.history[budget.EPOCHS_METRIC] = [float(epochs)] * epochs
        if kt_config.multi_backend():
            kt_utils.save_json(self._get_build_config_fname(trial.trial_id),
                               model.get_build_config())
        tuner_utils.validate_trial_results(history, self.oracle.objective, "HyperModel.fit()")
        return history

    def on_trial_end(self, trial):
        super().on_trial_end(trial)  # the oracle has recorded the end: the checkpoint can go
        shutil.rmtree(trial_resume.checkpoint_dir(
            os.path.join(self.project_dir, f"trial_{trial.trial_id}")), ignore_errors=True)
        ended = self.oracle.get_trial(trial.trial_id)
        seconds = time.monotonic() - getattr(self, "_trial_start", time.monotonic())
        line = f"[{self.tuner_id}] trial {trial.trial_id} {str(ended.status).lower()} " \
               f"in {seconds:.1f} s"
        if ended.status == "COMPLETED" and ended.score is not None:
            line += f": {self.oracle.objective.name} = {ended.score:.4f}"
        elif ended.message:
            line += f": {_first_line_of_error(ended.message)}"
        print(line, file=sys.stderr, flush=True)

    def _configure_tensorboard_dir(self, callbacks, trial, execution=0):
        from tensorboard.plugins.hparams import api as hparams_api  # noqa: PLC0415

        from tfcourse.tuning import hparams  # noqa: PLC0415

        for callback in list(callbacks):
            if callback.__class__.__name__ == "TensorBoard":
                logdir = hparams.trial_logdir(self._log_root or callback.log_dir,
                                              trial.trial_id, execution)
                callback.log_dir = logdir
                values = self._space.declare(trial.hyperparameters.copy())
                callbacks.append(hparams_api.KerasCallback(
                    writer=logdir, hparams=hparams.hparams_values(self._space, values),
                    trial_id=trial.trial_id))

    def search(self, *fit_args, **fit_kwargs):
        from keras_tuner.src.distribute import utils as dist_utils  # noqa: PLC0415

        if dist_utils.is_chief_oracle():
            from tfcourse.tuning import distributed  # noqa: PLC0415

            self.save()
            distributed.serve_chief(self.oracle, **self._chief_options)
            self.save()
            return
        super().search(*fit_args, **fit_kwargs)


class _HyperbandWithOurOracle(keras_tuner.Hyperband):
    def __init__(self, oracle, hypermodel, **kwargs):
        # Skip Hyperband.__init__, which would make its own oracle.
        keras_tuner.Tuner.__init__(self, oracle, hypermodel, **kwargs)


class CourseTuner(_CourseTunerMixin, keras_tuner.Tuner):
    """KerasTuner's Tuner (random and Bayesian searches) with our TensorBoard and chief."""


class CourseHyperband(_CourseTunerMixin, _HyperbandWithOurOracle):
    """KerasTuner's Hyperband with our oracle, TensorBoard and chief."""


def make_tuner(config: SearchConfig, hypermodel, *, chief_options=None):
    """A KerasTuner tuner over ``hypermodel`` in ``config.directory`` (reloads what is there)."""
    directory = Path(config.directory)
    project = directory / PROJECT_NAME
    tuner_file = project / f"{os.environ.get('KERASTUNER_TUNER_ID', 'tuner0')}.json"
    if (project / "oracle.json").exists() and not tuner_file.exists():
        # KerasTuner reloads only if *this* process's tuner file exists (a Tuner's state
        # is {}); a search begun by other processes (a distributed one) must reload too.
        write_json_atomic(tuner_file, {})
    cls = CourseHyperband if config.tuner == "hyperband" else CourseTuner
    return cls(
        make_oracle(config), hypermodel,
        directory=str(directory), project_name=PROJECT_NAME, overwrite=False,
        log_root=str(directory / "tensorboard"), space=config.space,
        chief_options=chief_options, fingerprint=config.fingerprint(),
    )


def _remove_ended_checkpoints(directory: str | os.PathLike) -> None:
    """Delete the epoch checkpoints of ended trials (a kill just after the end leaves them)."""
    for trial_id, state in read_trials(directory).items():
        if state.get("status") in (*_ENDED, "INVALID"):
            shutil.rmtree(trial_resume.checkpoint_dir(
                Path(directory) / PROJECT_NAME / f"trial_{trial_id}"), ignore_errors=True)


# ----------------------------------------------------------------------------
# Data and the objective check
# ----------------------------------------------------------------------------


@dataclasses.dataclass
class SearchData:
    x_train: Any
    y_train: Any
    x_val: Any
    y_val: Any
    x_test: Any
    y_test: Any
    source: str


def load_data(config: SearchConfig) -> SearchData:
    """The dataset flattened to [0, 1] rows, with the last ``validation_split`` held out."""
    from tfcourse import data  # noqa: PLC0415

    splits = data.load(config.dataset, config.data_dir, flatten=True,
                       num_train=config.num_train, num_test=config.num_test,
                       seed=config.seed)
    (x, y), (x_test, y_test) = splits
    num_val = max(1, int(round(len(x) * config.validation_split)))
    if num_val >= len(x):
        raise ValueError(
            f"`validation_split` leaves no training examples: {len(x)} examples, "
            f"validation_split={config.validation_split}")
    return SearchData(x[:-num_val], y[:-num_val], x[-num_val:], y[-num_val:],
                      x_test, y_test, splits.source)


def reported_metrics(model, x=None, y=None, with_validation: bool = True) -> list[str]:
    """The metric names ``model.fit`` will report (sorted), ``val_`` ones after.

    Read from ``model.get_metrics_result()`` (what ``fit`` logs) when the
    model's loss and metrics are built, as ``CourseHyperModel.build`` leaves
    them; otherwise found by evaluating (not training) ``model`` on ``x, y``.
    """
    built = all(getattr(metric, "built", True) for metric in model.metrics)
    names = sorted(model.get_metrics_result() if built and model.metrics
                   else model.evaluate(x, y, verbose=0, return_dict=True))
    return names + ([f"val_{name}" for name in names] if with_validation else [])


def check_objective(hypermodel, objective: str, x, y, *, with_validation: bool = True) -> list[str]:
    """Raise ``ValueError`` at once if ``objective`` is not among the reported metrics.

    The default point's model is built and compiled, not trained.
    """
    model = hypermodel.build(keras_tuner.HyperParameters())
    names = reported_metrics(model, x[:8], y[:8], with_validation)
    if objective not in names:
        hint = ""
        if objective.startswith("val_") and not with_validation:
            hint = " (val_* metrics need validation data)"
        raise ValueError(
            f"`objective` must be one of the metrics the fit reports, {names}{hint}. "
            f"Received: objective={objective!r}")
    return names


def make_hypermodel(config: SearchConfig, data: SearchData):
    from tfcourse.tuning.hypermodel import CourseHyperModel  # noqa: PLC0415

    return CourseHyperModel(config.space, input_size=data.x_train.shape[1],
                            num_classes=max(int(data.y_train.max()) + 1, 2),
                            num_train=len(data.x_train), seed=config.seed,
                            max_params=config.max_params, verbose=config.verbose)


def fit_callbacks(config: SearchConfig):
    import keras  # noqa: PLC0415

    return [
        keras.callbacks.EarlyStopping(monitor=config.objective, patience=config.patience,
                                      mode=_direction(config.objective)),
        keras.callbacks.TensorBoard(log_dir=str(Path(config.directory) / "tensorboard"),
                                    histogram_freq=0, write_graph=False),
    ]


# ----------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------


@dataclasses.dataclass
class SearchResult:
    """The outcome of a search, as printed and as saved in ``results.json``."""

    directory: str
    objective: str
    best_trial_id: str | None
    best_score: float | None
    best_hyperparameters: dict[str, Any]
    test_accuracy: float | None
    test_loss: float | None
    trials_completed: int
    trials_failed: int
    wall_time_s: float
    nothing_to_do: bool = False
    table: str = ""
    final: dict[str, Any] | None = None
    report: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def json_values(space: SearchSpace, hyperparameters) -> dict[str, Any]:
    """The active values of a trial's hyperparameters (KerasTuner's ``tuner/`` keys kept)."""
    values = space.declare(hyperparameters.copy())
    return {**values, **{key: value for key, value in hyperparameters.values.items()
                         if key.startswith("tuner/")}}


def _first_line_of_error(message: str | None) -> str:
    lines = [line for line in (message or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


TABLE_COLUMNS = ("num_layers", "units", "activation", "initializer", "batch_norm", "dropout",
                 "optimizer", "learning_rate", "schedule", "batch_size")
"""The hyperparameters the table of best trials shows (and the conv names when a cnn is in it)."""


def results_table(directory: str | os.PathLike, objective: str, limit: int = 5) -> str:
    """The best ``limit`` completed trials, then every failed trial with its reason."""
    trials = read_trials(directory)
    completed = [t for t in trials.values() if t["status"] == "COMPLETED" and t["score"] is not None]
    completed.sort(key=lambda t: t["score"], reverse=_direction(objective) == "max")
    columns = list(TABLE_COLUMNS)
    if any(t["hyperparameters"]["values"].get("model") == "cnn" for t in completed):
        columns = ["model", *CONV_NAMES, *columns]
    header = ["rank", "trial", objective, *columns]
    rows = []
    for rank, trial in enumerate(completed[:limit], start=1):
        values = trial["hyperparameters"]["values"]
        rows.append([str(rank), trial["trial_id"], f"{trial['score']:.4f}",
                     *(_format(values.get(name)) for name in columns)])
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in [header, *rows]]
    failed = [t for t in trials.values() if t["status"] in ("FAILED", "INVALID")]
    for trial in failed:
        lines.append(f"trial {trial['trial_id']} failed: {_first_line_of_error(trial.get('message'))}")
    return "\n".join(lines)


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return "-" if value is None else str(value)


def report(config: SearchConfig, tuner=None, data: SearchData | None = None, *,
           wall_time_s: float = 0.0, nothing_to_do: bool = False, stream=None,
           evaluate_test: bool | None = None) -> SearchResult:
    """Print the best trials and the best model's test accuracy; save ``results.json``.

    ``evaluate_test`` (default: not ``config.final_training``) evaluates the
    best trial's weights on the test set; a search with a final training
    leaves the test set to it (:mod:`tfcourse.tuning.final`). ``wall_time_s``
    in the result is the sum over the runs recorded in ``search.json`` (each
    local or chief run that finished), when there are any.
    """
    stream = stream or sys.stdout
    if evaluate_test is None:
        evaluate_test = not config.final_training
    directory = Path(config.directory)
    data = data or load_data(config)
    if tuner is None:
        tuner = make_tuner(config, make_hypermodel(config, data))
    trials = read_trials(directory)
    completed = [t for t in trials.values() if t["status"] == "COMPLETED"]
    failed = [t for t in trials.values() if t["status"] in ("FAILED", "INVALID")]
    table = results_table(directory, config.objective)
    print(f"Best trials of {directory} ({len(completed)} completed, {len(failed)} failed):",
          file=stream)
    print(table, file=stream)
    best_id = best_score = test_accuracy = test_loss = None
    best_values: dict[str, Any] = {}
    if completed:
        best = tuner.oracle.get_best_trials(1)[0]
        best_id, best_score = best.trial_id, float(best.score)
        best_values = json_values(config.space, best.hyperparameters)
        checkpoint = Path(tuner._get_checkpoint_fname(best_id))
        if not evaluate_test:
            print(f"Best trial {best_id}: {config.objective} = {best_score:.4f} (best epoch "
                  f"{int(best.best_step) + 1}); the test set is left to the final training",
                  file=stream)
        elif checkpoint.exists():
            with warnings.catch_warnings():
                # KerasTuner saves weights only: the optimizer's state is not restored, and
                # Keras warns about it; evaluation does not need it.
                warnings.filterwarnings("ignore", message="Skipping variable loading")
                model = tuner.load_model(best)
            evaluation = model.evaluate(data.x_test, data.y_test, batch_size=1024, verbose=0,
                                        return_dict=True)
            test_accuracy = float(evaluation["accuracy"])
            test_loss = float(evaluation["loss"])
            print(f"Best trial {best_id}: {config.objective} = {best_score:.4f}; "
                  f"test accuracy = {test_accuracy:.4f} on {len(data.x_test)} test examples "
                  f"({config.dataset})", file=stream)
        else:
            # Several machines: the checkpoint stays on the worker that trained the trial.
            print(f"Best trial {best_id}: {config.objective} = {best_score:.4f}; its checkpoint "
                  f"{checkpoint} is not on this machine (the worker that ran it has it), so "
                  f"the test set was not evaluated here.", file=stream)
    record_path = directory / SEARCH_FILE
    if record_path.exists():
        wall_time_s = round(sum(run.get("wall_time_s", 0.0)
                                for run in _read_json(record_path).get("runs", [])), 1)
    result = SearchResult(str(directory), config.objective, best_id, best_score, best_values,
                          test_accuracy, test_loss, len(completed), len(failed),
                          wall_time_s, nothing_to_do, table)
    write_json_atomic(directory / RESULTS_FILE, result.to_json())
    return result


def finish(config: SearchConfig, tuner=None, data: SearchData | None = None, *,
           nothing_to_do: bool = False, stream=None) -> SearchResult:
    """After a search: :func:`report`, the final training if asked for, the report files.

    Prints the wall times (all runs of the search, the final training, the
    sum) and where the generated report is (:mod:`tfcourse.tuning.search_report`).
    """
    from tfcourse.seeding import seeded  # noqa: PLC0415
    from tfcourse.tuning import final, search_report  # noqa: PLC0415

    stream = stream or sys.stdout
    data = data or load_data(config)
    if tuner is None:
        tuner = make_tuner(config, make_hypermodel(config, data))
    result = report(config, tuner, data, nothing_to_do=nothing_to_do, stream=stream)
    if config.final_training:
        with seeded(config.seed), _frozen_garbage():
            trained = final.train_best(config, tuner, data, stream=stream)
        if trained is not None:
            result.final = trained.to_json()
            print(f"Wall time: search {result.wall_time_s:,.1f} s + final training "
                  f"{trained.wall_time_s:,.1f} s = {result.wall_time_s + trained.wall_time_s:,.1f}"
                  f" s", file=stream)
    result.report = str(search_report.write_report(config.directory))
    print(f"Report: {result.report} (figures beside it)", file=stream)
    write_json_atomic(Path(config.directory) / RESULTS_FILE, result.to_json())
    return result


# ----------------------------------------------------------------------------
# The search
# ----------------------------------------------------------------------------


@contextlib.contextmanager
def environment(**variables: str | None) -> Iterator[None]:
    """Set (or, for ``None``, remove) environment variables, restoring them afterwards."""
    previous = {name: os.environ.get(name) for name in variables}
    try:
        for name, value in variables.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _frozen_garbage() -> Iterator[None]:
    """``gc.freeze()`` what exists now (TensorFlow, Keras, the data), ``gc.unfreeze()`` after.

    Every trial starts with ``keras.backend.clear_session()``, whose
    ``gc.collect()`` otherwise walks every object of TensorFlow and Keras
    each time (about 0.25 s per collection on 2 CPU cores); frozen objects
    are skipped. Objects created later are collected as usual.
    """
    import gc  # noqa: PLC0415

    import keras  # noqa: F401, PLC0415  (imported before the freeze)

    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_search(config: SearchConfig, *, role: str = "local", chief_options=None,
               do_report: bool = True, stream=None) -> SearchResult | None:
    """Run (or resume) the search of ``config``; see the module docstring.

    ``role`` is ``"local"`` (one process), ``"chief"`` or ``"worker"``
    (KerasTuner's distributed mode; the ``KERASTUNER_*`` variables must be
    set, as :mod:`tfcourse.tuning.distributed` does).
    """
    stream = stream or sys.stdout
    start = time.monotonic()
    state = prepare_directory(config, role=role)
    if state.completed and role != "worker":
        print(f"The search in {state.directory} is complete ({state.completed_trials} trials); "
              f"nothing to do. Raise --max-trials to continue it, or --overwrite to start again.",
              file=sys.stderr)
        if not do_report:
            return None
        return finish(config, nothing_to_do=True, stream=stream)
    if state.resumed and role != "worker":
        print(f"Resuming the search in {state.directory}: {state.completed_trials} trial(s) "
              f"completed so far.", file=sys.stderr)
        _remove_ended_checkpoints(state.directory)
    from tfcourse.seeding import seeded  # noqa: PLC0415

    # Deterministic kernels too: a continued trial must end as an uninterrupted
    # one. Scoped: a Python caller gets its process back as it was.
    with seeded(config.seed), _frozen_garbage():
        data = load_data(config)
        hypermodel = make_hypermodel(config, data)
        if role != "worker":
            check_objective(hypermodel, config.objective, data.x_val, data.y_val)
            from tfcourse.tuning import hparams  # noqa: PLC0415

            hparams.write_experiment(str(Path(config.directory) / "tensorboard"), config.space)
        tuner = make_tuner(config, hypermodel, chief_options=chief_options)
        if role != "worker" and config.time_budget is not None:
            tuner.oracle.time_budget = make_budget(config, data, start)
        tuner.search(data.x_train, data.y_train, validation_data=(data.x_val, data.y_val),
                     callbacks=fit_callbacks(config), verbose=config.verbose)
        wall = time.monotonic() - start
        if role == "worker":
            return None
        _update_record(Path(config.directory), status="completed", max_trials=config.max_trials,
                       run={"role": role, "wall_time_s": round(wall, 1),
                            "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
                            "continued_trials": dict(getattr(tuner, "continued_trials", {})),
                            "stopped_by_budget": tuner.oracle.stopped_by_budget})
    if not do_report:
        return None
    return finish(config, tuner, data, stream=stream)


def make_budget(config: SearchConfig, data: SearchData, start: float) -> budget.TimeBudget:
    """The :class:`~tfcourse.tuning.budget.TimeBudget` of ``config``, counting earlier runs."""
    record = _read_json(Path(config.directory) / SEARCH_FILE)
    spent_before = sum(run.get("wall_time_s", 0.0) for run in record.get("runs", []))
    scale = ((len(data.x_train) + len(data.x_val)) / len(data.x_train)
             if config.final_training else None)
    return budget.TimeBudget(config.time_budget, spent_before, scale, started=start)
