"""Write the three small CSV files the port programs read (deterministic; re-run to regenerate).

The course's labs read data-01-test-score.csv, data-03-diabetes.csv and
data-04-zoo.csv. These are stand-ins of the same shape and kind, drawn here
from fixed seeds (tests/test_port_programs_run.py checks the shipped files are
exactly what this writes):

* data-01-test-score.csv: 25 students, three quiz scores (integers 55..100) and
  a final score of 0.5 q1 + 0.6 q2 + 0.9 q3 plus integer noise;
* data-03-diabetes.csv: 60 patients, 8 features scaled to [-1, 1] and a 0/1
  label from a noisy linear rule;
* data-04-zoo.csv: 40 animals, 15 yes/no attributes, a leg count and a class
  0..6 (each class present), attributes drawn around one prototype per class.

Usage: ``python tests/port_programs/generate_data.py``
"""

from pathlib import Path

import numpy as np

FOLDER = Path(__file__).parent


def test_scores() -> np.ndarray:
    rng = np.random.default_rng(2017)
    quizzes = rng.integers(55, 101, size=(25, 3))
    final = quizzes @ np.array([0.5, 0.6, 0.9]) + rng.integers(-4, 5, size=25)
    return np.c_[quizzes, np.rint(final)].astype(np.int64)


def diabetes() -> np.ndarray:
    rng = np.random.default_rng(2018)
    features = rng.uniform(-1.0, 1.0, size=(60, 8))
    weights = np.array([1.5, -2.0, 0.5, 1.0, -0.5, 2.0, -1.0, 0.8])
    logits = features @ weights + 0.3 + rng.normal(0.0, 0.8, size=60)
    labels = (logits > 0).astype(np.float64)
    return np.c_[np.round(features, 6), labels]


def zoo() -> np.ndarray:
    rng = np.random.default_rng(2019)
    prototypes = rng.integers(0, 2, size=(7, 15))
    legs_by_class = np.array([4, 2, 0, 4, 0, 6, 8])
    classes = np.r_[np.arange(7), rng.integers(0, 7, size=33)]
    rng.shuffle(classes)
    flips = rng.random(size=(40, 15)) < 0.1
    attributes = np.where(flips, 1 - prototypes[classes], prototypes[classes])
    return np.c_[attributes, legs_by_class[classes], classes].astype(np.int64)


ZOO_HEADER = ("hair,feathers,eggs,milk,airborne,aquatic,predator,toothed,backbone,breathes,"
              "venomous,fins,tail,domestic,catsize,legs,class")

FILES = {
    "data-01-test-score.csv": (test_scores, "%d", ""),
    "data-03-diabetes.csv": (diabetes, ["%.6f"] * 8 + ["%d"], ""),
    "data-04-zoo.csv": (zoo, "%d", ZOO_HEADER),
}


def render(name: str) -> str:
    """The text of one CSV file, as written by :func:`main`."""
    import io

    make, fmt, header = FILES[name]
    buffer = io.StringIO()
    np.savetxt(buffer, make(), fmt=fmt, delimiter=",", header=header)
    return buffer.getvalue()


def main() -> None:
    for name in FILES:
        (FOLDER / name).write_text(render(name), encoding="utf-8")
        print("wrote", FOLDER / name)


if __name__ == "__main__":
    main()
