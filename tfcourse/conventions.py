"""The four numerical conventions a tfcourse component can follow.

The course's seeds write each algorithm once; TensorFlow 1, Keras 3 and
PyTorch each implement it with small differences (where epsilon goes, where
the learning rate enters a momentum buffer, initial state, defaults).
``../shared/reference/conventions.md`` measures every difference. Components
that take a ``convention=`` argument accept exactly these names:

- ``"course"``: the formula as the seeds write it, with the seeds' defaults.
- ``"tf1"``: bit-for-bit the rule of the matching ``tf.compat.v1`` API (or the
  TF 1.15 ``tf.contrib`` one where ``tf.compat.v1`` has none).
- ``"keras"``: the rule of the matching Keras 3 built-in.
- ``"torch"``: the rule of the matching ``torch`` API, from its documentation
  and source.

This module is plain Python (no Keras, no TensorFlow), so anything may import it.
"""

from __future__ import annotations

__all__ = ["CONVENTIONS", "DEFAULT_CONVENTION", "DESCRIPTIONS"]

CONVENTIONS = ("course", "tf1", "keras", "torch")
DEFAULT_CONVENTION = "course"

DESCRIPTIONS = {
    "course": "the formula and defaults the course's seeds write",
    "tf1": "the rule and defaults of the matching tf.compat.v1 (or TF 1.15 contrib) API",
    "keras": "the rule and defaults of the matching Keras 3 built-in",
    "torch": "the rule and defaults of the matching torch API",
}
