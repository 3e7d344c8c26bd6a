"""The bad-input catalogue (issue 9, item 5): one case per row, message text asserted.

Each row is (id, call, exception type, regex of the message). The rows cover
every public constructor family (optimizers, initializers, layers, schedules,
models, seeding), the training helper and the data checks run before
training (tfcourse.faults), and the flags of ``tfcourse run``/``compare``:
out-of-range values, wrong types and legacy spellings. Messages follow one
shape (STYLE.md section 6): the argument in backticks, the allowed range, the
value received.
"""

import numpy as np
import pytest

import tfcourse
from tfcourse import faults, initializers, layers, models, optimizers, schedules, training

# Constructors --------------------------------------------------------------

CONSTRUCTOR_ROWS = [
    # optimizers: range, type, legacy spelling, convention
    ("Adam beta_1=1", lambda: optimizers.Adam(beta_1=1.0), ValueError,
     r"`beta_1` must be in \[0\.0, 1\.0\)\. Received: beta_1=1\.0"),
    ("Adam beta_2<0", lambda: optimizers.Adam(beta_2=-0.1), ValueError,
     r"`beta_2` must be in \[0\.0, 1\.0\)\. Received: beta_2=-0\.1"),
    ("Adam learning_rate<0", lambda: optimizers.Adam(learning_rate=-1.0), ValueError,
     r"`learning_rate` must be in \(0\.0, inf\)\. Received: learning_rate=-1\.0\. Pass a "
     r"positive float or a LearningRateSchedule"),
    ("Adam learning_rate str", lambda: optimizers.Adam(learning_rate="0.1"), TypeError,
     r"`learning_rate` must be a number\. Received: learning_rate='0\.1' of type str"),
    ("Adam epsilon<0", lambda: optimizers.Adam(epsilon=-1.0), ValueError,
     r"`epsilon` must be in \[0\.0, inf\)\. Received: epsilon=-1\.0"),
    ("Adam decay= (Keras 2)", lambda: optimizers.Adam(decay=0.01), ValueError,
     r"Adam does not accept `decay` \(a legacy keyword\)\. Keras 2's `decay=`.*"
     r"InverseTimeDecay.*Received: decay=0\.01"),
    ("Adam lr=", lambda: optimizers.Adam(lr=0.01), ValueError,
     r"Adam does not accept `lr` \(a legacy keyword\)\. Use `learning_rate=`\. "
     r"Received: lr=0\.01"),
    ("Adam beta1= (TF1)", lambda: optimizers.Adam(beta1=0.9), ValueError,
     r"Adam does not accept `beta1`.*Use `beta_1=` \(TF1's `beta1`\)"),
    ("Adam betas= (torch)", lambda: optimizers.Adam(betas=(0.9, 0.999)), ValueError,
     r"Adam does not accept `betas`.*torch's `betas=\(beta_1, beta_2\)`"),
    ("Adam convention", lambda: optimizers.Adam(convention="pytorch"), ValueError,
     r"`convention` must be one of \['course', 'tf1', 'keras', 'torch'\]\. "
     r"Received: convention='pytorch'"),
    ("AdamW weight_decay<0", lambda: optimizers.AdamW(weight_decay=-1.0), ValueError,
     r"`weight_decay` must be in \[0\.0, inf\)\. Received: weight_decay=-1\.0"),
    ("Momentum momentum=1.5", lambda: optimizers.Momentum(0.1, momentum=1.5), ValueError,
     r"`momentum` must be in \[0\.0, 1\.0\)\. Received: momentum=1\.5\. Values >= 1 make the "
     r"velocity grow without bound"),
    ("Momentum momentum str", lambda: optimizers.Momentum(0.1, momentum="a"), TypeError,
     r"`momentum` must be a number\. Received: momentum='a' of type str"),
    ("Momentum use_nesterov=", lambda: optimizers.Momentum(0.1, momentum=0.9,
                                                           use_nesterov=True), ValueError,
     r"does not accept `use_nesterov` \(a legacy keyword\)\. Use tfcourse\.optimizers\.Nesterov"),
    ("Nesterov momentum=1", lambda: optimizers.Nesterov(0.1, momentum=1.0), ValueError,
     r"`momentum` must be in \[0\.0, 1\.0\)\. Received: momentum=1\.0"),
    ("GradientDescent learning_rate=0", lambda: optimizers.GradientDescent(0.0), ValueError,
     r"`learning_rate` must be in \(0\.0, inf\)\. Received: learning_rate=0\.0"),
    ("GradientDescent l2<0", lambda: optimizers.GradientDescent(0.1, l2=-1.0), ValueError,
     r"`l2` must be in \[0\.0, inf\)\. Received: l2=-1\.0"),
    ("GradientDescent use_locking=", lambda: optimizers.GradientDescent(0.1, use_locking=True),
     ValueError, r"GradientDescent does not accept `use_locking` \(a legacy keyword\)\. TF1's "
                 r"`use_locking` has no Keras 3 counterpart; remove it"),
    ("GradientDescent keep_prob=", lambda: optimizers.GradientDescent(0.1, keep_prob=0.5),
     ValueError, r"`keep_prob` belongs to dropout \(tfcourse\.layers\), not to an optimizer"),
    ("RMSProp rho=1", lambda: optimizers.RMSProp(0.1, rho=1.0), ValueError,
     r"`rho` must be in \[0\.0, 1\.0\)\. Received: rho=1\.0"),
    ("RMSProp decay= (TF1)", lambda: optimizers.RMSProp(0.1, decay=0.9), ValueError,
     r"RMSProp does not accept `decay` \(a legacy keyword\)\. TF1's RMSPropOptimizer `decay` is "
     r"`rho` here"),
    ("RMSProp alpha= (torch)", lambda: optimizers.RMSProp(0.1, alpha=0.9), ValueError,
     r"RMSProp does not accept `alpha`.*Use `rho=` \(torch's RMSprop `alpha`\)"),
    ("Adagrad initial_accumulator_value<0",
     lambda: optimizers.Adagrad(0.1, initial_accumulator_value=-1.0), ValueError,
     r"`initial_accumulator_value` must be in \[0\.0, inf\)\. "
     r"Received: initial_accumulator_value=-1\.0"),
    ("Adadelta rho=2", lambda: optimizers.Adadelta(1.0, rho=2.0), ValueError,
     r"`rho` must be in \[0\.0, 1\.0\)\. Received: rho=2\.0"),
    ("Nadam beta_1=1", lambda: optimizers.Nadam(beta_1=1.0), ValueError,
     r"`beta_1` must be in \[0\.0, 1\.0\)\. Received: beta_1=1\.0"),
    ("optimizers.get unknown", lambda: optimizers.get("adamax"), ValueError,
     r"`name` must be one of \['gradient_descent', .*\]\. Received: name='adamax'"),
    # initializers
    ("Xavier convention", lambda: initializers.Xavier(convention="bad"), ValueError,
     r"`convention` must be one of \['course', 'tf1', 'keras', 'torch'\]\. "
     r"Received: convention='bad'"),
    ("He uniform str", lambda: initializers.He(uniform="yes"), TypeError,
     r"`uniform` must be True or False\. Received: uniform='yes' of type str"),
    ("RandomNormal stddev<0", lambda: initializers.RandomNormal(stddev=-1.0), ValueError,
     r"`stddev` must be in \(0\.0, inf\)\. Received: stddev=-1\.0"),
    # layers
    ("Dropout rate=1", lambda: layers.Dropout(rate=1.0), ValueError,
     r"`rate` must be in \[0\.0, 1\.0\)\. Received: rate=1\.0\. rate=1 would drop every unit"),
    ("Dropout keep_prob=0", lambda: layers.Dropout(keep_prob=0.0), ValueError,
     r"`keep_prob` must be in \(0\.0, 1\.0\]\. Received: keep_prob=0\.0\. keep_prob=0 would "
     r"drop every unit"),
    ("Dropout rate and keep_prob", lambda: layers.Dropout(rate=0.5, keep_prob=0.5), ValueError,
     r"Dropout needs exactly one of `rate` or `keep_prob`\. Received: rate=0\.5, keep_prob=0\.5"),
    ("Dropout neither", lambda: layers.Dropout(), ValueError,
     r"Dropout needs exactly one of `rate` or `keep_prob`\. Received: rate=None, keep_prob=None"),
    ("BatchNormalization momentum=1", lambda: layers.BatchNormalization(momentum=1.0), ValueError,
     r"`momentum` must be in \[0\.0, 1\.0\)\. Received: momentum=1\.0"),
    ("BatchNormalization epsilon<0", lambda: layers.BatchNormalization(epsilon=-1.0), ValueError,
     r"`epsilon` must be in \[0\.0, inf\)\. Received: epsilon=-1\.0"),
    ("BatchNormalization center=1", lambda: layers.BatchNormalization(center=1), TypeError,
     r"`center` must be True or False\. Received: center=1 of type int"),
    ("BatchNormalization inference", lambda: layers.BatchNormalization(inference="batch"),
     ValueError, r"`inference` must be one of \['moving', 'population'\]\. "
                 r"Received: inference='batch'"),
    ("BatchNormalization axis float", lambda: layers.BatchNormalization(axis=1.5), TypeError,
     r"`axis` must be an integer\. Received: axis=1\.5 of type float"),
    ("Maxout units=0", lambda: layers.Maxout(0), ValueError,
     r"`units` must be an integer in \[1, inf\)\. Received: units=0"),
    ("Maxout num_pieces=0", lambda: layers.Maxout(4, num_pieces=0), ValueError,
     r"`num_pieces` must be an integer in \[1, inf\)\. Received: num_pieces=0"),
    ("Maxout use_bias=1", lambda: layers.Maxout(4, use_bias=1), TypeError,
     r"`use_bias` must be True or False\. Received: use_bias=1 of type int"),
    ("activation_layer unknown", lambda: layers.activation_layer("swishy"), ValueError,
     r"`activation` must be one of \['linear', 'sigmoid', .*\]\. Received: activation='swishy'"),
    # schedules
    ("ExponentialEpochDecay lr<0",
     lambda: schedules.ExponentialEpochDecay(-0.1, steps_per_epoch=10), ValueError,
     r"`initial_learning_rate` must be in \(0\.0, inf\)\. Received: initial_learning_rate=-0\.1"),
    ("ExponentialEpochDecay steps_per_epoch=0",
     lambda: schedules.ExponentialEpochDecay(0.1, steps_per_epoch=0), ValueError,
     r"`steps_per_epoch` must be an integer in \[1, inf\)\. Received: steps_per_epoch=0\. it is "
     r"ceil\(number of training examples / batch_size\)"),
    ("InverseTimeEpochDecay steps_per_epoch float",
     lambda: schedules.InverseTimeEpochDecay(0.1, 1.0, steps_per_epoch=1.5), TypeError,
     r"`steps_per_epoch` must be an integer\. Received: steps_per_epoch=1\.5 of type float"),
    ("StaircaseDecay factor=2", lambda: schedules.StaircaseDecay(0.1, 10, factor=2.0),
     ValueError, r"`factor` must be in \(0\.0, 1\.0\]\. Received: factor=2\.0"),
    ("StaircaseDecay epochs_per_drop=0",
     lambda: schedules.StaircaseDecay(0.1, 10, epochs_per_drop=0), ValueError,
     r"`epochs_per_drop` must be an integer in \[1, inf\)\. Received: epochs_per_drop=0"),
    ("InverseSqrtStepDecay k<0", lambda: schedules.InverseSqrtStepDecay(0.1, k=-1.0), ValueError,
     r"`k` must be in \(0\.0, inf\)\. Received: k=-1\.0"),
    ("PiecewiseConstantEpochDecay values length",
     lambda: schedules.PiecewiseConstantEpochDecay([2, 4], [0.1, 0.01], 10), ValueError,
     r"`len\(values\)` must be an integer in \[3, 3\]\. Received: len\(values\)=2\. give one "
     r"value more than boundaries"),
    ("PiecewiseConstantEpochDecay boundaries order",
     lambda: schedules.PiecewiseConstantEpochDecay([4, 2], [0.1, 0.01, 0.001], 10), ValueError,
     r"`boundaries\[1\]` must be an integer in \[5, inf\)\. Received: boundaries\[1\]=2\. "
     r"boundaries must increase"),
    # models
    ("MLPSpec num_classes=0", lambda: models.MLPSpec(num_classes=0), ValueError,
     r"`num_classes` must be an integer in \[1, inf\)\. Received: num_classes=0"),
    ("MLPSpec hidden size 0", lambda: models.MLPSpec(hidden_sizes=(0,)), ValueError,
     r"`hidden_sizes\[0\]` must be an integer in \[1, inf\)\. Received: hidden_sizes\[0\]=0"),
    ("MLPSpec keep_prob=0", lambda: models.MLPSpec(keep_prob=0.0), ValueError,
     r"`keep_prob` must be in \(0\.0, 1\.0\]\. Received: keep_prob=0\.0"),
    ("MLPSpec activation", lambda: models.MLPSpec(activation="nope"), ValueError,
     r"`activation` must be one of \[.*'maxout'\]\. Received: activation='nope'"),
    ("models.preset unknown", lambda: models.preset("nope"), ValueError,
     r"`preset` must be one of \['softmax', 'mlp', 'deep', 'homework'\]\. Received: "
     r"preset='nope'"),
    # seeding and training helpers
    ("set_seed<0", lambda: tfcourse.set_seed(-1), ValueError,
     r"`seed` must be an integer in \[0, 4294967295\]\. Received: seed=-1"),
    ("set_seed float", lambda: tfcourse.set_seed(1.5), TypeError,
     r"`seed` must be an integer\. Received: seed=1\.5 of type float"),
    ("updates_per_epoch num_examples=0", lambda: training.updates_per_epoch(0, 1), ValueError,
     r"`num_examples` must be an integer in \[1, inf\)\. Received: num_examples=0"),
    ("check_memory too large", lambda: faults.check_memory(10**12, available=2**30),
     MemoryError, r"`model` needs about 14901\.16 GiB for 1000000000000 parameters, their "
                  r"gradients and 2 optimizer slots, and 1\.00 GiB are available"),
]


@pytest.mark.parametrize("call, error, message", [row[1:] for row in CONSTRUCTOR_ROWS],
                         ids=[row[0] for row in CONSTRUCTOR_ROWS])
def test_constructor_rows(call, error, message):
    with pytest.raises(error, match=message):
        call()


# Training data, refused before the first step --------------------------------

def _classifier(input_shape=(4,), classes=3):
    import keras

    model = keras.Sequential([keras.Input(input_shape), keras.layers.Flatten(),
                              keras.layers.Dense(classes)])
    model.compile(optimizer=optimizers.GradientDescent(0.1),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _x(n=12, shape=(4,)):
    return np.random.default_rng(0).normal(size=(n, *shape)).astype("float32")


def _y(n=12):
    return np.arange(n) % 3


def _with(array, index, value):
    array = array.copy()
    array[index] = value
    return array


DATA_ROWS = [
    ("NaN in x", lambda: (_with(_x(), (5, 2), np.nan), _y()), {}, ValueError,
     r"`x` holds 1 NaN or Inf values \(the first in example 5\)\. Clean or impute them"),
    ("Inf in x", lambda: (_with(_x(), (7, 0), -np.inf), _y()), {}, ValueError,
     r"`x` holds 1 NaN or Inf values \(the first in example 7\)"),
    ("NaN in float y", lambda: (_x(), _with(_y().astype("float32"), 3, np.nan)), {}, ValueError,
     r"`y` holds 1 NaN or Inf values \(the first in example 3\)"),
    ("label = classes", lambda: (_x(), _with(_y(), 4, 3)), {}, ValueError,
     r"`y` must hold class labels in \[0, 3\) for a model with 3 outputs\. Received: 3 at "
     r"example 4 \(1 labels outside\)\. Labels start at 0; 1-based labels need y - 1"),
    ("negative label", lambda: (_x(), _with(_y(), 0, -1)), {}, ValueError,
     r"`y` must hold class labels in \[0, 3\).*Received: -1 at example 0"),
    ("one-hot out of [0, 1]", lambda: (_x(), _with(np.eye(3)[_y()], (2, 1), 2.0)),
     {}, ValueError, r"`y` must hold one-hot rows with values in \[0, 1\]\. Received: row 2 = "
                     r"\[0\.0, 2\.0, 1\.0\]"),
    ("images not flattened", lambda: (_x(shape=(2, 2)), _y()), {}, ValueError,
     r"`x` has examples of shape \(2, 2\) and the model expects \(4,\)\. Flatten the images"),
    ("wrong feature count", lambda: (_x(shape=(5,)), _y()), {}, ValueError,
     r"`x` has examples of shape \(5,\) and the model expects \(4,\)$"),
    ("empty dataset", lambda: (_x(0), _y(0)), {}, ValueError,
     r"`x` is empty \(0 examples\)\. Check the data path and any filtering"),
    ("one example", lambda: (_x(1), _y(1)), {"batch_size": 1}, ValueError,
     r"`x` holds a single example; training needs at least 2"),
    ("single class", lambda: (_x(), np.full(12, 2)), {}, ValueError,
     r"`y` holds a single class \(2\) in all 12 examples\. A classifier needs examples of at "
     r"least 2 classes"),
    ("batch larger than dataset", lambda: (_x(), _y()), {"batch_size": 13}, ValueError,
     r"`batch_size` must be an integer in \[1, 12\]\. Received: batch_size=13\. batch_size=12 "
     r"\(all 12 examples\) is batch gradient descent"),
    ("x and y lengths", lambda: (_x(), _y(11)), {}, ValueError,
     r"`len\(y\)` must be an integer in \[12, 12\]\. Received: len\(y\)=11"),
    ("batch_size float", lambda: (_x(), _y()), {"batch_size": 2.5}, TypeError,
     r"`batch_size` must be an integer\. Received: batch_size=2\.5 of type float"),
    ("epochs=0", lambda: (_x(), _y()), {"epochs": 0}, ValueError,
     r"`epochs` must be an integer in \[1, inf\)\. Received: epochs=0"),
    ("seed<0", lambda: (_x(), _y()), {"seed": -3}, ValueError,
     r"`seed` must be an integer in \[0, inf\)\. Received: seed=-3"),
    ("shuffle str", lambda: (_x(), _y()), {"shuffle": "yes"}, TypeError,
     r"`shuffle` must be True or False\. Received: shuffle='yes' of type str"),
    ("check_data int", lambda: (_x(), _y()), {"check_data": 1}, TypeError,
     r"`check_data` must be True or False\. Received: check_data=1 of type int"),
    ("validation_split=", lambda: (_x(), _y()), {"validation_split": 0.2}, ValueError,
     r"train\(\) does not accept `validation_split`: pass validation_data=\(x_val, y_val\) "
     r"instead\. Received: validation_split=0\.2"),
    ("initial_epoch with checkpoint_dir", lambda: (_x(), _y()),
     {"checkpoint_dir": "unused", "initial_epoch": 2}, ValueError,
     r"train\(\) does not accept `initial_epoch`: with checkpoint_dir, train\(\) resumes after "
     r"the checkpoint's last epoch\. Received: initial_epoch=2"),
]


@pytest.mark.parametrize("make, options, error, message", [row[1:] for row in DATA_ROWS],
                         ids=[row[0] for row in DATA_ROWS])
def test_training_data_rows(make, options, error, message):
    x, y = make()
    model = _classifier()
    weights = [w.copy() for w in model.get_weights()]
    with pytest.raises(error, match=message):
        training.train(model, x, y, **{"batch_size": 4, "verbose": 0, **options})
    assert int(model.optimizer.iterations.numpy()) == 0  # refused before the first step
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)


# CLI flags --------------------------------------------------------------------

CLI_ROWS = [
    ("run unknown lab", ["run", "nope"], 1,
     r"^error: `lab` must be one of \['mnist_softmax', .*\]\. Received: lab='nope'$"),
    ("run --tier unknown", ["run", "softmax", "--tier", "tf3"], 2,
     r"error: argument --tier: invalid choice: 'tf3' \(choose from 'legacy', 'port', 'keras'\)"),
    ("run --dataset unknown", ["run", "softmax", "--dataset", "cifar"], 2,
     r"error: argument --dataset: invalid choice: 'cifar'"),
    ("run --epochs not an int", ["run", "softmax", "--epochs", "x"], 2,
     r"^error: argument --epochs: `epochs` must be an integer in \[1, inf\)\. "
     r"Received: epochs='x'$"),
    # refused while parsing, before TensorFlow starts
    ("run --epochs 0", ["run", "softmax", "--epochs", "0", "--dataset", "synthetic"], 2,
     r"^error: argument --epochs: `epochs` must be an integer in \[1, inf\)\. "
     r"Received: epochs=0$"),
    ("run --max-examples 0", ["run", "softmax", "--max-examples", "0", "--epochs", "1",
                              "--dataset", "synthetic"], 2,
     r"^error: argument --max-examples: `max_examples` must be an integer in \[1, inf\)\. "
     r"Received: max_examples=0$"),
    ("compare --seed -1", ["compare", "softmax", "--seed", "-1", "--epochs", "1",
                           "--dataset", "synthetic"], 1,
     r"^error: `seed` must be an integer in \[0, 9223372036854775807\]\. Received: seed=-1$"),
]


@pytest.mark.parametrize("argv, code, message", [row[1:] for row in CLI_ROWS],
                         ids=[row[0] for row in CLI_ROWS])
def test_cli_rows(argv, code, message, capsys, tmp_path):
    from tfcourse.cli.main import main

    assert main([*argv, "--logdir", str(tmp_path / "logs")] if code == 1 else argv) == code
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert __import__("re").search(message, lines[0]), lines[0]


def test_catalogue_size():
    """The count the issue asks for (reported in the README section)."""
    assert len(CONSTRUCTOR_ROWS) + len(DATA_ROWS) + len(CLI_ROWS) >= 80
