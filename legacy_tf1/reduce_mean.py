"""tf.reduce_mean along axis 1 of a fed matrix.

Seed: 004_bed41145f0b74057.txt, slide "Reduce mean".
Course result: none reported; prints [1. 2.] (the means of the two rows).
Lines: all from the seed; only the import line differs, and the seed's unbalanced parenthesis in
the last line (`...[1., 2., 3.]])})`, a SyntaxError) is closed correctly.
"""
import tfcourse.compat.v1 as tf

x = tf.placeholder(tf.float32, [None, 3])
mean = tf.reduce_mean(x, axis=1)
sess = tf.Session()

print(sess.run(mean, feed_dict={x: [[1.5, 0.5, 1.0], [1., 2., 3.]]}))
