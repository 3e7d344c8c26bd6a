"""Seed 003's learning-rate decay rules as plain Python functions of (epoch_num, t)."""

import math


def inverse_time(alpha_0, decay_rate, epoch_num):
    return 1.0 / (1.0 + decay_rate * epoch_num) * alpha_0


def exponential(alpha_0, base, epoch_num):
    return base**epoch_num * alpha_0


def inverse_sqrt_epoch(alpha_0, k, epoch_num):
    return k / math.sqrt(epoch_num) * alpha_0


def inverse_sqrt_step(alpha_0, k, t):
    return k / math.sqrt(t) * alpha_0


def staircase(alpha_0, factor, epochs_per_drop, epoch_num):
    return alpha_0 * factor ** ((epoch_num - 1) // epochs_per_drop)


def epoch_of_step(step, steps_per_epoch, first_epoch=1):
    """Keras feeds step 0 to the first update; epochs count from first_epoch."""
    return step // steps_per_epoch + first_epoch


def inverse_step(epsilon_0, a, t):
    """Seed 004: epsilon = epsilon_0 / (a t), t counted from 1."""
    return epsilon_0 / (a * t)
