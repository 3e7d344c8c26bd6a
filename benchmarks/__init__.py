"""tfcourse's benchmarks, run on demand (never part of the tests).

Speed suite (``python -m benchmarks [NAME ...]``; see README.md):

* ``startup``: ``tfcourse --help`` and ``import tfcourse`` wall time;
* ``matmul``: float32 matmul peak and the matmul floor of one MLP training step;
* ``labs``: legacy TF1 vs TF2 port vs Keras tier of a lab, samples/s at batch 100 and 1024;
* ``optimizers``: every tfcourse optimizer vs its Keras built-in (update alone, and model.fit);
* ``tuner``: trials per hour of ``tfcourse tune`` on a fixed small search;
* ``port``: ``tfcourse port`` per program against one run of its first steps, and the wall
  time of ``tfcourse compare`` on the README's main job;
* ``conv``: the lab-11 convolutional program, TF1 vs its Keras port, samples/s at batch 100
  and 1024, each as a share of the convolution floor (``convolution.py``).

Accuracy benchmarks (scripts): ``bn_first_epoch.py``, ``labs_accuracy.py``.
"""

SUITE = ("startup", "matmul", "labs", "optimizers", "tuner", "port", "conv")
"""The speed benchmarks in the order ``python -m benchmarks`` runs them."""

MODULES = {"startup": "startup", "matmul": "matmul", "labs": "labs_throughput",
           "optimizers": "optimizers", "tuner": "tuner", "port": "port", "conv": "conv_lab"}
"""Benchmark name -> module of this package (each has ``main(argv, quick, results_dir)``)."""
