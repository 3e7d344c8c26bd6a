"""The course's TF1 programs on TensorFlow 2 (issue 5).

* :mod:`tfcourse.compat.v1`: a drop-in ``tensorflow`` for TF1 programs
  (``import tfcourse.compat.v1 as tf``): ``tf.compat.v1`` plus the removed
  ``tf.contrib.layers`` initializers, ``input_data``, ``tf.layers``.
* :func:`run_script`: run an unmodified TF1 file (``import tensorflow as tf``)
  in this process, in its own graph, with its ``tensorflow`` imports resolved
  to :mod:`tfcourse.compat.v1`; ``tfcourse legacy run`` calls it.
* :func:`legacy_graph`: graph mode for one block, eager again afterwards.
* :class:`Trace` / :func:`recording`: what a run did (initial weights,
  mini-batch order, per-step losses), for ``tfcourse compare``.
* :func:`overrides` / ``TFCOURSE_*`` variables: data set, size, step cap,
  seed, initial weights, trace path (:mod:`tfcourse.compat.settings`).

Importing this package is cheap; TensorFlow loads on first use.
"""

from __future__ import annotations

from tfcourse._lazy import lazy_attributes

_EXPORTS = {
    "legacy_graph": "tfcourse.compat.graph",
    "in_legacy_graph": "tfcourse.compat.graph",
    "run_script": "tfcourse.compat.runner",
    "ScriptResult": "tfcourse.compat.runner",
    "original_source": "tfcourse.compat.runner",
    "Trace": "tfcourse.compat.trace",
    "recording": "tfcourse.compat.trace",
    "overrides": "tfcourse.compat.settings",
    "LegacySettings": "tfcourse.compat.settings",
    "UnsupportedSymbolError": "tfcourse.compat.removed",
    "LEGACY_DIR": "tfcourse.compat.programs",
    "legacy_programs": "tfcourse.compat.programs",
    "LegacyProgram": "tfcourse.compat.programs",
}

__all__ = sorted(_EXPORTS)

_SUBMODULES = ("contrib", "graph", "input_data", "layers", "optimizers", "programs", "removed",
               "runner", "session", "settings", "trace", "v1")


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, _SUBMODULES)
