"""Independent NumPy references for the parity tests.

Plain loops over NumPy arrays, transcribed from the seeds (course rules), from
TF1 / Keras source (conventions.md section 2) and from torch's documentation
(``torch.optim`` algorithm boxes). Nothing here imports Keras or tfcourse, so
a mistake in the package cannot hide in its own reference.
"""
