"""Weight initializers of the course: "Xavier", "He" and N(0, stddev).

Seeds 000 (Unit 03) and 001 (lecture 10-2) give the course's numpy rules::

    Xavier:  W = np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)       # std sqrt(1/fan_in)
    He:      W = np.random.randn(fan_in, fan_out) / np.sqrt(fan_in / 2)   # std sqrt(2/fan_in)

Both are *untruncated* normals scaled by fan_in only, so the course's
"Xavier" is what Keras calls LeCun normal (without Keras's truncation), not
Glorot. Seed 002 compares N(0, 0.01) and N(0, 1) weights (``RandomNormal``)
and names ``tf.contrib.layers.xavier_initializer`` and
``tf.keras.initializers.he_*`` as the TF implementations.

One ``convention`` argument selects whose rule is used (reference:
docs/conventions.md section 4):

=========  ==============================================  ==============================================
convention Xavier                                          He
=========  ==============================================  ==============================================
course     N(0, 1/fan_in), untruncated                     N(0, 2/fan_in), untruncated
tf1        contrib ``xavier_initializer(uniform=True)``:   contrib ``variance_scaling_initializer()``:
           U(-L, L), L = sqrt(6/(fan_in+fan_out));         truncated normal, std sqrt(1.3*2/fan_in);
           uniform=False: truncated normal with std        uniform=True: U(-L, L), L = sqrt(6/fan_in)
           sqrt(1.3*2/(fan_in+fan_out))
keras      ``glorot_normal`` (truncated at 2 sigma0,       ``he_normal`` (truncated);
           sigma0 = target/0.8796); uniform=True:          uniform=True: ``he_uniform``
           ``glorot_uniform``
torch      ``xavier_normal_`` N(0, 2/(fan_in+fan_out));    ``kaiming_normal_`` N(0, 2/fan_in);
           uniform=True: ``xavier_uniform_``               uniform=True: ``kaiming_uniform_``
=========  ==============================================  ==============================================

The "1.3" of TF1's contrib initializers is TF1's own correction for the
truncation (Keras uses 1/0.8796**2 = 1.2925), so contrib's truncated normal
has an effective std about 0.3% above its target.

Fans are computed as Keras does (``compute_fans``): a Dense kernel
``(in, out)`` has fan_in = in, fan_out = out; a ConvND kernel
``(k1..kd, in_ch, out_ch)`` has fan_in = in_ch*prod(k), fan_out = out_ch*prod(k).
Seeds 000, 001 and 004 store W as (fan_in, fan_out) (``np.random.randn(fan_in,
fan_out)``, ``tf.random_normal([784, 256])``), the shape of a Keras kernel, so
their W can be used as it is; only Ng's course (seed 003, z = W x) stores the
transpose (fan_out, fan_in).
"""

from __future__ import annotations

import math

import keras

from tfcourse._validation import (
    check_allowed_with,
    check_bool,
    check_choice,
    check_number,
    check_positive,
)

__all__ = ["CONVENTIONS", "He", "RandomNormal", "Xavier", "compute_fans", "get"]

CONVENTIONS = ("course", "tf1", "keras", "torch")

# TF1 contrib's variance_scaling_initializer multiplies the target variance by
# 1.3 before sampling a truncated normal (tensorflow/contrib/layers/python/
# layers/initializers.py).
_CONTRIB_TRUNCATION_FACTOR = 1.3

# (family, convention) -> (scale, mode, distribution when uniform=False,
# distribution when uniform=True, default uniform). None: not defined there.
# "contrib_truncated_normal" is TF1's truncated normal with the 1.3 factor.
_RULES = {
    ("xavier", "course"): (1.0, "fan_in", "untruncated_normal", None, False),
    ("xavier", "tf1"): (1.0, "fan_avg", "contrib_truncated_normal", "uniform", True),
    ("xavier", "keras"): (1.0, "fan_avg", "truncated_normal", "uniform", False),
    ("xavier", "torch"): (1.0, "fan_avg", "untruncated_normal", "uniform", False),
    ("he", "course"): (2.0, "fan_in", "untruncated_normal", None, False),
    ("he", "tf1"): (2.0, "fan_in", "contrib_truncated_normal", "uniform", False),
    ("he", "keras"): (2.0, "fan_in", "truncated_normal", "uniform", False),
    ("he", "torch"): (2.0, "fan_in", "untruncated_normal", "uniform", False),
}


def compute_fans(shape) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a kernel shape, as Keras computes them.

    Dense ``(in, out)`` -> ``(in, out)``; ConvND ``(k1..kd, in_ch, out_ch)`` ->
    ``(in_ch * prod(k), out_ch * prod(k))``; a 1-D shape ``(n,)`` -> ``(n, n)``.
    """
    shape = tuple(int(dim) for dim in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class _VarianceRule(keras.initializers.VarianceScaling):
    """A course/TF1/Keras/torch variance rule, sampled by ``VarianceScaling``.

    Every rule except TF1 contrib's truncated normal is a Keras
    ``VarianceScaling(scale, mode, distribution)``, so sampling is delegated
    to it: with the same seed the values equal the Keras initializer's bit
    for bit.
    """

    _family = ""

    def __init__(self, convention="course", uniform=None, seed=None):
        self.convention = check_choice("convention", convention, CONVENTIONS)
        scale, mode, normal, uniform_distribution, default_uniform = _RULES[
            (self._family, self.convention)
        ]
        if uniform is not None:
            uniform = check_bool("uniform", uniform)
        allowed = [None, False] if uniform_distribution is None else [None, False, True]
        check_allowed_with("uniform", uniform, "convention", self.convention, allowed)
        self.uniform = uniform
        self._distribution = uniform_distribution if (
            default_uniform if uniform is None else uniform
        ) else normal
        super().__init__(
            scale=scale,
            mode=mode,
            # VarianceScaling validates its distribution; the contrib rule is
            # sampled in __call__ below.
            distribution=("truncated_normal" if self._distribution == "contrib_truncated_normal"
                          else self._distribution),
            seed=seed,
        )

    @property
    def distribution_name(self) -> str:
        """The sampled distribution: ``untruncated_normal``, ``truncated_normal``,
        ``contrib_truncated_normal`` (TF1, factor 1.3) or ``uniform``."""
        return self._distribution

    def target_stddev(self, shape) -> float:
        """The standard deviation the rule aims at for a kernel ``shape``."""
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        return math.sqrt(self.scale / max(1.0, fan[self.mode]))

    def __call__(self, shape, dtype=None):
        if self._distribution != "contrib_truncated_normal":
            return super().__call__(shape, dtype=dtype)
        stddev = math.sqrt(_CONTRIB_TRUNCATION_FACTOR) * self.target_stddev(shape)
        return keras.random.truncated_normal(
            shape, mean=0.0, stddev=stddev, dtype=dtype, seed=self.seed
        )

    def get_config(self):
        return {
            "convention": self.convention,
            "uniform": self.uniform,
            "seed": keras.saving.serialize_keras_object(self._init_seed),
        }


@keras.saving.register_keras_serializable(package="tfcourse")
class Xavier(_VarianceRule):
    """The course's "Xavier" initialization, or another framework's reading of it.

    Course rule (seeds 000, 001)::

        W = np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)      # N(0, 1/fan_in)

    This is LeCun normal, untruncated. Glorot & Bengio (2010) average the fans,
    which is what the ``tf1``, ``keras`` and ``torch`` conventions do (see the
    module table).

    Args:
        convention: ``"course"`` (default), ``"tf1"`` (``tf.contrib.layers.
            xavier_initializer``), ``"keras"`` (``glorot_normal`` /
            ``glorot_uniform``) or ``"torch"`` (``xavier_normal_`` /
            ``xavier_uniform_``).
        uniform: ``None`` takes the convention's default (uniform only for
            ``tf1``, as ``xavier_initializer(uniform=True)``); ``True`` or
            ``False`` chooses. The course defines only the normal rule.
        seed: int or ``None``. An int makes the values reproducible: the same
            seed gives the same values on every call, as in Keras.

    Example:

    >>> init = Xavier("course", seed=0)
    >>> layer = keras.layers.Dense(256, kernel_initializer=init)
    """

    _family = "xavier"


@keras.saving.register_keras_serializable(package="tfcourse")
class He(_VarianceRule):
    """The course's He initialization (He et al. 2015), for ReLU networks.

    Course rule (seeds 000, 001)::

        W = np.random.randn(fan_in, fan_out) / np.sqrt(fan_in / 2)  # N(0, 2/fan_in)

    Args:
        convention: ``"course"`` (default, untruncated), ``"tf1"`` (contrib
            ``variance_scaling_initializer()``: truncated normal with TF1's 1.3
            factor; ``uniform=True`` gives U(+-sqrt(6/fan_in))), ``"keras"``
            (``he_normal`` / ``he_uniform``) or ``"torch"`` (``kaiming_normal_``
            / ``kaiming_uniform_`` with the default a=0, mode fan_in).
            ``tf.compat.v1.initializers.he_normal`` follows the Keras rule.
        uniform: ``None`` (the convention's default, normal), ``True`` or ``False``.
        seed: int or ``None``.
    """

    _family = "he"


@keras.saving.register_keras_serializable(package="tfcourse")
class RandomNormal(keras.initializers.RandomNormal):
    """N(mean, stddev**2), untruncated: TF1's ``tf.random_normal`` as a Keras initializer.

    The course's TF1 programs draw weights *and* biases with
    ``tf.random_normal(shape)``, whose stddev defaults to 1.0; seed 002's
    experiment compares N(0, 0.01) with N(0, 1). This class samples exactly
    as ``keras.initializers.RandomNormal(mean, stddev, seed)`` (same values for
    the same seed); only the default differs: Keras defaults to
    ``stddev=0.05``, this class to TF1's ``1.0``.

    Args:
        stddev: standard deviation, > 0. Defaults to ``1.0``.
        mean: mean. Defaults to ``0.0``.
        seed: int or ``None``.
    """

    def __init__(self, stddev=1.0, mean=0.0, seed=None):
        super().__init__(
            mean=check_number("mean", mean),
            stddev=check_positive("stddev", stddev),
            seed=seed,
        )


# Names the model builder and the labs use. Everything else goes to Keras.
_NAMED = {
    "random_normal": lambda seed: RandomNormal(1.0, seed=seed),
    "xavier": lambda seed: Xavier("course", seed=seed),
    "he": lambda seed: He("course", seed=seed),
    **{f"xavier_{c}": (lambda c: lambda seed: Xavier(c, seed=seed))(c) for c in CONVENTIONS},
    **{f"he_{c}": (lambda c: lambda seed: He(c, seed=seed))(c) for c in CONVENTIONS},
}


def get(identifier, seed=None):
    """Return an initializer from a name, a config dict or an initializer.

    Names: ``"random_normal"`` (N(0, 1), TF1's ``tf.random_normal``; note
    that Keras's own ``"random_normal"`` means stddev 0.05), ``"xavier"`` and
    ``"he"`` (course convention), ``"xavier_<convention>"`` and
    ``"he_<convention>"`` for ``course``, ``tf1``, ``keras``, ``torch``; any
    other string is resolved by ``keras.initializers.get`` (``"glorot_uniform"``,
    ``"zeros"`` ...). ``seed`` is applied to named initializers and to Keras
    random initializers given by name.
    """
    if isinstance(identifier, str):
        if identifier in _NAMED:
            return _NAMED[identifier](seed)
        initializer = keras.initializers.get(identifier)
        if seed is not None and "seed" in initializer.get_config():
            initializer = type(initializer).from_config(
                {**initializer.get_config(), "seed": seed}
            )
        return initializer
    return keras.initializers.get(identifier)
