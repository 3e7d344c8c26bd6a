"""Summary writers shared by the monitoring callbacks.

Every callback of a run writes into the same ``<run>/train`` folder. One
``tf.summary`` writer per folder keeps all of a run's step-level summaries in
one event file (TensorBoard's reader handles several files per folder, but one
is easier to read back and never interleaves out of order). Writers are
reference-counted: the last callback to finish a run closes the file, so a
long tuning session does not keep one open file per finished trial.
"""

from __future__ import annotations

import os
import threading

import tensorflow as tf

_LOCK = threading.Lock()
_WRITERS: dict[str, list] = {}  # absolute folder -> [writer, number of users]


def acquire(folder: str) -> tf.summary.SummaryWriter:
    """Return the writer for ``folder``, creating it on first use."""
    key = os.path.abspath(os.fspath(folder))
    with _LOCK:
        entry = _WRITERS.get(key)
        if entry is None:
            entry = [tf.summary.create_file_writer(key), 0]
            _WRITERS[key] = entry
        entry[1] += 1
        return entry[0]


def release(folder: str) -> None:
    """Flush the writer of ``folder`` and close it when its last user is done."""
    key = os.path.abspath(os.fspath(folder))
    with _LOCK:
        entry = _WRITERS.get(key)
        if entry is None:
            return
        entry[1] -= 1
        entry[0].flush()
        if entry[1] <= 0:
            entry[0].close()
            del _WRITERS[key]
