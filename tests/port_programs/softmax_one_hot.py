# Lab 6 Softmax Classifier: one-hot labels, softmax and cross-entropy written out
import tensorflow as tf
tf.set_random_seed(777)  # for reproducibility

x_data = [[1, 3, 2, 1],
          [2, 2, 3, 1],
          [3, 1, 2, 4],
          [4, 2, 4, 5],
          [2, 6, 5, 4],
          [1, 3, 6, 5],
          [2, 6, 7, 6],
          [1, 8, 6, 7]]
y_data = [[0, 0, 1],
          [0, 0, 1],
          [0, 0, 1],
          [0, 1, 0],
          [0, 1, 0],
          [0, 1, 0],
          [1, 0, 0],
          [1, 0, 0]]

X = tf.placeholder("float", [None, 4])
Y = tf.placeholder("float", [None, 3])
nb_classes = 3

W = tf.Variable(tf.random_normal([4, nb_classes]), name='weight')
b = tf.Variable(tf.random_normal([nb_classes]), name='bias')

# softmax turns the scores XW + b into probabilities
hypothesis = tf.nn.softmax(tf.matmul(X, W) + b)

# cross-entropy
cost = tf.reduce_mean(-tf.reduce_sum(Y * tf.log(hypothesis), axis=1))

optimizer = tf.train.GradientDescentOptimizer(learning_rate=0.1).minimize(cost)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())

    for step in range(2001):
        sess.run(optimizer, feed_dict={X: x_data, Y: y_data})
        if step % 200 == 0:
            print(step, sess.run(cost, feed_dict={X: x_data, Y: y_data}))

    # the class of new points: the index of the largest probability
    print('=== test ===')
    p1 = sess.run(hypothesis, feed_dict={X: [[1, 9, 8, 8]]})
    print(p1, sess.run(tf.argmax(p1, 1)))

    p2 = sess.run(hypothesis, feed_dict={X: [[2, 3, 5, 4]]})
    print(p2, sess.run(tf.argmax(p2, 1)))

    p3 = sess.run(hypothesis, feed_dict={X: [[2, 1, 1, 2]]})
    print(p3, sess.run(tf.argmax(p3, 1)))

    p_all = sess.run(hypothesis, feed_dict={
                     X: [[1, 9, 8, 8], [2, 3, 5, 4], [2, 1, 1, 2]]})
    print("Predicted classes:", sess.run(tf.argmax(p_all, 1)))
