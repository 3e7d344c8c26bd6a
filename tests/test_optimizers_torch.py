"""The NumPy transcriptions of the torch rules against real torch.optim.

tests/test_optimizers.py proves the ``torch`` convention equals its NumPy
transcription on every step; this module closes the loop by running the same
problem through ``torch.optim`` itself (float64, 24 steps, the learning rate
changed every step through ``param_groups``). CI installs torch; the package
itself never imports it.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.optimizer_helpers import W0, assert_same_trajectory, grad, learning_rates
from tests.references import optimizers as ref

torch = pytest.importorskip("torch")

BETAS = (0.875, 1 - 2**-10)
EPS = 2**-10

# (id, torch constructor, NumPy rule, base learning rate)
CASES = [
    ("sgd", lambda p, lr: torch.optim.SGD(p, lr=lr), ref.gradient_descent(), 0.05),
    ("sgd-momentum", lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.875),
     ref.momentum_torch(0.875), 0.05),
    ("sgd-momentum-dampening",
     lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.875, dampening=0.25),
     ref.momentum_torch(0.875, dampening=0.25), 0.05),
    ("sgd-nesterov", lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.875, nesterov=True),
     ref.momentum_torch(0.875, nesterov=True), 0.05),
    ("sgd-l2", lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.875, weight_decay=0.125),
     ref._decay_and_l2(ref.momentum_torch(0.875), l2=0.125), 0.05),
    ("adagrad", lambda p, lr: torch.optim.Adagrad(p, lr=lr, eps=EPS),
     ref.adagrad_torch(EPS), 0.3),
    ("adagrad-lr_decay-init",
     lambda p, lr: torch.optim.Adagrad(p, lr=lr, eps=EPS, lr_decay=0.0625,
                                       initial_accumulator_value=0.125),
     ref.adagrad_torch(EPS, 0.125, 0.0625), 0.3),
    ("rmsprop", lambda p, lr: torch.optim.RMSprop(p, lr=lr, alpha=0.875, eps=EPS),
     ref.rmsprop(0.875, EPS, epsilon_inside=False, lr_in_momentum=False), 0.05),
    ("rmsprop-momentum-centered",
     lambda p, lr: torch.optim.RMSprop(p, lr=lr, alpha=0.875, eps=EPS, momentum=0.5,
                                       centered=True),
     ref.rmsprop(0.875, EPS, 0.5, True, epsilon_inside=False, lr_in_momentum=False), 0.05),
    ("adadelta", lambda p, lr: torch.optim.Adadelta(p, lr=lr, rho=0.875, eps=EPS),
     ref.adadelta(0.875, EPS), 0.5),
    ("adam", lambda p, lr: torch.optim.Adam(p, lr=lr, betas=BETAS, eps=EPS),
     ref.adam(*BETAS, EPS, form="torch"), 0.05),
    ("adam-amsgrad",
     lambda p, lr: torch.optim.Adam(p, lr=lr, betas=(0.875, 0.5), eps=EPS, amsgrad=True),
     ref.adam(0.875, 0.5, EPS, amsgrad=True, form="torch"), 0.05),
    ("adam-l2", lambda p, lr: torch.optim.Adam(p, lr=lr, betas=BETAS, eps=EPS, weight_decay=0.125),
     ref._decay_and_l2(ref.adam(*BETAS, EPS, form="torch"), l2=0.125), 0.05),
    ("adamw", lambda p, lr: torch.optim.AdamW(p, lr=lr, betas=BETAS, eps=EPS, weight_decay=0.25),
     ref.adamw(*BETAS, EPS, 0.25, form="torch"), 0.05),
    ("nadam", lambda p, lr: torch.optim.NAdam(p, lr=lr, betas=BETAS, eps=EPS),
     ref.nadam_dozat(*BETAS, EPS, 0.004), 0.05),
    ("nadam-momentum_decay",
     lambda p, lr: torch.optim.NAdam(p, lr=lr, betas=BETAS, eps=EPS, momentum_decay=0.5),
     ref.nadam_dozat(*BETAS, EPS, 0.5), 0.05),
]


@pytest.fixture(autouse=True)
def torch_float64():
    # torch keeps optimizer scalars (step, NAdam's mu_product) in the default
    # dtype, float32 unless set: make the whole run float64, then restore.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def torch_trajectory(make, lrs):
    param = torch.nn.Parameter(torch.tensor(W0, dtype=torch.float64))
    opt = make([param], float(lrs[0]))
    points = [W0.copy()]
    for t in range(1, len(lrs) + 1):
        for group in opt.param_groups:
            group["lr"] = float(lrs[t - 1])
        param.grad = torch.tensor(grad(param.detach().numpy().copy(), t), dtype=torch.float64)
        opt.step()
        points.append(param.detach().numpy().copy())
    return np.array(points)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_numpy_torch_rule_matches_torch_optim(case):
    label, make, step, lr = case
    lrs = learning_rates(lr)
    want = torch_trajectory(make, lrs)
    got = ref.trajectory(step, W0, grad, lrs)
    # Same float64 formula; torch fuses some operations (addcdiv, lerp).
    assert_same_trajectory(got, want, rtol=1e-10, atol=1e-12, label=label)


@pytest.mark.parametrize("name,torch_class", [
    ("gradient_descent", "SGD"), ("momentum", "SGD"), ("adagrad", "Adagrad"),
    ("rmsprop", "RMSprop"), ("adadelta", "Adadelta"), ("adam", "Adam"),
    ("nadam", "NAdam"), ("adamw", "AdamW"),
])
def test_torch_convention_defaults_are_torch_defaults(name, torch_class):
    import inspect

    from tfcourse import optimizers

    signature = inspect.signature(getattr(torch.optim, torch_class).__init__).parameters
    config = optimizers.get(name, convention="torch").get_config()
    assert config["learning_rate"] == pytest.approx(signature["lr"].default, rel=1e-7)
    renames = {"eps": "epsilon", "alpha": "rho", "rho": "rho", "momentum": "momentum",
               "dampening": "dampening", "initial_accumulator_value": "initial_accumulator_value",
               "lr_decay": "lr_decay", "momentum_decay": "momentum_decay",
               "amsgrad": "amsgrad", "centered": "centered"}
    for torch_name, ours in renames.items():
        if torch_name in signature and ours in config:
            assert config[ours] == signature[torch_name].default, torch_name
    if "betas" in signature:
        assert (config["beta_1"], config["beta_2"]) == signature["betas"].default
    if name == "adamw":
        assert config["weight_decay"] == signature["weight_decay"].default


# --------------------------------------------------------- sparse gradients in torch
def _torch_sparse_trajectory(make, slices, lrs, table):
    param = torch.nn.Parameter(torch.tensor(table, dtype=torch.float64))
    opt = make([param], float(lrs[0]))
    points = [table.copy()]
    for t, (values, ids) in enumerate(slices):
        for group in opt.param_groups:
            group["lr"] = float(lrs[t])
        # Uncoalesced, as nn.Embedding(sparse=True) makes it: ids may repeat.
        param.grad = torch.sparse_coo_tensor(torch.tensor(ids[None, :], dtype=torch.int64),
                                             torch.tensor(values), table.shape,
                                             check_invariants=True)
        opt.step()
        points.append(param.detach().numpy().copy())
    return np.array(points)


SPARSE_CASES = [
    ("sgd", lambda p, lr: torch.optim.SGD(p, lr=lr), ref.gradient_descent(), None),
    ("sgd-momentum", lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.875),
     ref.momentum_torch(0.875), None),
    ("sgd-momentum-dampening",
     lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.875, dampening=0.25),
     ref.momentum_torch(0.875, dampening=0.25), None),
    ("sgd-nesterov", lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.875, nesterov=True),
     ref.momentum_torch(0.875, nesterov=True), None),
    ("adagrad", lambda p, lr: torch.optim.Adagrad(p, lr=lr, eps=EPS),
     ref.adagrad_torch(EPS), "all"),
]


@pytest.mark.parametrize("stream", ["repeated", "unique"])
@pytest.mark.parametrize("case", SPARSE_CASES, ids=[c[0] for c in SPARSE_CASES])
def test_torch_sparse_gradients_are_the_summed_rule(case, stream):
    """torch's optimizers that take sparse gradients sum the repeated ids
    (coalesce) and compute the dense rule (Adagrad: on the touched rows, which
    leaves the others as the dense rule does): the torch convention's meaning
    of an IndexedSlices gradient (tfcourse.conventions.SPARSE_GRADIENTS)."""
    from tests.test_optimizers_sparse import SLICES, STEPS, TABLE

    label, make, step, rows = case
    lrs = learning_rates(0.05)[:STEPS]
    want = ref.sparse_trajectory(step, TABLE, SLICES[stream], lrs, rows=rows)
    got = _torch_sparse_trajectory(make, SLICES[stream], lrs, TABLE)
    assert_same_trajectory(got, want, rtol=1e-10, atol=1e-12, label=f"{label} {stream}")


@pytest.mark.parametrize("torch_class", ["Adam", "AdamW", "RMSprop", "Adadelta", "NAdam"])
def test_torch_refuses_sparse_gradients_elsewhere(torch_class):
    """So the torch convention's summed rule is what these compute on the dense
    gradient of nn.Embedding(sparse=False) (the dense parity tests above)."""
    param = torch.nn.Parameter(torch.zeros(4, 2, dtype=torch.float64))
    opt = getattr(torch.optim, torch_class)([param], lr=0.1)
    param.grad = torch.sparse_coo_tensor(torch.tensor([[0, 0, 2]]), torch.ones(3, 2), (4, 2),
                                         check_invariants=True)
    with pytest.raises(RuntimeError, match="(?i)sparse"):
        opt.step()
