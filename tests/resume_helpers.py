"""A small training run for the resume tests, run in a subprocess (it may be SIGKILLed).

    python tests/resume_helpers.py CHECKPOINT_DIR OUT.npz [--kill-at-step K]
        [--kill-in-write EPOCH] [--seed S] [--epochs E] [--nan-at-step K]

Trains a 2-hidden-layer MLP with dropout and tfcourse's Adam (tf1
convention) on fixed synthetic data through tfcourse.training.train with
epoch-end checkpoints, then saves every model and optimizer variable to OUT.
--kill-at-step kills the process with SIGKILL after optimizer step K (mid
epoch); --kill-in-write kills it half-way through writing the checkpoint of
epoch EPOCH (1-based).
"""

import argparse
import os
import signal
import sys

import numpy as np

NUM_EXAMPLES, BATCH, FEATURES, CLASSES = 96, 16, 8, 3  # 6 steps per epoch


def data():
    rng = np.random.default_rng(123)
    x = rng.normal(size=(NUM_EXAMPLES, FEATURES)).astype("float32")
    y = (np.argmax(x[:, :CLASSES], axis=1)).astype("int64")
    return x, y


def _spike_class():
    import keras

    @keras.saving.register_keras_serializable(package="tfcourse_tests")
    class SpikeAt(keras.optimizers.schedules.LearningRateSchedule):
        """0.01, except 1e30 at update ``update`` (0-based)."""

        def __init__(self, update):
            self.update = update

        def __call__(self, step):
            return keras.ops.where(keras.ops.equal(step, self.update), 1e30, 0.01)

        def get_config(self):
            return {"update": self.update}

    return SpikeAt


def build(seed):
    import keras

    from tfcourse import optimizers

    model = keras.Sequential([
        keras.Input((FEATURES,)),
        keras.layers.Dense(16, activation="relu", name="hidden_1"),
        keras.layers.Dropout(0.3, name="dropout"),
        keras.layers.Dense(16, activation="relu", name="hidden_2"),
        keras.layers.Dense(CLASSES, name="logits"),
    ])
    model.compile(optimizer=optimizers.Adam(0.01, convention="tf1"),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=False)
    return model


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint_dir")
    parser.add_argument("out")
    parser.add_argument("--kill-at-step", type=int)
    parser.add_argument("--kill-in-write", type=int)
    parser.add_argument("--nan-at-step", type=int)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args(argv)

    import keras

    import tfcourse
    from tfcourse import checkpointing
    from tfcourse.training import train

    tfcourse.set_seed(args.seed)
    model = build(args.seed)
    SpikeAt = _spike_class()
    x, y = data()
    callbacks = []
    if args.kill_at_step is not None:
        class Kill(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if int(self.model.optimizer.iterations.numpy()) == args.kill_at_step:
                    os.kill(os.getpid(), signal.SIGKILL)
        callbacks.append(Kill())
    if args.kill_in_write is not None:
        real = checkpointing._write_arrays
        calls = []

        def dying_writer(path, arrays):
            calls.append(path)
            if len(calls) == args.kill_in_write:
                real(path, arrays)
                size = os.path.getsize(path)
                with open(path, "r+b") as handle:  # a half-written file on disk
                    handle.truncate(size // 2)
                os.kill(os.getpid(), signal.SIGKILL)
            real(path, arrays)
        checkpointing._write_arrays = dying_writer
    if args.nan_at_step is not None:
        # learning rate 1e30 on the step before: Adam moves every weight by
        # about 1e30, so the next forward pass overflows and the loss is NaN
        model.optimizer.learning_rate = SpikeAt(args.nan_at_step - 2)
    train(model, x, y, batch_size=BATCH, epochs=args.epochs, seed=args.seed, verbose=0,
          checkpoint_dir=args.checkpoint_dir, callbacks=callbacks)
    values = {f"model_{i}": v.numpy() for i, v in enumerate(model.variables)}
    values.update({f"optimizer_{i}": v.numpy() for i, v in enumerate(model.optimizer.variables)})
    np.savez(args.out, **values)
    return 0


if __name__ == "__main__":
    sys.exit(main())
