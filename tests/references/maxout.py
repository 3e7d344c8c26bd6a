"""NumPy transcription of Maxout (seed 000): y_u = max_p (x . w_{u,p} + b_{u,p})."""

import numpy as np


def maxout(x, kernel, bias, units, num_pieces):
    """Kernel (in, units*k), bias (units*k,); column u*k + p is piece p of unit u."""
    x = np.asarray(x, np.float64)
    out = np.empty(x.shape[:-1] + (units,))
    for u in range(units):
        pieces = [x @ kernel[:, u * num_pieces + p] + bias[u * num_pieces + p]
                  for p in range(num_pieces)]
        out[..., u] = np.max(np.stack(pieces, axis=-1), axis=-1)
    return out
