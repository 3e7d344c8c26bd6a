"""A run's TensorBoard event files after a re-run: removed, or cut back to the epochs kept.

TensorBoard draws every event file of a folder as one curve, in file order.
A run started again into the same folder (a re-run, ``--overwrite``, a
resume after a kill) would add its events after the old ones, and the curves
would jump back to step 0 (a zig-zag). So:

* a run that starts from scratch first removes the run's event files
  (:func:`remove_events`);
* a run that continues after epoch ``E`` (``S`` optimizer steps) first cuts
  the old events back to what those epochs wrote (:func:`truncate_events`):
  epoch-level scalars (tags ``epoch_*``, x = epoch) before ``E``; Keras'
  ``evaluation_*_vs_iterations`` (written at each epoch's end, x = steps)
  up to ``S``; every other tag (x = optimizer step) before ``S``; the
  HParams record of the run (``_hparams_/*``), which the new run writes
  again, not at all. The kept events go, in their order, into one file
  that takes the name of the oldest one, so it is read before the new run's.

The run folder is ``<run>`` with its ``train`` and ``validation`` subfolders
(:func:`tfcourse.monitoring.run_dir`); other subfolders (checkpoints) are
left alone.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["event_files", "remove_events", "truncate_events"]

SUBFOLDERS = ("", "train", "validation")


def event_files(run_dir) -> list[Path]:
    """The event files of ``run_dir`` and its ``train``/``validation`` folders, sorted."""
    files = []
    for sub in SUBFOLDERS:
        folder = Path(run_dir, sub)
        if folder.is_dir():
            files += sorted(p for p in folder.iterdir() if p.is_file() and "tfevents" in p.name)
    return files


def remove_events(run_dir) -> int:
    """Delete the run's event files (a run about to start from scratch); return how many."""
    files = event_files(run_dir)
    for path in files:
        path.unlink()
    return len(files)


def _kept(event, epochs: int, steps: int) -> bool:
    if not event.HasField("summary") or not event.summary.value:
        return True  # file version, session log, graph: no step of a curve
    tag = event.summary.value[0].tag
    if tag.startswith("_hparams_/"):
        return False
    if tag.startswith("epoch_"):
        return event.step < epochs
    if tag.startswith("evaluation_") and tag.endswith("_vs_iterations"):
        return event.step <= steps
    return event.step < steps


def _records(path: Path) -> list[bytes]:
    """The records of an event file; a last record cut short by a kill is dropped."""
    import tensorflow as tf  # noqa: PLC0415

    records = []
    try:
        for record in tf.data.TFRecordDataset(str(path)):
            records.append(record.numpy())
    except tf.errors.DataLossError:
        pass
    return records


def truncate_events(run_dir, epochs: int, steps: int) -> int:
    """Keep only the events of the first ``epochs`` epochs (``steps`` optimizer steps).

    Returns the number of events dropped. See the module docstring for what
    each tag keeps.
    """
    import tensorflow as tf  # noqa: PLC0415
    from tensorboard.compat.proto import event_pb2  # noqa: PLC0415

    dropped = 0
    for sub in SUBFOLDERS:
        folder = Path(run_dir, sub)
        files = [p for p in event_files(run_dir) if p.parent == folder]
        if not files:
            continue
        kept: list[bytes] = []
        for index, path in enumerate(files):
            for record in _records(path):
                event = event_pb2.Event.FromString(record)
                if event.HasField("file_version") and index > 0:
                    continue  # one file, one version header
                if _kept(event, epochs, steps):
                    kept.append(record)
                else:
                    dropped += 1
        target, temporary = files[0], folder / f".tmp-{os.getpid()}-truncated"
        with tf.io.TFRecordWriter(str(temporary)) as writer:
            for record in kept:
                writer.write(record)
        os.replace(temporary, target)
        for path in files[1:]:
            path.unlink()
    return dropped
