# Lab 4 Multi-variable linear regression with a matrix: tf.matmul(X, W) + b
import tensorflow as tf
tf.set_random_seed(777)  # for reproducibility

# three quiz scores per student -> final exam score
x_data = [[70., 85., 78.],
          [90., 86., 95.],
          [88., 93., 89.],
          [97., 99., 98.],
          [75., 64., 72.]]
y_data = [[156.],
          [182.],
          [180.],
          [196.],
          [141.]]

X = tf.placeholder(tf.float32, shape=[None, 3])
Y = tf.placeholder(tf.float32, shape=[None, 1])

W = tf.Variable(tf.random_normal([3, 1]), name='weight')
b = tf.Variable(tf.random_normal([1]), name='bias')

# Hypothesis
hypothesis = tf.matmul(X, W) + b

# cost: mean squared error
cost = tf.reduce_mean(tf.square(hypothesis - Y))

# Minimize
optimizer = tf.train.GradientDescentOptimizer(learning_rate=1e-5)
train = optimizer.minimize(cost)

sess = tf.Session()
sess.run(tf.global_variables_initializer())

for step in range(2001):
    cost_val, hy_val, _ = sess.run(
        [cost, hypothesis, train], feed_dict={X: x_data, Y: y_data})
    if step % 100 == 0:
        print(step, "Cost: ", cost_val, "\nPrediction:\n", hy_val)
