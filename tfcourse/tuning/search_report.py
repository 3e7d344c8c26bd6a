"""A search shown as the homework asks: tables and figures of the process, in ``DIR/report``.

Seed 000's homework ends with "showing the process". Besides the HParams
dashboard (:mod:`tfcourse.tuning.hparams`), every search writes a report
that reads without TensorFlow, from the files of the search directory alone
(``search.json``, ``trials/oracle.json``, each ``trial.json``,
``final.json``)::

    DIR/report/report.md              the settings, the result, the best trials, the
                                      figures below, the fixed choices, the failed trials
    DIR/report/accuracy_vs_trial.png  the objective of each trial in the order the trials
                                      started, with the best so far
    DIR/report/hp_<name>.png          one per hyperparameter that took several values:
                                      the objective of each trial against its value

``tfcourse tune --report DIR`` writes it again for an existing search.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tfcourse.labs.runs import plural

__all__ = ["FOLDER", "write_report"]

FOLDER = "report"
#: Hyperparameters drawn on a log axis (they are searched on a log scale).
LOG_SCALE = ("learning_rate", "weight_decay")
#: How far below the best score a figure's axis goes when only a few trials (under a
#: quarter) lie further: those are drawn at its edge, so that the rest stay readable.
AXIS_SPAN = 0.15
BEST_TRIALS = 10


def _read(path: Path) -> Any:
    with open(path, encoding="utf-8") as stream:
        return json.load(stream)


def _trials(directory: Path) -> list[dict]:
    """Every trial's ``trial.json``, in the order the trials started, numbered from 1."""
    oracle_path = directory / "trials" / "oracle.json"
    oracle = _read(oracle_path) if oracle_path.exists() else {}
    order = list(oracle.get("start_order", []))
    seconds = oracle.get("trial_seconds", {})
    trials = {}
    for path in (directory / "trials").glob("trial_*/trial.json"):
        state = _read(path)
        trials[state["trial_id"]] = state
    order += sorted(trial_id for trial_id in trials if trial_id not in order)
    rows = []
    for number, trial_id in enumerate((t for t in order if t in trials), start=1):
        state = trials[trial_id]
        rows.append({"number": number, "trial_id": trial_id, "status": state["status"],
                     "score": state.get("score"), "best_epoch": int(state.get("best_step", 0)) + 1,
                     "values": state["hyperparameters"]["values"],
                     "seconds": seconds.get(trial_id), "message": state.get("message")})
    return rows


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _varying(completed: list[dict]) -> tuple[list[str], dict[str, Any]]:
    """Names whose value differs between completed trials, and the ones that never did."""
    names: list[str] = []
    for trial in completed:
        names += [name for name in trial["values"] if name not in names
                  and not name.startswith("tuner/")]
    varying, fixed = [], {}
    for name in names:
        values = {json.dumps(trial["values"].get(name)) for trial in completed}
        if len(values) > 1:
            varying.append(name)
        else:
            fixed[name] = completed[0]["values"].get(name)
    return varying, fixed


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return "-" if value is None else str(value)


def _axis_floor(scores: list[float], maximize: bool) -> tuple[float, float]:
    """The objective axis: every score, or AXIS_SPAN from the best when under a quarter are further."""
    best, worst = (max(scores), min(scores)) if maximize else (min(scores), max(scores))
    far = sum(abs(best - score) > AXIS_SPAN for score in scores)
    if far and far < len(scores) / 4:
        worst = best - AXIS_SPAN if maximize else best + AXIS_SPAN
    margin = 0.05 * (abs(best - worst) or abs(best) or 1.0)
    if maximize:
        return worst - margin, best + margin
    return best - margin, worst + margin


def _clip(scores, low, high):
    import numpy as np  # noqa: PLC0415

    scores = np.asarray(scores, float)
    return np.clip(scores, low, high), (scores < low) | (scores > high)


def _pyplot():
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt


def _trial_figure(path: Path, trials: list[dict], objective: str, maximize: bool,
                  final: dict | None) -> None:
    plt = _pyplot()
    completed = [t for t in trials if t["status"] == "COMPLETED" and t["score"] is not None]
    failed = [t for t in trials if t["status"] in ("FAILED", "INVALID")]
    fig, ax = plt.subplots(figsize=(9, 5))
    scores = [t["score"] for t in completed]
    low, high = _axis_floor(scores + ([final["test_accuracy"]] if final and maximize else []),
                            maximize)
    numbers = [t["number"] for t in completed]
    shown, clipped = _clip(scores, low, high)
    ax.scatter([n for n, c in zip(numbers, clipped) if not c],
               [s for s, c in zip(shown, clipped) if not c], s=45, color="tab:blue",
               zorder=3, label="a trial (its best epoch)")
    if clipped.any():
        ax.scatter([n for n, c in zip(numbers, clipped) if c],
                   [s for s, c in zip(shown, clipped) if c], s=55, marker="v",
                   color="tab:gray", zorder=3, label="a trial below the axis (drawn at its edge)")
    best_so_far, running = [], None
    for score in scores:
        running = score if running is None else (max if maximize else min)(running, score)
        best_so_far.append(running)
    if numbers:
        ax.step(numbers, best_so_far, where="post", color="tab:orange", linewidth=2,
                label="best so far")
        best = max(completed, key=lambda t: t["score"]) if maximize else \
            min(completed, key=lambda t: t["score"])
        ax.scatter([best["number"]], [best["score"]], s=220, marker="*", color="tab:red",
                   zorder=4, label=f"best: trial {best['trial_id']} ({best['score']:.4f})")
    if failed:
        ax.scatter([t["number"] for t in failed], [low + 0.02 * (high - low)] * len(failed),
                   marker="x", s=60, color="tab:red", zorder=3, label="a failed trial")
    if final:
        ax.axhline(final["test_accuracy"], color="tab:green", linestyle="--",
                   label=f"final training, test accuracy {final['test_accuracy']:.4f}")
    ax.set_ylim(low, high)
    ax.set_xlabel("trial (in the order the trials started)")
    ax.set_ylabel(objective)
    ax.set_title(f"{objective} of each trial")
    ax.grid(alpha=0.3)
    if len(trials) <= 30:  # the trial ids, as the table and TensorBoard name them
        ax.set_xticks([t["number"] for t in trials])
        ax.set_xticklabels([t["trial_id"] for t in trials])
    ax.legend(loc="best", fontsize=9, framealpha=0.9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _hyperparameter_figure(path: Path, name: str, completed: list[dict], objective: str,
                           maximize: bool) -> str:
    """Draw one hyperparameter's figure; return a one-line summary for the Markdown page."""
    import numpy as np  # noqa: PLC0415

    plt = _pyplot()
    values = [t["values"].get(name) for t in completed]
    scores = [t["score"] for t in completed]
    low, high = _axis_floor(scores, maximize)
    shown, clipped = _clip(scores, low, high)
    pick = max if maximize else min
    best = pick(range(len(scores)), key=lambda i: scores[i])
    fig, ax = plt.subplots(figsize=(7, 4.5))
    numeric = all(_is_number(v) for v in values if v is not None) and \
        len({v for v in values if v is not None}) > 6
    summary = ""
    if numeric:
        xs = np.asarray([np.nan if v is None else v for v in values], float)
        for flag, marker, color in ((False, "o", "tab:blue"), (True, "v", "tab:gray")):
            keep = clipped == flag
            ax.scatter(xs[keep], shown[keep], marker=marker, s=45, color=color, zorder=3)
        if name in LOG_SCALE and np.nanmin(xs) > 0:
            ax.set_xscale("log")
        ax.set_xlabel(name)
        summary = f"best trial at {name} = {_format(values[best])}"
    else:
        categories = sorted({json.dumps(v) for v in values},
                            key=lambda text: (not _is_number(json.loads(text)), json.loads(text)
                                              if _is_number(json.loads(text)) else text))
        labels = [_format(json.loads(text)) for text in categories]
        positions = {text: i for i, text in enumerate(categories)}
        rng = np.random.default_rng(0)
        xs = np.asarray([positions[json.dumps(v)] for v in values], float)
        jitter = xs + rng.uniform(-0.12, 0.12, len(xs))
        for flag, marker, color in ((False, "o", "tab:blue"), (True, "v", "tab:gray")):
            keep = clipped == flag
            ax.scatter(jitter[keep], shown[keep], marker=marker, s=45, color=color, zorder=3,
                       alpha=0.8)
        means = []
        for i, text in enumerate(categories):
            group = [s for s, v in zip(scores, values) if json.dumps(v) == text]
            means.append(float(np.mean(group)))
            ax.hlines(np.clip(means[-1], low, high), i - 0.3, i + 0.3, color="black",
                      linewidth=2, zorder=4)
        ax.set_xticks(range(len(categories)))
        counts = [sum(json.dumps(v) == text for v in values) for text in categories]
        ax.set_xticklabels([f"{label}\n({plural(count, 'trial')})" for label, count in
                            zip(labels, counts)])
        ax.set_xlim(-0.6, len(categories) - 0.4)
        ax.set_xlabel(f"{name} (black bar: mean over its trials)")
        best_category = pick(range(len(categories)), key=lambda i: means[i])
        summary = (f"best mean {objective} with {name} = {labels[best_category]} "
                   f"({means[best_category]:.4f} over {plural(counts[best_category], 'trial')}); "
                   f"best trial at {_format(values[best])}")
        xs = jitter
    ax.scatter([xs[best]], [scores[best]], marker="*", s=240, color="tab:red", zorder=5,
               label=f"best trial ({scores[best]:.4f})")
    if clipped.any():
        ax.scatter([], [], marker="v", color="tab:gray",
                   label=f"{int(clipped.sum())} trial(s) below the axis, at its edge")
    ax.set_ylim(low, high)
    ax.set_ylabel(objective)
    ax.set_title(f"{objective} against {name} (one point per trial)")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=9, framealpha=0.9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return summary


def _table(rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    return lines + ["| " + " | ".join(row) + " |" for row in rows[1:]]


def write_report(directory: str | os.PathLike) -> Path:
    """Write ``DIR/report/report.md`` and its figures for the search in ``directory``.

    Returns the Markdown file's path. Raises ``FileNotFoundError`` when
    ``directory`` holds no search (no ``search.json``).
    """
    from tfcourse.tuning.final import read_final  # noqa: PLC0415

    directory = Path(directory)
    record_path = directory / "search.json"
    if not record_path.exists():
        raise FileNotFoundError(
            f"{directory} holds no search (no search.json): give the --dir of a search")
    record = _read(record_path)
    settings = record.get("settings", {})
    objective = settings.get("objective", "val_accuracy")
    maximize = not objective.endswith("loss")
    folder = directory / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.png"):
        stale.unlink()
    trials = _trials(directory)
    completed = [t for t in trials if t["status"] == "COMPLETED" and t["score"] is not None]
    failed = [t for t in trials if t["status"] in ("FAILED", "INVALID")]
    final = read_final(directory)
    final_json = final.to_json() if final is not None else None
    search_seconds = sum(run.get("wall_time_s", 0.0) for run in record.get("runs", []))

    lines = [f"# Search report: {directory}", ""]
    lines += [f"Space file `{record.get('space_file')}`; dataset {settings.get('dataset')}; "
              f"{settings.get('tuner')} search, objective {objective}; seed "
              f"{settings.get('seed')}; {len(completed)} trials completed, {len(failed)} "
              f"failed; search wall time {search_seconds:,.1f} s over "
              f"{len(record.get('runs', []))} run(s)."]
    stops = [run["stopped_by_budget"] for run in record.get("runs", [])
             if run.get("stopped_by_budget")]
    if stops:
        lines += ["", f"The search stopped on its {stops[-1]}."]
    lines += ["", "## Result", ""]
    ordered = sorted(completed, key=lambda t: t["score"], reverse=maximize)
    if final is not None:
        lines += [f"Final training of trial {final.trial_id}'s configuration on "
                  f"{final.num_train} examples (training and validation sets) for "
                  f"{plural(final.epochs, 'epoch')} ({final.train_seconds:,.1f} s): "
                  f"**test accuracy "
                  f"{final.test_accuracy:.4f}** (test loss {final.test_loss:.4f}) on "
                  f"{final.num_test} test examples, the test set's only use. Search and final "
                  f"training: {search_seconds + final.wall_time_s:,.1f} s wall time."]
    elif ordered:
        results_path = directory / "results.json"
        results = _read(results_path) if results_path.exists() else {}
        test = results.get("test_accuracy")
        lines += [f"Best trial {ordered[0]['trial_id']}: {objective} "
                  f"{ordered[0]['score']:.4f}" + (f"; its weights reach test accuracy "
                                                  f"{test:.4f}." if test is not None else ".")]
    else:
        lines += ["No trial completed."]

    varying, fixed = _varying(completed)
    if completed:
        lines += ["", f"## Best trials ({min(BEST_TRIALS, len(ordered))} of {len(completed)})",
                  ""]
        header = ["rank", "trial", objective, "best epoch", "seconds", *varying]
        rows = [header]
        for rank, trial in enumerate(ordered[:BEST_TRIALS], start=1):
            seconds = trial["seconds"]
            rows.append([str(rank), trial["trial_id"], f"{trial['score']:.4f}",
                         str(trial["best_epoch"]),
                         "-" if seconds is None else f"{seconds:,.1f}",
                         *(_format(trial["values"].get(name)) for name in varying)])
        lines += _table(rows)
        _trial_figure(folder / "accuracy_vs_trial.png", trials, objective, maximize, final_json)
        lines += ["", "## Accuracy against trial", "",
                  f"![{objective} of each trial](accuracy_vs_trial.png)", "",
                  "Each point is a trial's best epoch; the line is the best score so far."]
        if varying:
            lines += ["", "## Effect of each hyperparameter", "",
                      "One figure per hyperparameter that took several values: each trial's "
                      f"{objective} against its value (other choices vary too, so read a "
                      "trend, not a controlled experiment)."]
        for name in varying:
            summary = _hyperparameter_figure(folder / f"hp_{name}.png", name, completed,
                                             objective, maximize)
            lines += ["", f"### {name}", "", f"![{objective} against {name}](hp_{name}.png)",
                      "", summary[0].upper() + summary[1:] + "."]
    if fixed:
        lines += ["", "## Fixed in every completed trial", ""]
        lines += [f"- {name} = {_format(value)}" for name, value in fixed.items()]
    if failed:
        lines += ["", "## Failed trials", ""]
        for trial in failed:
            message = [line for line in (trial["message"] or "").strip().splitlines()
                       if line.strip()]
            lines += [f"- trial {trial['trial_id']}: {message[-1].strip() if message else ''}"]
    lines += ["", "## TensorBoard", "",
              f"`tfcourse board --logdir {directory / 'tensorboard'}`: one run per trial with "
              "its hyperparameters (HParams tab)" +
              (", and the final training in `final/`." if final is not None else ".")]
    path = (folder / "report").with_suffix(".md")  # DIR/report/report.md
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
