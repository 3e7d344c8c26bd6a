"""The four numerical conventions a tfcourse component can follow.

The course's seeds write each algorithm once; TensorFlow 1, Keras 3 and
PyTorch each implement it with small differences (where epsilon goes, where
the learning rate enters a momentum buffer, initial state, defaults).
``docs/conventions.md`` measures every difference. Components
that take a ``convention=`` argument accept exactly these names:

- ``"course"``: the formula as the seeds write it, with the seeds' defaults.
- ``"tf1"``: bit-for-bit the rule of the matching ``tf.compat.v1`` API (or the
  TF 1.15 ``tf.contrib`` one where ``tf.compat.v1`` has none).
- ``"keras"``: the rule of the matching Keras 3 built-in.
- ``"torch"``: the rule of the matching ``torch`` API, from its documentation
  and source.

``SPARSE_GRADIENTS`` says what each convention does with a sparse gradient
(``tf.IndexedSlices`` from an ``Embedding``) whose ids repeat in a batch, and
``DEPARTURES`` lists every measured place where a tfcourse component does
not reproduce its reference to the last bit, with the cause, the size and the
test that pins the bound. Components not listed there match their reference
bit for bit in float32 or within float64 rounding (the parity tests).

This module is plain Python (no Keras, no TensorFlow), so anything may import it.
"""

from __future__ import annotations

__all__ = ["CONVENTIONS", "DEFAULT_CONVENTION", "DEPARTURES", "DESCRIPTIONS",
           "SPARSE_GRADIENTS"]

CONVENTIONS = ("course", "tf1", "keras", "torch")
DEFAULT_CONVENTION = "course"

DESCRIPTIONS = {
    "course": "the formula and defaults the course's seeds write",
    "tf1": "the rule and defaults of the matching tf.compat.v1 (or TF 1.15 contrib) API",
    "keras": "the rule and defaults of the matching Keras 3 built-in",
    "torch": "the rule and defaults of the matching torch API",
}

SPARSE_GRADIENTS = {
    "course": "repeated rows summed (the gradient dL/dW), then the dense rule on every row",
    "tf1": "repeated rows summed, then TF1's SparseApply* kernel: only the touched rows move "
           "(Momentum, Nesterov, Adagrad, RMSProp, Adadelta); AdamOptimizer moves every row; "
           "contrib Nadam updates m, v on every row and the weights on the touched rows; "
           "contrib decoupled decay decays the touched rows",
    "keras": "the IndexedSlices through keras.ops as Keras' own update does: ops.square squares "
             "each repeated row, so second moments add sum g_i^2 where the dense rule adds "
             "(sum g_i)^2",
    "torch": "repeated rows summed, then the dense rule (torch's sparse SGD and Adagrad compute "
             "this; its other optimizers refuse sparse gradients)",
}
"""Convention -> what a sparse gradient with repeated ids means (tests/test_optimizers_sparse.py)."""

DEPARTURES = (
    {
        "component": "Adam, AdamW (keras convention, float64)",
        "reference": "keras.optimizers.Adam / AdamW on the TensorFlow backend",
        "cause": "Keras raises ops.cast(beta, 'float64') to the power t, and TensorFlow casts a "
                 "Python float through float32 (0.999 -> 0.99900001287); tfcourse keeps the "
                 "exact betas (m and v use the exact 1 - beta in both)",
        "size": "2.34e-6 max |w| difference after 24 steps at lr 0.05 (defaults 0.9 / 0.999)",
        "bound": 3e-6,
        "test": "tests/test_optimizers.py::test_keras_adam_float64_rounds_its_betas_through_float32",
    },
    {
        "component": "Nadam (keras convention)",
        "reference": "keras.optimizers.Nadam",
        "cause": "Keras casts its constant 0.96 through float32 in mu_t, mu_{t+1} (not in its "
                 "running product); tfcourse folds lr and the momentum-cache coefficients "
                 "into two scalars (float32 rounding of the same formula)",
        "size": "< 1e-7 relative in float64; 1.9e-6 max |w| difference after 24 float32 steps",
        "bound": 1e-7,
        "test": "tests/test_optimizers.py::test_keras_nadam_reference_with_its_float32_constant",
    },
    {
        "component": "RMSProp (tf1 convention, float32, generic path)",
        "reference": "ResourceApplyRMSProp (tf.compat.v1.train.RMSPropOptimizer)",
        "cause": "the kernel updates ms += (g^2 - ms)(1 - rho); the generic step computes "
                 "rho ms + (1 - rho) g^2 (Keras' form): float32 rounding of one formula",
        "size": "1.2e-7 max |w| difference after 24 float32 steps (fused path: bit-exact)",
        "bound": None,
        "test": "tests/test_optimizers.py::test_tf1_convention_matches_tf_compat_v1_train",
    },
    {
        "component": "fused kernels outside tf1 (Adam, AdamW, RMSProp, Adadelta)",
        "reference": "the convention's rule (keras.optimizers for keras)",
        "cause": "TensorFlow's kernels compute 1 - beta in the variable's dtype from the rounded "
                 "beta: 1 - float32(0.999) = 0.0009999871 vs float32(0.001) (1.3e-5 relative), "
                 "which made fused Adam drift 2.6e-6 from Keras in float32 (3.5e-5 under "
                 "mixed precision). Removed: a kernel runs only where both roundings agree in "
                 "the variable's dtype, else the generic step (bit-exact with Keras in float32)",
        "size": "0 (float32, Keras defaults, 24 steps)",
        "bound": 0.0,
        "test": "tests/test_optimizers.py::test_keras_defaults_in_float32_equal_keras_bit_for_bit",
    },
)
"""Every measured departure from a reference, with cause, size and the test pinning it."""
