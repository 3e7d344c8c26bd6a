"""The course's labs, each as its TF1 program, a TF2 port and a Keras version (issue 5).

* :data:`LABS` / :func:`get`: the MNIST series of lecture 10 and seed 004
  (:mod:`tfcourse.labs.registry`), with the course's reported results;
* :func:`run`: one tier of a lab, ``legacy`` (the program through
  :mod:`tfcourse.compat`), ``port`` (:mod:`tfcourse.labs.port`) or ``keras``
  (:mod:`tfcourse.labs.keras_tier`) (``tfcourse run``);
* :func:`compare`: the tiers from the same initial weights and mini-batches,
  per-step and per-epoch (``tfcourse compare``).

Importing this package is cheap; TensorFlow loads when a lab runs.
"""

from __future__ import annotations

from tfcourse._lazy import lazy_attributes
from tfcourse.labs.registry import ALIASES, LABS, TIERS, Lab, get, names

_EXPORTS = {
    "run": "tfcourse.labs.runs",
    "load_data": "tfcourse.labs.runs",
    "TierRun": "tfcourse.labs.runs",
    "compare": "tfcourse.labs.comparison",
    "Comparison": "tfcourse.labs.comparison",
}
# The module is ``comparison``: a submodule named ``compare`` would replace the
# function ``compare`` on the package once imported.
_SUBMODULES = ("comparison", "keras_tier", "port", "registry", "runs")

__all__ = sorted(["ALIASES", "LABS", "TIERS", "Lab", "get", "names", *_EXPORTS])


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, _SUBMODULES)
