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
(``fused=False`` forces the generic step; the parity suite runs both).
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
            matches the rule and the backend is TensorFlow; ``False`` forces the
            generic ``keras.ops`` step; ``True`` requires the fused kernel.
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
        return self._row.rule

    def _constant(self, value: float, dtype: Any) -> Any:
        # Not ops.cast: on TensorFlow, cast(0.999, "float64") passes through
        # float32 and gives 0.99900001 (STYLE.md, "precision trap").
        return ops.convert_to_tensor(value, dtype=dtype)

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
        g = ops.cast(gradient, dtype)
        if self.l2:
            g = ops.add(g, ops.multiply(self._constant(self.l2, dtype), variable))
        if self.weight_decay and self._use_weight_decay(variable):
            decay = self._constant(self.weight_decay, dtype)
            if self.rule.get("decay_times_learning_rate", True):
                decay = ops.multiply(decay, lr)
            self.assign_sub(variable, ops.multiply(decay, variable))
        if self._use_fused():
            self._fused_update(g, variable, lr)
        else:
            self._update(g, variable, lr)

    def _update(self, g, variable, lr):  # pragma: no cover - abstract
        raise NotImplementedError

    def _apply_weight_decay(self, variables):
        # Decoupled decay is applied per variable at the start of update_step
        # instead, with the exact (not float32-rounded) coefficient and the
        # convention's scaling; the ordering is the same as Keras' (decay
        # before the update, gradient taken at the pre-decay weights).
        return

    # ----------------------------------------------------------------- fused
    def _fused_kernel(self) -> str | None:
        """Name of the TensorFlow kernel that computes exactly this rule, or None.

        Subclasses decide from their rule switches and options; the kernels
        live in ``tfcourse.optimizers._fused_tf`` (imported only when used).
        """
        return None

    def _use_fused(self) -> bool:
        if self.fused is False or keras.backend.backend() != "tensorflow":
            return False
        return self._fused_kernel() is not None

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

    def _fused_update(self, g, variable, lr):  # pragma: no cover - abstract
        raise NotImplementedError

    # ---------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        for key in self._hyperparameter_names:
            config[key] = None if key in self._row.inapplicable else getattr(self, key)
        config.update({"convention": self.convention, "l2": self.l2, "fused": self.fused})
        return config


def slot_initializer(value: float) -> Callable:
    """An initializer filling a slot with ``value`` in the slot's own dtype.

    ``keras.initializers.Constant`` casts through float32 first, so in float64
    0.1 would start as 0.10000000149 (Keras' own Adagrad does this).
    """

    def initialize(shape, dtype=None):
        return ops.full(shape, ops.convert_to_tensor(value, dtype=dtype), dtype=dtype)

    return initialize
