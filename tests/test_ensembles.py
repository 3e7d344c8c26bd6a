"""tfcourse.ensembles and `tfcourse run --ensemble N` (seed 001's model ensemble)."""

from __future__ import annotations

import numpy as np
import pytest

from tfcourse import ensembles, models


class FixedModel:
    """Anything with ``predict``: returns fixed logits."""

    def __init__(self, logits):
        self.logits = np.asarray(logits, np.float64)

    def predict(self, x, batch_size=None, verbose=0):
        return self.logits[: len(x)]


def test_average_of_softmax_outputs_can_beat_every_member():
    # Three examples of classes 0, 1, 2. Each member is confidently wrong on one
    # example and right on the others; averaged, the majority wins everywhere.
    right, wrong = 4.0, 6.0
    member_logits = []
    for mistake in range(3):
        logits = np.zeros((3, 3))
        for example in range(3):
            if example == mistake:
                logits[example, (example + 1) % 3] = wrong
            else:
                logits[example, example] = right
        member_logits.append(logits)
    result = ensembles.evaluate([FixedModel(m) for m in member_logits], np.zeros((3, 1)),
                                np.array([0, 1, 2]))
    assert result.member_accuracies == pytest.approx([2 / 3] * 3)
    assert result.ensemble_accuracy == 1.0
    assert result.gain_over_mean == pytest.approx(1 / 3)
    # The reference: mean of per-member softmax, written out.
    probabilities = [np.exp(m) / np.exp(m).sum(1, keepdims=True) for m in member_logits]
    np.testing.assert_allclose(
        ensembles.member_probabilities([FixedModel(m) for m in member_logits],
                                       np.zeros((3, 1))).mean(0),
        np.mean(probabilities, axis=0), rtol=1e-15)


def test_build_ensemble_outputs_the_mean_probabilities(tmp_path):
    spec = models.MLPSpec(input_size=6, hidden_sizes=(5,), num_classes=3)
    members = [models.build_model(spec.replace(name=f"m{k}"), seed=k * 1000) for k in range(3)]
    x = np.random.default_rng(0).standard_normal((7, 6)).astype("float32")
    combined = ensembles.build_ensemble(members)
    want = ensembles.member_probabilities(members, x).mean(0)
    np.testing.assert_allclose(combined.predict(x, verbose=0), want, rtol=1e-5, atol=1e-7)  # float32
    combined.save(tmp_path / "ensemble.keras")
    import tfcourse

    restored = tfcourse.load_model(tmp_path / "ensemble.keras")
    np.testing.assert_allclose(restored.predict(x, verbose=0), want, rtol=1e-5, atol=1e-7)


def test_train_ensemble_members_differ_by_seed():
    from tfcourse import data

    (x, y), (x_test, y_test) = data.load("synthetic", flatten=True, num_train=300, num_test=100)
    spec = models.MLPSpec(hidden_sizes=(16,), kernel_initializer="he")
    result = ensembles.train_ensemble(spec, (x, y), (x_test, y_test), num_members=2, epochs=1,
                                      batch_size=50)
    assert result.seeds == [0, 1000]
    first, second = (m.get_layer("dense_1").get_weights()[0] for m in result.models)
    assert not np.allclose(first, second)
    again = ensembles.evaluate(result.models, x_test, y_test)
    assert again.member_accuracies == result.member_accuracies
    assert 0.0 <= result.ensemble_accuracy <= 1.0
    assert "ensemble of 2 (mean of softmax outputs)" in result.report()[-1]


def test_run_ensemble_reports_each_member_and_the_average(capsys):
    from tfcourse.cli.main import main

    code = main(["run", "mnist_softmax", "--dataset", "synthetic", "--max-examples", "600",
                 "--epochs", "1", "--ensemble", "2", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    assert "member 1 (seed 0): test accuracy" in out and "member 2 (seed 1000)" in out
    assert "ensemble of 2 (mean of softmax outputs)" in out


def test_run_ensemble_needs_the_keras_tier(capsys):
    from tfcourse.cli.main import main

    assert main(["run", "mnist_softmax", "--tier", "port", "--ensemble", "2"]) == 1
    assert "`--tier (with --ensemble)` must be one of ['keras']" in capsys.readouterr().err
    assert main(["run", "mnist_softmax", "--ensemble", "0"]) == 1
    assert "`--ensemble` must be" in capsys.readouterr().err


def test_evaluate_needs_a_model():
    with pytest.raises(ValueError, match=r"`models` must hold at least one model"):
        ensembles.evaluate([], np.zeros((1, 1)), np.array([0]))
