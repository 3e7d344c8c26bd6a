"""Construction, defaults, bad input and the registry of tfcourse.optimizers."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest

from tfcourse import optimizers

NAMES = list(optimizers.ALL)

KERAS_BUILTIN = {"gradient_descent": "SGD", "momentum": "SGD", "nesterov": "SGD",
                 "adagrad": "Adagrad", "rmsprop": "RMSprop", "adadelta": "Adadelta",
                 "adam": "Adam", "nadam": "Nadam", "adamw": "AdamW"}
TF1_CLASS = {"gradient_descent": "GradientDescentOptimizer", "momentum": "MomentumOptimizer",
             "nesterov": "MomentumOptimizer", "adagrad": "AdagradOptimizer",
             "rmsprop": "RMSPropOptimizer", "adadelta": "AdadeltaOptimizer",
             "adam": "AdamOptimizer"}
TF1_RENAMES = {"learning_rate": "learning_rate", "beta1": "beta_1", "beta2": "beta_2",
               "epsilon": "epsilon", "rho": "rho", "decay": "rho", "momentum": "momentum",
               "initial_accumulator_value": "initial_accumulator_value", "centered": "centered"}
REQUIRED = {("gradient_descent", "tf1"): ["learning_rate"],
            ("momentum", "tf1"): ["learning_rate", "momentum"],
            ("nesterov", "tf1"): ["learning_rate", "momentum"],
            ("nesterov", "torch"): ["momentum"],
            ("adagrad", "tf1"): ["learning_rate"], ("rmsprop", "tf1"): ["learning_rate"],
            ("adamw", "tf1"): ["weight_decay"]}


def _minimal(name, convention):
    return {key: 0.5 for key in REQUIRED.get((name, convention), [])}


def test_registry_lists_the_nine_course_optimizers():
    assert NAMES == ["gradient_descent", "momentum", "nesterov", "adagrad", "rmsprop",
                     "adadelta", "adam", "nadam", "adamw"]
    for name, cls in optimizers.ALL.items():
        assert issubclass(cls, keras.optimizers.Optimizer)
        assert isinstance(optimizers.get(name), cls)
        assert list(inspect.signature(cls).parameters)[0] == "learning_rate"
    assert isinstance(optimizers.get("SGD"), optimizers.GradientDescent)
    assert isinstance(optimizers.get("nag"), optimizers.Nesterov)
    assert set(optimizers.__all__) >= {cls.__name__ for cls in optimizers.ALL.values()}


def test_get_rejects_an_unknown_name():
    with pytest.raises(ValueError, match=r"`name` must be one of \[.*'adam'.*\]. "
                                         r"Received: name='adamax'"):
        optimizers.get("adamax")


@pytest.mark.parametrize("name", NAMES)
def test_keras_convention_defaults_are_the_keras_builtin_defaults(name):
    ours = optimizers.get(name, convention="keras").get_config()
    theirs = getattr(keras.optimizers, KERAS_BUILTIN[name])().get_config()
    shared = set(ours) & set(theirs) - {"name"}
    assert {"learning_rate", "weight_decay"} <= shared
    for key in shared:
        assert ours[key] == pytest.approx(theirs[key], rel=1e-7) if isinstance(
            theirs[key], float) else ours[key] == theirs[key], key


@pytest.mark.parametrize("name", sorted(TF1_CLASS))
def test_tf1_convention_defaults_are_the_tf1_defaults(name):
    import tensorflow as tf

    parameters = inspect.signature(getattr(tf.compat.v1.train, TF1_CLASS[name])).parameters
    config = optimizers.get(name, convention="tf1", **_minimal(name, "tf1")).get_config()
    checked = 0
    for tf1_name, ours in TF1_RENAMES.items():
        if tf1_name not in parameters or ours not in config:
            continue
        default = parameters[tf1_name].default
        if default is inspect.Parameter.empty:
            # TF1 requires it, so the tf1 convention has no default either.
            assert ours in REQUIRED[(name, "tf1")], tf1_name
        elif default is not None:
            # the learning rate lives in a float32 variable (0.001 -> 0.0010000000475)
            assert config[ours] == pytest.approx(default, rel=1e-7), tf1_name
        checked += 1
    assert checked >= 1


def test_course_defaults_are_the_seeds():
    adam = optimizers.Adam().get_config()
    assert (adam["beta_1"], adam["beta_2"], adam["epsilon"]) == (0.9, 0.999, 1e-8)  # seed 003
    assert optimizers.Momentum().momentum == 0.9  # seed 003 "beta = 0.9"
    assert optimizers.Adagrad().get_config()["learning_rate"] == pytest.approx(0.01)  # seed 002
    assert optimizers.RMSProp().epsilon == 1e-8  # seed 003 "10^-8"
    assert optimizers.Adadelta().get_config()["learning_rate"] == 1.0  # Zeiler: no rate


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("convention", ["course", "tf1", "keras", "torch"])
def test_config_round_trip(name, convention):
    opt = optimizers.get(name, convention=convention, **_minimal(name, convention))
    config = opt.get_config()
    assert config["convention"] == convention
    clone = type(opt).from_config(config)
    assert clone.get_config() == config
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
    assert type(restored) is type(opt) and restored.get_config() == config


def test_learning_rate_schedule_is_accepted_and_serialized():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    opt = optimizers.Adam(schedule)
    clone = optimizers.Adam.from_config(opt.get_config())
    assert isinstance(clone._learning_rate, keras.optimizers.schedules.ExponentialDecay)
    assert clone._learning_rate.get_config() == schedule.get_config()


def test_integers_are_accepted():
    opt = optimizers.Momentum(learning_rate=1, momentum=0, convention="keras")
    assert opt.get_config()["learning_rate"] == 1.0 and opt.momentum == 0.0
    assert isinstance(opt.momentum, float)
    assert optimizers.RMSProp(1, rho=0, epsilon=0).rho == 0.0


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("value", [0, -0.1])
def test_rejects_non_positive_learning_rate(name, value):
    with pytest.raises(ValueError, match=rf"`learning_rate` must be in \(0.0, inf\)\. "
                                         rf"Received: learning_rate={value}"):
        optimizers.get(name, learning_rate=value)


@pytest.mark.parametrize("name,argument", [
    ("momentum", "momentum"), ("nesterov", "momentum"), ("rmsprop", "rho"),
    ("rmsprop", "momentum"), ("adadelta", "rho"), ("adam", "beta_1"), ("adam", "beta_2"),
    ("nadam", "beta_1"), ("adamw", "beta_2"),
])
@pytest.mark.parametrize("value", [1.0, 1.5, -0.1])
def test_rejects_decay_rates_outside_unit_interval(name, argument, value):
    with pytest.raises(ValueError, match=rf"`{argument}` must be in \[0.0, 1.0\)\. "
                                         rf"Received: {argument}={value}"):
        optimizers.get(name, **{argument: value})


def test_momentum_message_says_why():
    with pytest.raises(ValueError, match="grow without bound; typical values are 0.5-0.99"):
        optimizers.Momentum(momentum=1.5)


@pytest.mark.parametrize("name,argument", [
    ("adam", "epsilon"), ("rmsprop", "epsilon"), ("adagrad", "epsilon"),
    ("adagrad", "initial_accumulator_value"), ("adam", "l2"), ("adam", "weight_decay"),
    ("adamw", "weight_decay"), ("nadam", "momentum_decay"),
])
def test_rejects_negative_epsilon_and_decay(name, argument):
    with pytest.raises(ValueError, match=rf"`{argument}` must be in [\[(]0.0, inf\)\. "
                                         rf"Received: {argument}=-0.001"):
        optimizers.get(name, **{argument: -0.001}, convention="torch")


def test_rejects_unknown_convention():
    with pytest.raises(ValueError, match=r"`convention` must be one of \['course', 'tf1', "
                                         r"'keras', 'torch'\]\. Received: convention='pytorch'"):
        optimizers.Adam(convention="pytorch")


@pytest.mark.parametrize("name,keyword,replacement", [
    ("adam", "lr", "learning_rate"), ("adam", "decay", "InverseTimeDecay"),
    ("rmsprop", "decay", "`decay` is `rho` here"), ("adam", "beta1", "beta_1"),
    ("adam", "beta2", "beta_2"), ("adam", "betas", "beta_1"), ("adam", "eps", "epsilon"),
    ("momentum", "use_nesterov", "tfcourse.optimizers.Nesterov"),
    ("momentum", "nesterov", "Nesterov"), ("rmsprop", "alpha", "rho"),
    ("adam", "use_locking", "remove it"), ("adam", "keep_prob", "dropout"),
])
def test_rejects_legacy_keywords_with_the_replacement(name, keyword, replacement):
    with pytest.raises(ValueError, match=rf"does not accept `{keyword}` \(a legacy keyword\)"
                                         rf"\..*{replacement}.*Received: {keyword}=0.9"):
        optimizers.get(name, **{keyword: 0.9})


def test_rejects_unknown_keyword_naming_it():
    with pytest.raises(ValueError, match="not recognized.*momentom"):
        optimizers.Momentum(momentom=0.9)


@pytest.mark.parametrize("name,convention,argument", sorted(
    (n, c, a) for (n, c), arguments in REQUIRED.items() for a in arguments))
def test_required_values_have_no_default(name, convention, argument):
    kwargs = {k: v for k, v in _minimal(name, convention).items() if k != argument}
    with pytest.raises(ValueError, match=rf"`{argument}` has no default under "
                                         rf"convention='{convention}' \(.*\), which requires "
                                         rf"it; pass a value\. Received: {argument}=None"):
        optimizers.get(name, convention=convention, **kwargs)


@pytest.mark.parametrize("name,convention,argument", [
    ("adagrad", "tf1", "epsilon"), ("adagrad", "keras", "lr_decay"),
    ("momentum", "keras", "dampening"), ("adam", "tf1", "amsgrad"),
    ("nadam", "tf1", "momentum_decay"), ("adamw", "tf1", "amsgrad"),
])
def test_options_a_source_lacks_are_refused(name, convention, argument):
    kwargs = {**_minimal(name, convention), argument: 0.5 if argument != "amsgrad" else True}
    with pytest.raises(ValueError, match=rf"`{argument}` does not apply under "
                                         rf"convention='{convention}'.*Received: {argument}="):
        optimizers.get(name, convention=convention, **kwargs)


def test_tf1_adagrad_needs_a_positive_initial_accumulator():
    with pytest.raises(ValueError, match=r"`initial_accumulator_value` must be in \(0.0, inf\)"
                                         r"\. Received: initial_accumulator_value=0.0\. "
                                         r".*no epsilon"):
        optimizers.Adagrad(0.1, initial_accumulator_value=0, convention="tf1")


def test_rejects_non_boolean_flags_and_non_numbers():
    with pytest.raises(TypeError, match=r"`amsgrad` must be True or False\. Received: "
                                        r"amsgrad='yes'"):
        optimizers.Adam(amsgrad="yes")
    with pytest.raises(TypeError, match=r"`beta_1` must be a number\. Received: beta_1='0.9'"):
        optimizers.Adam(beta_1="0.9")


def test_fused_true_is_refused_where_no_kernel_matches():
    with pytest.raises(ValueError, match=r"`fused` does not apply to Adam under "
                                         r"convention='course'.*Received: fused=True"):
        optimizers.Adam(fused=True)
    assert optimizers.Adam(convention="tf1", fused=True)._use_fused()


def test_float32_variables_stay_float32():
    for name in NAMES:
        w = keras.Variable(np.ones(3, "float32"))
        opt = optimizers.get(name, **_minimal(name, "course"))
        opt.apply_gradients([(np.ones(3, "float32"), w)])
        assert w.dtype == "float32"
        assert all(v.dtype in ("float32", "int64", "int32") for v in opt.variables), name


@pytest.mark.parametrize("module", ["tfcourse.optimizers", "tfcourse.optimizers.gradient_descent",
                                    "tfcourse.optimizers.momentum", "tfcourse.optimizers.adagrad",
                                    "tfcourse.optimizers.rmsprop", "tfcourse.optimizers.adadelta",
                                    "tfcourse.optimizers.adam", "tfcourse.optimizers.nadam",
                                    "tfcourse.averages"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0, result


def test_every_stated_departure_names_a_test_that_exists():
    from pathlib import Path

    from tfcourse.conventions import DEPARTURES

    repo = Path(__file__).resolve().parent.parent
    for row in DEPARTURES:
        assert {"component", "reference", "cause", "size", "bound", "test"} <= set(row)
        path, name = row["test"].split("::")
        assert f"def {name}(" in (repo / path).read_text(), row["test"]
