"""Loading MNIST with input_data.read_data_sets and showing one training image.

Seed: 004_bed41145f0b74057.txt, slide "MNIST data".
Course result: prints the shapes (55000, 784) (55000, 10) (10000, 784) (10000, 10) and shows the
second training image.
Lines: all from the seed; only the input_data import line differs.
"""
import matplotlib.pyplot as plt
import numpy as np

from tfcourse.compat.v1.examples.tutorials.mnist import input_data

mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)

print(np.shape(mnist.train.images))
print(np.shape(mnist.train.labels))
print(np.shape(mnist.test.images))
print(np.shape(mnist.test.labels))

plt.imshow(
    mnist.train.images[1].reshape(28, 28),
    cmap="Greys",
    interpolation="nearest",
)
plt.show()
