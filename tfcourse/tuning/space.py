"""The course's search space, and space files in ``tuning/`` that narrow it (seed 000 homework).

Seed 000's homework: "train on MNIST with suitable activation, initialization
and optimizer, and push the accuracy as high as you can, showing the process".
The course's choices form the space:

    model                      "mlp" (the default) or "cnn" (the lab 11 convolutional nets)
    conv_blocks, filters       1-3 conv blocks; block i has filters * 2**(i-1) filters (32, 64, 128
                               as in lab 11), only for model = cnn, as the names below
    convs_per_block            convolutions per block before its pooling (lab 11: 1; VGG: 2)
    kernel_size, strides       square kernels (3 or 5) and the convolutions' stride
    padding, pool              SAME or VALID; 2 x 2 max pooling after each block or none
    conv_dropout               the fraction dropped after each conv block
    random_flip, random_shift  data augmentation during training (the homework's "as high as you
                               can"): mirror left-right, shift by up to a fraction of the image
    num_layers, units          depth and width of the MLP (every hidden layer has `units` units);
                               for a cnn, its dense head (0 layers: straight to the logits)
    activation                 sigmoid, tanh, relu, leaky_relu, elu, maxout (seed 000, Unit 02)
    maxout_pieces              pieces per Maxout unit (only when activation = maxout)
    initializer                random_normal N(0, 1), xavier, he (course rules, seed 000)
    batch_norm, dropout        on/off and the dropped fraction (seeds 000, 001)
    optimizer, convention      every tfcourse optimizer; whose rule (course, tf1, keras, torch)
    learning_rate, schedule    alpha_0 = 10^U(-6, -2) (seed 001) and a seed 003 decay rule
    batch_size, epochs         through ``HyperModel.fit`` (seed 003: mini-batches of 64-512)
    weight_decay               lambda = 10^U(-8, -4) (seed 001) of seed 002's
                               W <- W - lr (dL/dW + lambda W) (``MLPSpec.weight_decay``)

Seed 001's search ("적절한 하이퍼 파라미터 값 찾기") draws
``weight_decay = 10 ** np.random.uniform(-8, -4)`` and
``lr = 10 ** np.random.uniform(-6, -2)``: log-uniform sampling over those
ranges, which ``sampling = "log"`` is. Its best five trials had lr 0.0052 to
0.0096 and weight decay 3.9e-7 to 1.4e-5.

A space file narrows it so that a search is reproducible from the repository.
TOML (``tuning/fashion_mnist.toml``) or YAML, with two tables::

    [search]                      # defaults for the command's flags (flags win)
    dataset = "fashion_mnist"
    tuner = "random"
    max_trials = 20

    [space]                       # only the names given change; the rest keep the course's range
    num_layers = [1, 2, 3]                           # a list: a choice
    initializer = "he"                               # a scalar: fixed
    dropout = { min = 0.0, max = 0.5, step = 0.1 }   # a range (int if all ints)
    learning_rate = { min = 1e-4, max = 1e-2, sampling = "log" }

A value outside the course's range (an activation the course lacks, a negative
dropout) or an unknown name is refused with the allowed values.

A space that cannot be a cnn (``model`` fixed to ``"mlp"``, the default) declares
neither ``model`` nor the conv names, so MLP searches draw the same trials and
keep the fingerprint they had before the conv names existed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any, Mapping

from tfcourse._validation import check_choice, check_int, check_range

__all__ = [
    "ACTIVATIONS",
    "CONVENTIONS",
    "CONV_NAMES",
    "INITIALIZERS",
    "MODELS",
    "SCHEDULES",
    "SEARCH_KEYS",
    "TUNERS",
    "Boolean",
    "Choice",
    "Fixed",
    "FloatRange",
    "IntRange",
    "SearchSpace",
    "course_space",
    "load_space_file",
]

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "maxout")
INITIALIZERS = ("random_normal", "xavier", "he")
CONVENTIONS = ("course", "tf1", "keras", "torch")
SCHEDULES = ("constant", "inverse_time", "exponential", "inverse_sqrt_epoch", "inverse_sqrt_step",
             "staircase")
TUNERS = ("random", "bayesian", "hyperband")
MODELS = ("mlp", "cnn")
PADDINGS = ("same", "valid")
#: The names that only a cnn uses (declared under ``model = "cnn"``).
CONV_NAMES = ("conv_blocks", "filters", "kernel_size", "strides", "padding", "pool",
              "conv_dropout", "random_flip", "random_shift", "convs_per_block")

#: Keys a space file's ``[search]`` table may set, with their meaning.
SEARCH_KEYS = {
    "dataset": "mnist, fashion_mnist or synthetic",
    "tuner": "random, bayesian or hyperband",
    "max_trials": "how many trials at most (random and bayesian)",
    "objective": "the metric to optimize, e.g. val_accuracy",
    "seed": "seed of the oracle and of every model",
    "validation_split": "fraction of the training set held out for validation",
    "patience": "early-stopping patience in epochs",
    "num_train": "keep only the first examples of the training set",
    "num_test": "keep only the first examples of the test set",
    "max_params": "a model with more trainable parameters fails its trial",
    "hyperband_factor": "Hyperband's reduction factor",
    "time_budget": "seconds for the search and the final training together: no trial starts "
                   "that would not leave time for both",
    "final_training": "after the search, train the best configuration on the whole training "
                      "set and evaluate it once on the test set",
}


# ----------------------------------------------------------------------------
# One hyperparameter's domain
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Choice:
    """One of ``values`` (KerasTuner ``hp.Choice``); the first is the default."""

    values: tuple
    default: Any = None

    def declare(self, hp, name):
        default = self.default if self.default in self.values else None
        return hp.Choice(name, list(self.values), ordered=_is_numeric(self.values),
                         default=default)

    def candidates(self):
        return list(self.values)

    def to_json(self):
        return {"choice": list(self.values), "default": self.default}


@dataclasses.dataclass(frozen=True)
class IntRange:
    """An integer in [min_value, max_value] (``hp.Int``)."""

    min_value: int
    max_value: int
    step: int = 1
    sampling: str = "linear"

    def declare(self, hp, name):
        return hp.Int(name, self.min_value, self.max_value, step=self.step,
                      sampling=self.sampling)

    def candidates(self):
        if self.sampling == "log":
            values, value = [], self.min_value
            while value <= self.max_value:
                values.append(value)
                value *= self.step
            return values
        return list(range(self.min_value, self.max_value + 1, self.step))

    def to_json(self):
        return {"int": [self.min_value, self.max_value], "step": self.step,
                "sampling": self.sampling}


@dataclasses.dataclass(frozen=True)
class FloatRange:
    """A float in [min_value, max_value] (``hp.Float``), optionally on a grid of ``step``."""

    min_value: float
    max_value: float
    step: float | None = None
    sampling: str = "linear"
    default: float | None = None

    def declare(self, hp, name):
        default = (self.default if self.default is not None
                   and self.min_value <= self.default <= self.max_value else None)
        return hp.Float(name, self.min_value, self.max_value, step=self.step,
                        sampling=self.sampling, default=default)

    def candidates(self):
        return [self.min_value, self.max_value]

    def to_json(self):
        return {"float": [self.min_value, self.max_value], "step": self.step,
                "sampling": self.sampling, "default": self.default}


@dataclasses.dataclass(frozen=True)
class Boolean:
    """True or False (``hp.Boolean``); ``default`` False unless given."""

    default: bool = False

    def declare(self, hp, name):
        return hp.Boolean(name, default=self.default)

    def candidates(self):
        return [False, True]

    def to_json(self):
        # the default only when True: spaces written before it existed keep their fingerprint
        return {"boolean": True, **({"default": True} if self.default else {})}


@dataclasses.dataclass(frozen=True)
class Fixed:
    """A single value (``hp.Fixed``): the dimension is not searched."""

    value: Any

    def declare(self, hp, name):
        return hp.Fixed(name, self.value)

    def candidates(self):
        return [self.value]

    def to_json(self):
        return {"fixed": self.value}


def _is_numeric(values) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


# ----------------------------------------------------------------------------
# The course's space and the limits a file may narrow it within
# ----------------------------------------------------------------------------

# name -> (kind, limits): "choice" lists the allowed values; "int"/"float"
# give the interval a range or a value must lie in.
_LIMITS: dict[str, tuple[str, Any]] = {
    "model": ("choice", MODELS),
    "conv_blocks": ("int", (1, 3)),
    "filters": ("int", (1, 1024)),
    "kernel_size": ("int", (1, 11)),
    "strides": ("int", (1, 4)),
    "padding": ("choice", PADDINGS),
    "pool": ("bool", None),
    "conv_dropout": ("float", (0.0, 0.95)),
    "num_layers": ("int", (0, 16)),
    "units": ("int", (1, 8192)),
    "activation": ("choice", ACTIVATIONS),
    "maxout_pieces": ("int", (1, 8)),
    "initializer": ("choice", INITIALIZERS),
    "batch_norm": ("bool", None),
    "dropout": ("float", (0.0, 0.95)),
    "optimizer": ("choice", None),  # tfcourse.optimizers.ALL, read when needed
    "convention": ("choice", CONVENTIONS),
    "learning_rate": ("float", (1e-7, 10.0)),
    "schedule": ("choice", SCHEDULES),
    "batch_size": ("int", (1, 65536)),
    "epochs": ("int", (1, 1000)),
    "weight_decay": ("float", (0.0, 1.0)),
    # Last, so that the names above draw the same random values as before these existed.
    "random_flip": ("bool", None),
    "random_shift": ("float", (0.0, 0.45)),
    "convs_per_block": ("int", (1, 3)),
}

#: The order hyperparameters are declared in, and the only names a file may use.
NAMES = tuple(_LIMITS)


def _optimizer_names() -> tuple[str, ...]:
    from tfcourse import optimizers  # noqa: PLC0415  (imports keras)

    return tuple(optimizers.ALL)


def course_space() -> "SearchSpace":
    """The whole space of the course's choices (seed 000's homework, seed 003's schedules).

    The default point (what a first Bayesian trial and the objective check use)
    is the course's recommendation: 2 x 256 ReLU units, He initialization, Adam
    at 1e-3, mini-batches of 128, weight decay 10^-8 (the bottom of seed 001's
    range). Ranges from the seeds: learning rate 10^U(-6, -2) and weight decay
    10^U(-8, -4) (seed 001), mini-batches 64, 128, 256, 512 (seed 003:
    "typical mini-batch sizes").
    """
    return SearchSpace({
        "model": Fixed("mlp"),
        # lab 11's nets: 3 x 3 kernels, SAME, 2 x 2 max pooling, 32 then 64 (then 128) filters
        "conv_blocks": IntRange(1, 3),
        "filters": Choice((16, 32, 64), default=32),
        "kernel_size": Choice((3, 5), default=3),
        "strides": Choice((1, 2), default=1),
        "padding": Choice(PADDINGS, default="same"),
        "pool": Boolean(default=True),
        "conv_dropout": FloatRange(0.0, 0.5, step=0.1),
        "num_layers": IntRange(1, 4),
        "units": Choice((64, 128, 256, 512, 1024), default=256),
        "activation": Choice(ACTIVATIONS, default="relu"),
        "maxout_pieces": IntRange(2, 4),
        "initializer": Choice(INITIALIZERS, default="he"),
        "batch_norm": Boolean(),
        "dropout": FloatRange(0.0, 0.5, step=0.1),
        "optimizer": Choice(_optimizer_names(), default="adam"),
        "convention": Fixed("course"),
        "learning_rate": FloatRange(1e-6, 1e-2, sampling="log", default=1e-3),
        "schedule": Choice(SCHEDULES),
        "batch_size": Choice((64, 128, 256, 512), default=128),
        "epochs": Fixed(20),
        "weight_decay": FloatRange(1e-8, 1e-4, sampling="log", default=1e-8),
        # Augmentation is not in the course: off unless a space file turns it on
        # (ConvSpec.random_flip / random_shift).
        "random_flip": Fixed(False),
        "random_shift": Fixed(0.0),
        # lab 11's blocks have one convolution; a file may ask for VGG's two
        "convs_per_block": Fixed(1),
    })


class SearchSpace:
    """The resolved search space: one domain per name of ``NAMES``.

    ``declare(hp)`` registers the hyperparameters with KerasTuner in a fixed
    order and returns the active values as a dict (``maxout_pieces`` only
    when the activation is ``maxout``; ``model`` and the conv names only in
    a space that can be a cnn, the conv names only when the model is one).
    """

    def __init__(self, domains: Mapping[str, Any]):
        missing = [name for name in NAMES if name not in domains]
        unknown = [name for name in domains if name not in NAMES]
        if missing or unknown:
            raise ValueError(
                f"A search space needs exactly the names {list(NAMES)}. "
                f"Received: missing={missing}, unknown={unknown}"
            )
        self.domains = {name: domains[name] for name in NAMES}

    @property
    def can_be_cnn(self) -> bool:
        """Whether ``model`` may be ``"cnn"`` (then ``model`` and the conv names are declared)."""
        return "cnn" in self.domains["model"].candidates()

    def active_names(self) -> list[str]:
        """The names this space declares (all but ``model`` and the conv names for an MLP space)."""
        if self.can_be_cnn:
            return list(NAMES)
        return [name for name in NAMES if name != "model" and name not in CONV_NAMES]

    def narrowed(self, overrides: Mapping[str, Any], source: str = "the space") -> "SearchSpace":
        """A copy with the domains of ``overrides`` (raw file values) replaced.

        A space fixed to ``model = "cnn"`` whose activations were not given
        drops ``maxout`` (a dense-layer unit with no convolutional form);
        one that lists ``maxout`` itself is refused.
        """
        domains = dict(self.domains)
        for name, raw in overrides.items():
            domain = parse_domain(name, raw, source)
            previous = domains.get(name)
            # Keep the course's default point where the narrowed domain still holds it.
            if isinstance(domain, Choice) and isinstance(previous, Choice) \
                    and previous.default in domain.values:
                domain = dataclasses.replace(domain, default=previous.default)
            if isinstance(domain, FloatRange) and isinstance(previous, FloatRange) \
                    and previous.default is not None \
                    and domain.min_value <= previous.default <= domain.max_value:
                domain = dataclasses.replace(domain, default=previous.default)
            domains[name] = domain
        if domains["model"].candidates() == ["cnn"] \
                and "maxout" in domains["activation"].candidates():
            if "activation" in overrides:
                allowed = [name for name in ACTIVATIONS if name != "maxout"]
                raise ValueError(
                    f"`activation` 'maxout' has no convolutional form, and {source} fixes "
                    f"model = 'cnn'. Allowed activations: {allowed}. "
                    f"Received: activation={overrides['activation']!r}")
            values = tuple(name for name in domains["activation"].candidates() if name != "maxout")
            domains["activation"] = Choice(values, default="relu")
        return SearchSpace(domains)

    def declare(self, hp) -> dict[str, Any]:
        values = {}
        cnn = self.can_be_cnn
        for name in self.active_names():
            domain = self.domains[name]
            if name == "maxout_pieces":
                continue
            if name in CONV_NAMES:
                with hp.conditional_scope("model", ["cnn"]):
                    value = domain.declare(hp, name)
                if values["model"] == "cnn":
                    values[name] = value
                continue
            values[name] = domain.declare(hp, name)
            if name == "activation" and "maxout" in domain.candidates():
                with hp.conditional_scope("activation", ["maxout"]):
                    pieces = self.domains["maxout_pieces"].declare(hp, "maxout_pieces")
                if values["activation"] == "maxout":
                    values["maxout_pieces"] = pieces
        if cnn and values["model"] == "cnn":
            values.pop("maxout_pieces", None)
        return values

    def defaults(self) -> dict[str, Any]:
        """The values a first trial with nothing searched yet would use."""
        import keras_tuner  # noqa: PLC0415

        return self.declare(keras_tuner.HyperParameters())

    def to_json(self) -> dict[str, Any]:
        """The domains of :meth:`active_names` (an MLP space: as before the conv names existed)."""
        return {name: self.domains[name].to_json() for name in self.active_names()}

    def fingerprint(self, **settings: Any) -> str:
        """A SHA-256 of the resolved space plus ``settings`` (dataset, tuner, objective...)."""
        blob = json.dumps({"space": self.to_json(), "settings": settings},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def __eq__(self, other):
        return isinstance(other, SearchSpace) and self.to_json() == other.to_json()

    def __repr__(self):
        return f"SearchSpace({self.to_json()})"


# ----------------------------------------------------------------------------
# Parsing a file's values
# ----------------------------------------------------------------------------


def _check_value(name: str, value: Any, label: str) -> Any:
    kind, limits = _LIMITS[name]
    if kind == "choice":
        allowed = _optimizer_names() if name == "optimizer" else limits
        return check_choice(label, value, allowed)
    if kind == "bool":
        if not isinstance(value, bool):
            raise TypeError(
                f"`{label}` must be true or false. Received: {label}={value!r} "
                f"of type {type(value).__name__}"
            )
        return value
    low, high = limits
    if kind == "int":
        return check_int(label, value, low, high)
    return check_range(label, value, low, high)


def parse_domain(name: str, raw: Any, source: str = "the space") -> Any:
    """Turn a file's value for ``name`` into a domain, checking the course's limits."""
    if name not in _LIMITS:
        raise ValueError(
            f"Unknown hyperparameter {name!r} in {source}. Allowed names: {list(NAMES)}"
        )
    kind = _LIMITS[name][0]
    label = f"{name}"
    if isinstance(raw, list):
        if not raw:
            raise ValueError(f"`{label}` must list at least one value. Received: {label}=[]")
        values = tuple(_check_value(name, v, f"{label}[{i}]") for i, v in enumerate(raw))
        if len(set(values)) != len(values):
            raise ValueError(f"`{label}` lists a value twice. Received: {label}={raw!r}")
        if kind == "bool" and set(values) == {False, True}:
            return Boolean()
        return Fixed(values[0]) if len(values) == 1 else Choice(values)
    if isinstance(raw, Mapping):
        return _parse_range(name, kind, dict(raw), label)
    return Fixed(_check_value(name, raw, label))


def _parse_range(name: str, kind: str, raw: dict, label: str) -> Any:
    allowed_keys = {"min", "max", "step", "sampling"}
    unknown = sorted(set(raw) - allowed_keys)
    if unknown or "min" not in raw or "max" not in raw:
        raise ValueError(
            f"A range for `{label}` needs `min` and `max` (and optionally `step`, "
            f"`sampling`). Received: {label}={raw!r}"
        )
    if kind not in ("int", "float"):
        raise ValueError(
            f"`{label}` takes a value or a list of values, not a range. Received: {label}={raw!r}"
        )
    sampling = check_choice(f"{label}.sampling", raw.get("sampling", "linear"),
                            ("linear", "log", "reverse_log"))
    low = _check_value(name, raw["min"], f"{label}.min")
    high = _check_value(name, raw["max"], f"{label}.max")
    check_range(f"{label}.max", high, low, math.inf,
                hint=f"It must not be below {label}.min")
    step = raw.get("step")
    if sampling != "linear" and low <= 0:
        raise ValueError(
            f"`{label}.min` must be > 0 for sampling={sampling!r}. Received: {label}.min={low!r}"
        )
    integer = kind == "int"
    if integer:
        step = check_int(f"{label}.step", 1 if step is None else step, 1)
        return IntRange(int(low), int(high), step, sampling)
    if step is not None:
        step = check_range(f"{label}.step", step, 0.0, math.inf, low_open=True)
    return FloatRange(float(low), float(high), step, sampling)


# ----------------------------------------------------------------------------
# Space files
# ----------------------------------------------------------------------------


def _read_mapping(path: Path) -> dict:
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            import tomllib  # noqa: PLC0415
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib  # noqa: PLC0415
        with open(path, "rb") as handle:
            try:
                return tomllib.load(handle)
            except tomllib.TOMLDecodeError as error:
                raise ValueError(f"{path} is not valid TOML: {error}") from error
    if suffix in (".yaml", ".yml"):
        try:
            import yaml  # noqa: PLC0415
        except ModuleNotFoundError as error:
            raise ModuleNotFoundError(
                f"Reading {path} needs PyYAML (pip install pyyaml), or write the space as TOML"
            ) from error
        with open(path, encoding="utf-8") as handle:
            try:
                content = yaml.safe_load(handle)
            except yaml.YAMLError as error:
                raise ValueError(f"{path} is not valid YAML: {error}") from error
        if content is None:
            return {}
        if not isinstance(content, dict):
            raise ValueError(f"{path} must hold a mapping with `search` and `space` tables")
        return content
    raise ValueError(
        f"`space` must be a .toml, .yaml or .yml file. Received: space={str(path)!r}"
    )


def load_space_file(path: str | os.PathLike) -> tuple[SearchSpace, dict[str, Any]]:
    """Read a space file: the course space narrowed by ``[space]``, and ``[search]``.

    Returns ``(space, search_settings)``. Raises ``FileNotFoundError`` for a
    missing file and ``ValueError`` for unknown tables, names or values.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Space file not found: {path}")
    content = _read_mapping(path)
    unknown_tables = sorted(set(content) - {"search", "space"})
    if unknown_tables:
        raise ValueError(
            f"{path} may hold only the tables ['search', 'space']. Received: {unknown_tables}"
        )
    search = dict(content.get("search") or {})
    unknown_keys = sorted(set(search) - set(SEARCH_KEYS))
    if unknown_keys:
        raise ValueError(
            f"Unknown key(s) {unknown_keys} in the [search] table of {path}. "
            f"Allowed keys: {sorted(SEARCH_KEYS)}"
        )
    space = course_space().narrowed(content.get("space") or {}, source=str(path))
    return space, search
