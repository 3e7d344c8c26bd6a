"""Argument checks shared by every public constructor and command.

This is the only place error messages are worded, so every message has the
same shape: the argument in backticks, the allowed range in interval notation,
and the value received with ``repr``, plus a hint where a common mistake is
likely::

    ValueError: `beta_1` must be in [0.0, 1.0). Received: beta_1=1.5
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable


class TfcourseError(Exception):
    """Base class of the errors tfcourse raises on purpose.

    Subclasses also derive from the matching built-in (``ValueError``,
    ``FileNotFoundError``...), so ``except ValueError`` keeps working.
    """


class DatasetNotFoundError(TfcourseError, FileNotFoundError):
    """No copy of a dataset could be found or downloaded."""


class DataFileError(TfcourseError, ValueError):
    """A data file exists but is truncated or not in the expected format."""


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    # An infinite end is never attained, so it always gets an open bracket.
    left = "(" if low_open or low == -math.inf else "["
    right = ")" if high_open or high == math.inf else "]"
    low_text = "-inf" if low == -math.inf else repr(float(low))
    high_text = "inf" if high == math.inf else repr(float(high))
    return f"{left}{low_text}, {high_text}{right}"


def _with_hint(message: str, hint: str | None) -> str:
    return f"{message}. {hint}" if hint else message


def check_number(name: str, value: Any) -> float:
    """Return ``value`` as a float, or raise ``TypeError`` naming ``name``.

    Python ints and NumPy scalars are accepted (``momentum=0`` is fine);
    ``bool`` and strings are not.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"`{name}` must be a number. Received: {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    number = float(value)
    if math.isnan(number):
        raise ValueError(f"`{name}` must not be NaN. Received: {name}={value!r}")
    return number


def check_range(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
    hint: str | None = None,
) -> float:
    """Return ``value`` as a float if it lies in the interval, else raise.

    ``low_open``/``high_open`` exclude the end points. The message names the
    argument, the interval and the value received.
    """
    number = check_number(name, value)
    too_low = number <= low if low_open else number < low
    too_high = number >= high if high_open else number > high
    if too_low or too_high:
        interval = _interval(low, high, low_open, high_open)
        raise ValueError(
            _with_hint(
                f"`{name}` must be in {interval}. Received: {name}={value!r}", hint
            )
        )
    return number


def check_positive(name: str, value: Any, hint: str | None = None) -> float:
    """Return ``value`` as a float if it is > 0."""
    return check_range(name, value, 0.0, math.inf, low_open=True, hint=hint)


def check_non_negative(name: str, value: Any, hint: str | None = None) -> float:
    """Return ``value`` as a float if it is >= 0."""
    return check_range(name, value, 0.0, math.inf, hint=hint)


def check_unit_interval(name: str, value: Any, hint: str | None = None) -> float:
    """Return ``value`` as a float if it is in [0, 1) (betas, rho, momentum)."""
    return check_range(name, value, 0.0, 1.0, high_open=True, hint=hint)


def check_int(
    name: str,
    value: Any,
    low: int | None = None,
    high: int | None = None,
    hint: str | None = None,
) -> int:
    """Return ``value`` as an int in [low, high], else raise.

    Floats are refused (``batch_size=32.5`` is a mistake, not a request to
    round), but NumPy integers are accepted.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"`{name}` must be an integer. Received: {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        # integer ends printed as integers (2**63 - 1, not 9.223372036854776e+18)
        interval = (f"{'(-inf' if low is None else f'[{low}'}, "
                    f"{'inf)' if high is None else f'{high}]'}")
        raise ValueError(
            _with_hint(
                f"`{name}` must be an integer in {interval}. Received: {name}={value!r}",
                hint,
            )
        )
    return number


def check_choice(name: str, value: Any, choices: Iterable[str], suggest: bool = False) -> str:
    """Return ``value`` if it is one of ``choices``, else list them.

    ``suggest`` adds the closest choice to the message when one is close
    (a misspelled name: "Did you mean 'mnist_nn_xavier'?").
    """
    choices = list(choices)
    if not isinstance(value, str):
        raise TypeError(
            f"`{name}` must be a string, one of {choices}. Received: {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    if value not in choices:
        hint = None
        if suggest:
            import difflib  # noqa: PLC0415

            close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
            hint = f"Did you mean {close[0]!r}?" if close else None
        raise ValueError(
            _with_hint(f"`{name}` must be one of {choices}. Received: {name}={value!r}", hint))
    return value


def reject_legacy_keywords(
    owner: str, kwargs: dict[str, Any], replacements: dict[str, str]
) -> None:
    """Raise for keywords that older APIs took and this one does not.

    ``replacements`` maps a legacy keyword to a sentence saying what to use
    instead. Keras warns and ignores ``decay=``; tfcourse refuses it so that
    a TF1 habit never changes a result silently.
    """
    for keyword, replacement in replacements.items():
        if keyword in kwargs:
            raise ValueError(
                f"{owner} does not accept `{keyword}` (a legacy keyword). "
                f"{replacement} Received: {keyword}={kwargs[keyword]!r}"
            )


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool (NumPy bools included), else raise ``TypeError``."""
    if isinstance(value, bool) or type(value).__name__ in ("bool", "bool_"):
        return bool(value)
    raise TypeError(
        f"`{name}` must be True or False. Received: {name}={value!r} "
        f"of type {type(value).__name__}"
    )


def check_exactly_one(owner: str, values: dict[str, Any], hint: str | None = None) -> str:
    """Return the one name in ``values`` whose value is not None, else raise.

    ``Dropout(rate=0.5, keep_prob=0.5)`` and ``Dropout()`` both fail with a
    message that lists the alternatives and what was received.
    """
    given = [name for name, value in values.items() if value is not None]
    if len(given) != 1:
        names = " or ".join(f"`{name}`" for name in values)
        received = ", ".join(f"{name}={value!r}" for name, value in values.items())
        raise ValueError(
            _with_hint(f"{owner} needs exactly one of {names}. Received: {received}", hint)
        )
    return given[0]


def check_allowed_with(
    name: str, value: Any, other_name: str, other_value: Any, allowed: Iterable[Any]
) -> Any:
    """Return ``value`` if it is allowed together with ``other_name=other_value``.

    For options whose valid values depend on another option, e.g. ``uniform``
    depends on ``convention`` for initializers.
    """
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(
            f"`{name}` must be one of {allowed} when {other_name}={other_value!r}. "
            f"Received: {name}={value!r}"
        )
    return value


def require_value(name: str, value: Any, context: str) -> None:
    """Raise if a value with no default was left out (``value is None``).

    ``context`` says where there is no default and why, e.g.
    ``"under convention='tf1' (tf.compat.v1.train.MomentumOptimizer requires it)"``.
    """
    if value is None:
        raise ValueError(
            f"`{name}` has no default {context}; pass a value. Received: {name}={value!r}"
        )


def reject_inapplicable(name: str, value: Any, context: str) -> None:
    """Raise if an option that does not exist in the chosen rule was given.

    ``value is None`` means "not given" and passes. ``context`` says where the
    option does not exist and why.
    """
    if value is not None:
        raise ValueError(f"`{name}` does not apply {context}. Received: {name}={value!r}")


def reject_keywords(owner: str, kwargs: dict[str, Any], reasons: dict[str, str]) -> None:
    """Raise for keywords ``owner`` sets itself or does not take (not legacy ones).

    ``reasons`` maps a keyword to a sentence saying why it is refused.
    """
    for keyword, reason in reasons.items():
        if keyword in kwargs:
            raise ValueError(
                f"{owner} does not accept `{keyword}`: {reason} "
                f"Received: {keyword}={kwargs[keyword]!r}"
            )


def file_problem(kind: str, path: Any, problem: str) -> str:
    """The message for a file that cannot be used: ``Cannot load the <kind> <path>: <problem>``.

    Used for checkpoints (and the same shape as saved-model and data-file errors),
    so the user always learns which file and what is wrong with it.
    """
    return f"Cannot load the {kind} {path}: {problem}"


def data_problem(name: str, problem: str, hint: str | None = None) -> str:
    """The message for training data refused before training: ``\\`x\\` <problem>``."""
    return _with_hint(f"`{name}` {problem}", hint)


def non_finite_problem(step: int, epoch: int, loss: Any, layers: list[str],
                       checkpoint: Any = None, quantity: str = "gradients",
                       first_step: int | None = None) -> str:
    """The message when training produced NaN or Inf (step, epoch, layers, checkpoint kept)."""
    if layers:
        where = (f"the {quantity} of layer `{layers[0]}` became non-finite first "
                 f"(non-finite in: {', '.join(layers)})")
    else:
        where = "no layer's gradients were non-finite on this batch (the loss itself overflowed)"
    kept = (f" The last finite checkpoint is kept: {checkpoint}." if checkpoint
            else " No checkpoint was written.")
    steps = (f"step {step}" if first_step in (None, step)
             else f"one of steps {first_step}-{step}")
    return (f"Training stopped at {steps} (epoch {epoch + 1}): the loss is {loss!r}; "
            f"{where}. Lower the learning rate, check the inputs for NaN/Inf or clip the "
            f"gradients.{kept}")
