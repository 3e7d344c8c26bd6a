# TensorBoard summaries: scalar + histogram, merge_all, FileWriter. argv[1]: log folder.
import sys

import tensorflow as tf

tf.set_random_seed(777)
X = tf.placeholder(tf.float32, [None, 2])
Y = tf.placeholder(tf.float32, [None, 1])
W1 = tf.Variable(tf.random_normal([2, 1]), name='weight1')
hypothesis = tf.sigmoid(tf.matmul(X, W1))
cost = -tf.reduce_mean(Y * tf.log(hypothesis) + (1 - Y) * tf.log(1 - hypothesis))
train = tf.train.GradientDescentOptimizer(0.1).minimize(cost)

tf.summary.histogram("weights1", W1)
tf.summary.scalar("cost", cost)
merged_summary = tf.summary.merge_all()

with tf.Session() as sess:
    writer = tf.summary.FileWriter(sys.argv[1])
    writer.add_graph(sess.graph)
    sess.run(tf.global_variables_initializer())
    for step in range(5):
        summary, _ = sess.run([merged_summary, train],
                              feed_dict={X: [[0, 0], [1, 1]], Y: [[0], [1]]})
        writer.add_summary(summary, global_step=step)
    writer.close()
print("Wrote summaries")
