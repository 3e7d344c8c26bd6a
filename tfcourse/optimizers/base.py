"""Shared machinery of the tfcourse optimizers: conventions as data.

Every optimizer in this package is a ``keras.optimizers.Optimizer`` whose update
rule and defaults come from a small table, one row per convention
(``"course"``, ``"tf1"``, ``"keras"``, ``"torch"``; see
``tfcourse.conventions``). A row is a :class:`Convention`: the source it
follows, its defaults, the switches the update step reads (epsilon inside or
outside the square root, learning rate inside or outside the momentum buffer,
initial state...) and the options the source does not have. The update steps
branch only on these Python switches, never on tensor values.

Two kinds of weight decay exist on every optimizer (seed 002 writes the first):

    coupled L2 (``l2=``):        g <- g + l2 * w                 (enters every buffer)
    decoupled (``weight_decay=``): w <- w - lr * weight_decay * w  (before the update)

``l2`` is what ``torch.optim``'s ``weight_decay`` means (except AdamW) and what
adding ``l2/2 * ||w||^2`` to a TF1 loss does; ``weight_decay`` is Keras'
argument of the same name (``exclude_from_weight_decay`` works as in Keras).

Fused kernels: where a convention's rule (with the options given) is exactly
what one of TensorFlow's ``ResourceApply*`` kernels computes,
:meth:`ConventionOptimizer._fused_kernel` names it and ``_fused_update`` calls
it instead of the generic ``keras.ops`` step, on the TensorFlow backend only
(``fused=False`` forces the generic step; the parity suite runs both). The
kernels compute ``1 - beta`` (``1 - rho``) in the variable's dtype from the
rounded beta, where Keras, torch and the course multiply by ``1 - beta``
rounded once: in float32 ``1 - float32(0.999)`` is 0.0009999871, 1.3e-5 away
from 0.001. Outside the ``tf1`` convention (whose rule is the kernel's) a
kernel is therefore used only where both roundings agree in the variable's
dtype (``beta_2=1 - 2**-10`` yes, ``0.999`` in float32 no: the generic step
runs); the ``tf1`` generic step computes ``1 - beta`` as the kernel does.

Sparse gradients (``tf.IndexedSlices``, e.g. from an ``Embedding``; only the
TensorFlow backend makes them) where an id repeats in the batch: each
convention does what its source does (``SPARSE_UPDATES``), on both paths:

    course, torch  summed:  repeated rows summed (the gradient dL/dW), then the
                            dense rule on every row (untouched rows' slots
                            decay and their weights move with momentum); torch's
                            sparse SGD and Adagrad compute exactly this, and
                            torch's other optimizers refuse sparse gradients
                            (the dense gradient of ``nn.Embedding(sparse=False)``
                            gives this result).
    tf1            rows:    repeated rows summed (TF1's
                            ``_deduplicate_indexed_slices``), then TF1's
                            ``SparseApply*`` kernel: only the touched rows of
                            the weights and slots change. Per optimizer, as
                            ``tf.compat.v1.train`` does: Momentum, Nesterov,
                            Adagrad, RMSProp, Adadelta rows; GradientDescent and
                            Adam / AdamW ``summed`` (AdamOptimizer decays m and v
                            and moves every row); Nadam (contrib) ``rows_weights``:
                            m and v on every row, weights on the touched rows.
                            Decoupled decay (contrib's DecoupledWeightDecay
                            Extension) decays the touched rows only.
    keras          keras:   what ``keras.ops`` does with the IndexedSlices in
                            Keras' own update: ``ops.square`` squares each
                            repeated row on its own, so second moments (Adagrad,
                            RMSProp, Adadelta, Adam, AdamW, Nadam) add
                            sum_i g_i^2 where the summed gradient adds
                            (sum_i g_i)^2; first moments and weights see the sum.

With unique ids the three agree except ``rows`` (untouched rows stay put).
Where a sparse TensorFlow kernel computes the convention's result the fused
path uses it (``ResourceSparseApply*``, ``ResourceScatterSub`` for gradient
descent) instead of densifying; where none does, a ``summed`` rule densifies
and runs the dense kernel, and ``keras`` / ``rows_weights`` run the generic
step.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, ClassVar, Mapping

import keras
from keras import ops

from tfcourse._validation import (
    check_bool,
    check_choice,
    check_non_negative,
    check_positive,
    reject_inapplicable,
    reject_legacy_keywords,
    require_value,
)
from tfcourse.conventions import CONVENTIONS, DEFAULT_CONVENTION

REQUIRED = object()
"""Marks a hyperparameter the convention's source has no default for."""

SPARSE_UPDATES = ("summed", "rows", "rows_weights", "keras")
"""What an IndexedSlices gradient means (see the module docstring)."""

CONVENTION_RULES = {
    "course": {"sparse": "summed", "sparse_decay": "all", "complement": "exact"},
    "tf1": {"sparse": "rows", "sparse_decay": "rows", "complement": "in_dtype"},
    "keras": {"sparse": "keras", "sparse_decay": "all", "complement": "exact"},
    "torch": {"sparse": "summed", "sparse_decay": "all", "complement": "exact"},
}
"""Switches every optimizer of a convention shares (a row's ``rule`` overrides them).

``sparse``: one of ``SPARSE_UPDATES``. ``sparse_decay``: decoupled decay on
``all`` rows or on the touched ``rows`` only. ``complement``: ``1 - beta``
rounded once from the exact value (``exact``) or computed in the variable's
dtype from the rounded beta (``in_dtype``, what TF1's kernels do).
"""

# Keywords other APIs use for something this package spells differently.
COMMON_LEGACY_KEYWORDS = {
    "lr": "Use `learning_rate=`.",
    "decay": (
        "Keras 2's `decay=` (learning-rate decay per step) is gone; pass a "
        "keras.optimizers.schedules.InverseTimeDecay as `learning_rate` instead."
    ),
    "eps": "Use `epsilon=` (torch's `eps`).",
    "betas": "Use `beta_1=` and `beta_2=` (torch's `betas=(beta_1, beta_2)`).",
    "beta1": "Use `beta_1=` (TF1's `beta1`).",
    "beta2": "Use `beta_2=` (TF1's `beta2`).",
    "use_locking": "TF1's `use_locking` has no Keras 3 counterpart; remove it.",
    "use_nesterov": (
        "Use tfcourse.optimizers.Nesterov (TF1's MomentumOptimizer(use_nesterov=True))."
    ),
    "nesterov": "Use tfcourse.optimizers.Nesterov instead of a `nesterov` flag.",
    "keep_prob": (
        "`keep_prob` belongs to dropout (tfcourse.layers), not to an optimizer."
    ),
    "maximize": "Minimize the negated loss instead (torch's `maximize=True`).",
}


@dataclasses.dataclass(frozen=True)
class Convention:
    """One row of an optimizer's table: the rule and defaults of one source.

    Attributes:
        source: the API or seed this row follows, for messages and docs.
        defaults: hyperparameter name -> default value; ``REQUIRED`` where the
            source has none. Options listed in ``inapplicable`` map to the
            neutral value the update step uses.
        rule: switches the update step reads (e.g. ``{"epsilon": "inside"}``).
        inapplicable: option name -> why the source lacks it; giving such an
            option raises.
    """

    source: str
    defaults: Mapping[str, Any]
    rule: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    inapplicable: Mapping[str, str] = dataclasses.field(default_factory=dict)


def unit_interval_closed_open(name: str, value: Any) -> float:
    """[0, 1) check for betas, rho and momentum, with the usual hint for 1."""
    from tfcourse._validation import check_unit_interval

    hint = None
    if name == "momentum":
        hint = (
            "Values >= 1 make the velocity grow without bound; typical values are 0.5-0.99"
        )
    return check_unit_interval(name, value, hint=hint)


def non_negative(name: str, value: Any) -> float:
    return check_non_negative(name, value)


def positive(name: str, value: Any) -> float:
    return check_positive(name, value)


def boolean(name: str, value: Any) -> bool:
    return check_bool(name, value)


def _check_learning_rate(value: Any) -> Any:
    if isinstance(value, keras.optimizers.schedules.LearningRateSchedule) or callable(value):
        return value
    return check_positive(
        "learning_rate", value, hint="Pass a positive float or a LearningRateSchedule"
    )


class ConventionOptimizer(keras.optimizers.Optimizer):
    """Base of the tfcourse optimizers (not registered: it has no rule of its own).

    Subclasses set:

    - ``CONVENTIONS``: ``{convention: Convention}``, the table.
    - ``HYPERPARAMETERS``: ``{name: validator(name, value)}`` for every
      hyperparameter besides ``learning_rate`` (booleans included).
    - ``LEGACY_KEYWORDS``: extra ``{keyword: replacement sentence}``.
    - optionally ``_fused_kernel()`` / ``_fused_update()``: the TensorFlow
      kernel that computes the same rule (see below).

    and implement ``build`` (slots) and ``_update(g, variable, lr)`` (the rule,
    with ``g`` already cast, L2 added and decoupled decay applied).

    Common arguments (besides each optimizer's own):
        learning_rate: positive float or ``LearningRateSchedule``; ``None`` takes
            the convention's default (an error where the source has none).
        convention: ``"course"`` (default), ``"tf1"``, ``"keras"`` or ``"torch"``.
        l2: coupled L2 coefficient, ``g <- g + l2 * w`` (seed 002). Defaults to 0.
        weight_decay: Keras' decoupled decay ``w <- w - lr * weight_decay * w``
            before each update; ``None`` (default) for none.
        fused: ``None`` (default) uses a fused TensorFlow kernel when one
            matches the rule (rounding included, see above) and the backend is
            TensorFlow; ``False`` forces the generic ``keras.ops`` step;
            ``True`` requires the fused kernel for dense gradients in floatx
            (a sparse gradient no kernel handles, or a variable of another
            dtype whose rounding differs, still takes the generic step).
        name, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
        ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps: as in ``keras.optimizers.Optimizer``.
    """

    CONVENTIONS: ClassVar[Mapping[str, Convention]] = {}
    HYPERPARAMETERS: ClassVar[Mapping[str, Callable[[str, Any], Any]]] = {}
    LEGACY_KEYWORDS: ClassVar[Mapping[str, str]] = {}

    def __init__(
        self,
        learning_rate: Any,
        hyperparameters: Mapping[str, Any],
        *,
        convention: str = DEFAULT_CONVENTION,
        l2: Any = 0.0,
        weight_decay: Any = None,
        fused: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        owner = type(self).__name__
        reject_legacy_keywords(owner, kwargs, {**COMMON_LEGACY_KEYWORDS, **self.LEGACY_KEYWORDS})
        convention = check_choice("convention", convention, CONVENTIONS)
        row = self.CONVENTIONS[convention]
        context = f"under convention={convention!r} ({row.source})"

        given = {"learning_rate": learning_rate, **hyperparameters}
        if "weight_decay" in row.defaults:
            given["weight_decay"] = weight_decay
        resolved: dict[str, Any] = {}
        for key, value in given.items():
            if key in row.inapplicable:
                reject_inapplicable(key, value, f"{context}: {row.inapplicable[key]}")
                resolved[key] = row.defaults[key]
                continue
            if value is None:
                value = row.defaults.get(key)
            if value is REQUIRED:
                value = None
                require_value(key, value, f"{context}, which requires it")
            if key == "learning_rate":
                resolved[key] = _check_learning_rate(value)
            elif key == "weight_decay":
                resolved[key] = None if value is None else check_non_negative(key, value)
            else:
                resolved[key] = self.HYPERPARAMETERS[key](key, value)
        if "weight_decay" not in row.defaults and weight_decay is not None:
            weight_decay = check_non_negative("weight_decay", weight_decay)
        else:
            weight_decay = resolved.pop("weight_decay", None)

        learning_rate = resolved.pop("learning_rate")
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, name=name, **kwargs
        )
        # Attributes can only be set once the Keras base class is initialized.
        self.convention = convention
        self._row = row
        self._hyperparameter_names = tuple(hyperparameters)
        for key, value in resolved.items():
            setattr(self, key, value)
        self.l2 = check_non_negative("l2", l2)
        self.fused = None if fused is None else check_bool("fused", fused)
        if self.fused:
            self._check_fused_possible()

    # ------------------------------------------------------------------ rule
    @property
    def rule(self) -> Mapping[str, Any]:
        """The switches of the selected convention (read-only)."""
        return {**CONVENTION_RULES[self.convention], **self._row.rule}

    def _constant(self, value: float, dtype: Any) -> Any:
        # Not ops.cast: on TensorFlow, cast(0.999, "float64") passes through
        # float32 and gives 0.99900001 (docs/STYLE.md, "precision trap").
        return ops.convert_to_tensor(value, dtype=dtype)

    def _complement(self, value: float, dtype: Any) -> Any:
        """1 - value, rounded as the convention's source rounds it (``complement``)."""
        if self.rule["complement"] == "in_dtype":
            return ops.subtract(self._constant(1.0, dtype), self._constant(value, dtype))
        return self._constant(1.0 - value, dtype)

    def _step(self, dtype: Any) -> Any:
        """t = 1, 2, ... (``iterations`` counts updates already applied)."""
        return ops.cast(self.iterations + 1, dtype)

    def _add_running_powers(self, var_list, names=("beta_1", "beta_2")) -> None:
        """Slots holding beta^t as TF1 computes it: a product updated each step.

        ``tf.compat.v1.train.AdamOptimizer`` starts ``beta1_power`` at beta_1
        and multiplies it by beta_1 after every update; in float32 that
        running product differs from ``beta_1 ** t`` by a few ulps, which
        Adam's division by sqrt(v) amplifies on near-zero gradients. Keeping
        the same product makes the tf1 convention bit-exact in float32.
        """
        self._running_powers = {
            name: [
                self.add_variable(
                    shape=(), dtype=variable.dtype,
                    # Not keras.initializers.Constant: it casts through float32.
                    initializer=lambda shape, dtype, beta=getattr(self, name): (
                        self._constant(beta, dtype)),
                    name=f"{name}_power",
                )
                for variable in var_list
            ]
            for name in names
        }

    def _powers(self, variable, names=("beta_1", "beta_2")) -> list:
        """beta^t for each name: the running product where the rule keeps one, else pow."""
        if self.rule.get("beta_powers") == "running":
            index = self._get_variable_index(variable)
            return [self._running_powers[name][index] for name in names]
        t = self._step(variable.dtype)
        return [ops.power(self._constant(getattr(self, name), variable.dtype), t) for name in names]

    def _advance_powers(self, variable, names=("beta_1", "beta_2")) -> None:
        if self.rule.get("beta_powers") == "running":
            index = self._get_variable_index(variable)
            for name in names:
                power = self._running_powers[name][index]
                self.assign(power, ops.multiply(power, self._constant(getattr(self, name),
                                                                       variable.dtype)))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        sparse = _is_indexed_slices(gradient)
        g = ops.cast(gradient, dtype)
        if self.l2:
            # g + l2 w is dense: the L2 term's gradient covers every row.
            g = ops.add(_dense(g) if sparse else g,
                        ops.multiply(self._constant(self.l2, dtype), variable))
            sparse = False
        semantics = self._sparse_update() if sparse else None
        if semantics not in (None, "keras"):
            from tfcourse.optimizers import _fused_tf

            g = _fused_tf.deduplicate(g)
        if self.weight_decay and self._use_weight_decay(variable):
            decay = self._constant(self.weight_decay, dtype)
            if self.rule.get("decay_times_learning_rate", True):
                decay = ops.multiply(decay, lr)
            if semantics is not None and self.rule["sparse_decay"] == "rows":
                from tfcourse.optimizers import _fused_tf

                self.assign_sub(variable, _fused_tf.rows_times(decay, variable, g.indices))
            else:
                self.assign_sub(variable, ops.multiply(decay, variable))
        kernel = self._kernel_for(dtype, semantics)
        if kernel is not None:
            from tfcourse.optimizers import _fused_tf

            if semantics is not None and not _fused_tf.is_sparse_kernel(kernel):
                g = _dense(g)
            self._fused_update(kernel, g, variable, lr)
        elif semantics in ("rows", "rows_weights"):
            self._update_rows(g, variable, lr, weights_only=semantics == "rows_weights")
        else:
            self._update(_dense(g) if semantics == "summed" else g, variable, lr)

    def _sparse_update(self) -> str:
        """What an IndexedSlices gradient means under this convention (``SPARSE_UPDATES``)."""
        return self.rule["sparse"]

    def _update_rows(self, g, variable, lr, weights_only=False):
        """The dense rule, then every untouched row (of the weights, and of the
        slots unless ``weights_only``) set back: TF1's ``SparseApply*`` result,
        computed with ``keras.ops`` (the reference path, not a fast one)."""
        index = self._get_variable_index(variable)
        kept = [variable] if weights_only else [variable, *self._slots_of(index)]
        before = [ops.copy(x) for x in kept]  # a read now (convert_to_tensor would alias)
        self._update(_dense(g), variable, lr)
        shape = [-1] + [1] * (len(variable.shape) - 1)
        # The indices are unique here (deduplicated), so the scatter is 1 or 0.
        touched = ops.scatter(ops.expand_dims(g.indices, 1),
                              ops.ones_like(g.indices, dtype=variable.dtype), variable.shape[:1])
        touched = ops.reshape(ops.greater(touched, 0), shape)
        for x, old in zip(kept, before):
            self.assign(x, ops.where(touched, x, old))

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        # Recorded so _update_rows can set the untouched rows of every slot back.
        created = super().add_optimizer_variables(trainable_variables, name, initializer)
        lists = [created] if isinstance(name, str) else list(created)
        if not hasattr(self, "_slot_lists"):
            self._slot_lists = []
        self._slot_lists.extend(lists)
        return created

    def _slots_of(self, index) -> list:
        return [slots[index] for slots in getattr(self, "_slot_lists", [])
                if slots[index] is not None]

    def _update(self, g, variable, lr):  # pragma: no cover - abstract
        raise NotImplementedError

    def _apply_weight_decay(self, variables):
        # Decoupled decay is applied per variable at the start of update_step
        # instead, with the exact (not float32-rounded) coefficient and the
        # convention's scaling; the ordering is the same as Keras' (decay
        # before the update, gradient taken at the pre-decay weights).
        return

    # ----------------------------------------------------------------- fused
    COMPLEMENTS: ClassVar[tuple] = ()
    """Hyperparameters c whose ``1 - c`` the fused kernels compute in the variable's dtype."""

    def _fused_kernel(self, sparse: str | None = None) -> str | None:
        """Name of the TensorFlow kernel that computes exactly this rule, or None.

        ``sparse`` is None for a dense gradient, else the ``SPARSE_UPDATES``
        meaning of an IndexedSlices one (already deduplicated unless
        ``"keras"``); a dense kernel named for a sparse gradient gets it
        densified. Subclasses decide from their rule switches and options; the
        kernels live in ``tfcourse.optimizers._fused_tf`` (imported only when
        used).
        """
        return None

    def _complements_exact(self, dtype: Any) -> bool:
        """Whether the kernels' ``1 - c`` (in ``dtype``) equals ``1 - c`` rounded once."""
        if self.rule["complement"] == "in_dtype" or not self.COMPLEMENTS:
            return True
        import numpy as np

        name = keras.backend.standardize_dtype(dtype)
        if name not in ("float16", "float32", "float64"):
            return False
        cast = np.dtype(name).type
        return all(cast(1.0) - cast(getattr(self, key)) == cast(1.0 - getattr(self, key))
                   for key in self.COMPLEMENTS)

    def _kernel_for(self, dtype: Any, sparse: str | None = None) -> str | None:
        if self.fused is False or keras.backend.backend() != "tensorflow":
            return None
        if not self._complements_exact(dtype):
            return None
        return self._fused_kernel(sparse)

    def _use_fused(self, dtype: Any = None) -> bool:
        """Whether a dense gradient of a ``dtype`` (default floatx) variable takes a kernel."""
        return self._kernel_for(dtype or keras.config.floatx()) is not None

    def _check_fused_possible(self) -> None:
        backend = keras.backend.backend()
        if backend != "tensorflow":
            reject_inapplicable(
                "fused", self.fused,
                f"on the {backend!r} backend: the fused kernels are TensorFlow ops",
            )
        if self._fused_kernel() is None:
            reject_inapplicable(
                "fused", self.fused,
                f"to {type(self).__name__} under convention={self.convention!r} with these "
                "options: no TensorFlow kernel computes this rule (use fused=None or False)",
            )
        floatx = keras.config.floatx()
        if not self._complements_exact(floatx):
            inexact = ", ".join(f"{key}={getattr(self, key)!r}" for key in self.COMPLEMENTS)
            reject_inapplicable(
                "fused", self.fused,
                f"to {type(self).__name__} under convention={self.convention!r} with "
                f"{inexact} in {floatx}: the kernel computes 1 - {self.COMPLEMENTS[-1]} in "
                f"{floatx} from the rounded value, which differs from 1 - "
                f"{self.COMPLEMENTS[-1]} rounded once (use fused=None or False)",
            )

    def _fused_update(self, kernel, g, variable, lr):  # pragma: no cover - abstract
        raise NotImplementedError

    # ---------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        for key in self._hyperparameter_names:
            config[key] = None if key in self._row.inapplicable else getattr(self, key)
        config.update({"convention": self.convention, "l2": self.l2, "fused": self.fused})
        return config


def _is_indexed_slices(gradient) -> bool:
    if keras.backend.backend() != "tensorflow":
        return False  # only TensorFlow has IndexedSlices
    from tfcourse.optimizers import _fused_tf

    return _fused_tf.is_indexed_slices(gradient)


def _dense(gradient):
    """The gradient as a dense tensor (repeated rows of an IndexedSlices summed)."""
    if _is_indexed_slices(gradient):
        from tfcourse.optimizers import _fused_tf

        return _fused_tf.densify(gradient)
    return gradient


def slot_initializer(value: float) -> Callable:
    """An initializer filling a slot with ``value`` in the slot's own dtype.

    ``keras.initializers.Constant`` casts through float32 first, so in float64
    0.1 would start as 0.10000000149 (Keras' own Adagrad does this).
    """

    def initialize(shape, dtype=None):
        return ops.full(shape, ops.convert_to_tensor(value, dtype=dtype), dtype=dtype)

    return initialize
