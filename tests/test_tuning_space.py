"""The course's search space, space files, the HyperModel's pieces (no training here)."""

import math

import keras_tuner
import pytest

from tfcourse import models, optimizers, schedules
from tfcourse.tuning import hparams
from tfcourse.tuning.hypermodel import (
    CourseHyperModel,
    count_parameters,
    make_optimizer,
    make_schedule,
)
from tfcourse.tuning.space import (
    ACTIVATIONS,
    Boolean,
    Choice,
    Fixed,
    FloatRange,
    IntRange,
    NAMES,
    SearchSpace,
    course_space,
    load_space_file,
)

from tuning_helpers import write_space


def test_course_space_covers_the_homework_choices():
    space = course_space()
    assert tuple(space.domains) == NAMES
    assert space.domains["activation"].candidates() == list(ACTIVATIONS)
    assert set(space.domains["activation"].candidates()) == {
        "sigmoid", "tanh", "relu", "leaky_relu", "elu", "maxout"}
    assert set(space.domains["initializer"].candidates()) == {"random_normal", "xavier", "he"}
    assert space.domains["optimizer"].candidates() == list(optimizers.ALL)
    assert isinstance(space.domains["batch_norm"], Boolean)
    assert space.domains["learning_rate"].sampling == "log"
    defaults = space.defaults()
    assert (defaults["activation"], defaults["initializer"], defaults["optimizer"]) == (
        "relu", "he", "adam")
    assert defaults["learning_rate"] == pytest.approx(1e-3)
    assert "maxout_pieces" not in defaults  # only active with activation = maxout


def test_maxout_pieces_is_conditional_on_maxout():
    space = course_space()
    hp = keras_tuner.HyperParameters()
    space.declare(hp)
    hp.values["activation"] = "maxout"
    hp.ensure_active_values()  # what the oracle does when it fills a trial
    assert space.declare(hp)["maxout_pieces"] in (2, 3, 4)
    hp.values["activation"] = "tanh"
    assert "maxout_pieces" not in space.declare(hp)


def test_toml_file_narrows_only_the_names_given(tmp_path):
    path = write_space(tmp_path, text="""
[search]
dataset = "fashion_mnist"
max_trials = 7

[space]
num_layers = [2, 3]
initializer = "he"
dropout = { min = 0.1, max = 0.4, step = 0.1 }
units = { min = 32, max = 256, step = 32 }
learning_rate = { min = 1e-4, max = 1e-2, sampling = "log" }
batch_norm = [true, false]
""")
    space, search = load_space_file(path)
    assert search == {"dataset": "fashion_mnist", "max_trials": 7}
    assert space.domains["num_layers"] == Choice((2, 3))
    assert space.domains["initializer"] == Fixed("he")
    assert space.domains["dropout"] == FloatRange(0.1, 0.4, 0.1, "linear")
    assert space.domains["units"] == IntRange(32, 256, 32, "linear")
    assert space.domains["learning_rate"].sampling == "log"
    assert space.domains["learning_rate"].default == 1e-3  # the course default is kept
    assert space.domains["batch_norm"] == Boolean()
    assert space.domains["activation"] == course_space().domains["activation"]


def test_yaml_file_gives_the_same_space_as_toml(tmp_path):
    toml = write_space(tmp_path, "s.toml", text='[space]\nactivation = ["relu", "elu"]\n'
                                                'dropout = { min = 0.0, max = 0.3, step = 0.1 }\n')
    yaml = write_space(tmp_path, "s.yaml", text="space:\n  activation: [relu, elu]\n"
                                                "  dropout: {min: 0.0, max: 0.3, step: 0.1}\n")
    assert load_space_file(toml)[0] == load_space_file(yaml)[0]
    assert load_space_file(toml)[0].fingerprint() == load_space_file(yaml)[0].fingerprint()


@pytest.mark.parametrize("text,error,match", [
    ("[space]\nactivaton = ['relu']\n", ValueError, r"Unknown hyperparameter 'activaton'.*'activation'"),
    ("[space]\nactivation = ['relu', 'swish']\n", ValueError,
     r"`activation\[1\]` must be one of \['sigmoid', 'tanh', 'relu', 'leaky_relu', 'elu', 'maxout'\]. Received: activation\[1\]='swish'"),
    ("[space]\ndropout = { min = 0.0, max = 1.5 }\n", ValueError,
     r"`dropout.max` must be in \[0.0, 0.95\]. Received: dropout.max=1.5"),
    ("[space]\nunits = { min = 64 }\n", ValueError, r"A range for `units` needs `min` and `max`"),
    ("[space]\nunits = { min = 64, max = 32 }\n", ValueError, r"`units.max` must be in \[64.0, inf[\])]. Received: units.max=32. It must not be below units.min"),
    ("[space]\nnum_layers = 2.5\n", TypeError, r"`num_layers` must be an integer. Received: num_layers=2.5"),
    ("[space]\noptimizer = ['adam', 'lion']\n", ValueError, r"`optimizer\[1\]` must be one of \['gradient_descent'"),
    ("[space]\nlearning_rate = { min = 0.0, max = 0.1, sampling = 'log' }\n", ValueError,
     r"`learning_rate.min` must be in \[1e-07, 10.0\]"),
    ("[space]\nunits = []\n", ValueError, r"`units` must list at least one value"),
    ("[search]\nmax_trail = 3\n", ValueError, r"Unknown key\(s\) \['max_trail'\] in the \[search\] table"),
    ("[serch]\n", ValueError, r"may hold only the tables \['search', 'space'\]. Received: \['serch'\]"),
    ("[space\n", ValueError, r"is not valid TOML"),
])
def test_space_file_errors_name_the_value_and_the_allowed_ones(tmp_path, text, error, match):
    path = write_space(tmp_path, text=text)
    with pytest.raises(error, match=match):
        load_space_file(path)


def test_space_file_must_exist_and_be_toml_or_yaml(tmp_path):
    with pytest.raises(FileNotFoundError, match="Space file not found"):
        load_space_file(tmp_path / "missing.toml")
    path = write_space(tmp_path, "space.json", text="{}")
    with pytest.raises(ValueError, match=r"`space` must be a .toml, .yaml or .yml file"):
        load_space_file(path)


def test_fingerprint_changes_with_the_space_and_the_settings():
    space = course_space()
    narrowed = space.narrowed({"activation": ["relu"]})
    assert space.fingerprint(dataset="mnist") == course_space().fingerprint(dataset="mnist")
    assert space.fingerprint(dataset="mnist") != narrowed.fingerprint(dataset="mnist")
    assert space.fingerprint(dataset="mnist") != space.fingerprint(dataset="fashion_mnist")


def test_search_space_needs_every_name():
    with pytest.raises(ValueError, match=r"missing=\['num_layers'\]"):
        SearchSpace({name: Fixed(1) for name in NAMES if name != "num_layers"})


@pytest.mark.parametrize("name", list(optimizers.ALL))
@pytest.mark.parametrize("convention", ["course", "tf1", "keras", "torch"])
def test_every_optimizer_and_convention_of_the_space_can_be_built(name, convention):
    optimizer = make_optimizer(name, 0.01, convention)
    assert isinstance(optimizer, optimizers.ALL[name])
    assert optimizer.convention == convention
    if name in ("momentum", "nesterov") and convention == "tf1":
        # TF1's MomentumOptimizer has no default momentum: the course's 0.9 fills it.
        assert optimizer.momentum == pytest.approx(0.9)


def test_schedules_follow_seed_003():
    assert make_schedule("constant", 0.1, 10) == 0.1
    exponential = make_schedule("exponential", 0.1, steps_per_epoch=10)
    # step 25 is in epoch floor(25 / 10) + 1 = 3 (epochs counted from 1, seed 003's table).
    assert float(exponential(25)) == pytest.approx(0.1 * 0.95 ** 3, rel=1e-6)  # float32
    inverse_time = make_schedule("inverse_time", 0.2, steps_per_epoch=5)
    assert float(inverse_time(0)) == pytest.approx(0.1, rel=1e-6)  # 0.2 / (1 + 1 * 1)


@pytest.mark.parametrize("changes", [
    {},
    {"activation": "maxout", "num_pieces": 3},
    {"batch_norm": True, "hidden_sizes": (32, 16, 8)},
    {"hidden_sizes": ()},
])
def test_count_parameters_matches_the_built_model(changes):
    spec = models.MLPSpec(input_size=20, hidden_sizes=(16, 8), num_classes=4).replace(**changes)
    model = models.build_model(spec, seed=0)
    trainable = sum(math.prod(weight.shape) for weight in model.trainable_weights)
    assert count_parameters(spec) == trainable


def test_hypermodel_builds_a_compiled_course_model():
    hypermodel = CourseHyperModel(num_train=1000, input_size=784)
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    assert isinstance(model.optimizer, optimizers.Adam)
    assert [layer.name for layer in model.layers] == [
        "inputs", "dense_1", "activation_1", "logits"]
    assert model.get_layer("dense_1").units == 256
    hp.values.update({"activation": "maxout", "num_layers": 2, "units": 64,
                      "optimizer": "rmsprop", "schedule": "staircase"})
    hp.ensure_active_values()
    model = hypermodel.build(hp)
    assert [layer.name for layer in model.layers] == ["inputs", "maxout_1", "maxout_2", "logits"]
    assert isinstance(model.optimizer, optimizers.RMSProp)
    assert isinstance(model.optimizer._learning_rate, schedules.StaircaseDecay)


def test_too_large_a_model_fails_its_trial_with_the_reason():
    hypermodel = CourseHyperModel(num_train=1000, max_params=10_000)
    with pytest.raises(keras_tuner.errors.FailedTrialError,
                       match=r"the model has 203530 trainable parameters, over max_params=10000"):
        hypermodel.build(keras_tuner.HyperParameters())


def test_hparams_write_integers_as_integers():
    space = course_space()
    values = space.defaults()
    written = {hparam.name: value for hparam, value in hparams.hparams_values(space, values).items()}
    assert written["units"] == "256" and written["num_layers"] == "1"
    assert written["batch_size"] == "128" and written["epochs"] == "20"
    assert isinstance(written["learning_rate"], float)
    assert written["batch_norm"] is False and written["activation"] == "relu"
    domains = {name: hparam.domain for name, hparam in hparams.hparams_objects(space).items()}
    assert set(domains["units"].values) == {"64", "128", "256", "512", "1024"}
    assert set(domains["num_layers"].values) == {"1", "2", "3", "4"}
    assert domains["learning_rate"].min_value == pytest.approx(1e-6)


def test_public_names_and_cli_choices_agree_with_the_package():
    import tfcourse
    from tfcourse import data, tuning
    from tfcourse.cli import tune as tune_cli
    from tfcourse.tuning import search, space

    assert tfcourse.tuning is tuning
    for name in tuning.__all__:
        assert hasattr(tuning, name), name
    assert tune_cli.TUNERS == space.TUNERS
    assert tune_cli.DATASETS == search.DATASETS == data.DATASETS


def test_course_space_holds_the_seeds_search_ranges():
    domains = course_space().domains
    # Seed 001: lr = 10 ** np.random.uniform(-6, -2), weight_decay = 10 ** uniform(-8, -4).
    lr, decay = domains["learning_rate"], domains["weight_decay"]
    assert (lr.min_value, lr.max_value, lr.sampling) == (1e-6, 1e-2, "log")
    assert (decay.min_value, decay.max_value, decay.sampling) == (1e-8, 1e-4, "log")
    # Seed 003: typical mini-batch sizes 64, 128, 256, 512.
    assert domains["batch_size"].candidates() == [64, 128, 256, 512]
    assert "inverse_sqrt_step" in domains["schedule"].candidates()


def test_weight_decay_and_inverse_sqrt_step_reach_the_model():
    hp = keras_tuner.HyperParameters()
    space = course_space().narrowed({"weight_decay": 3e-6, "schedule": "inverse_sqrt_step",
                                     "num_layers": 1, "units": 64})
    hypermodel = CourseHyperModel(space, num_train=1000)
    model = hypermodel.build(hp)
    assert hypermodel.spec(space.declare(hp)).weight_decay == 3e-6
    assert model.get_layer("dense_1").kernel_regularizer.weight_decay == 3e-6
    schedule = model.optimizer._learning_rate
    assert isinstance(schedule, schedules.InverseSqrtStepDecay)
    assert float(schedule(3)) == pytest.approx(1e-3 / 2, rel=1e-6)  # alpha_0 / sqrt(t), t = 4
    with pytest.raises(ValueError, match=r"`weight_decay` must be in \[0.0, 1.0\]"):
        course_space().narrowed({"weight_decay": 2.0})
