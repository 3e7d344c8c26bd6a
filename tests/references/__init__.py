"""Plain NumPy transcriptions of the course formulas, used as test oracles."""
