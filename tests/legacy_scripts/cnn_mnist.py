# A small CNN on MNIST with tf.layers.conv2d / max_pooling2d / flatten / dense. TF1 style.
import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

tf.set_random_seed(777)
mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)

X = tf.placeholder(tf.float32, [None, 784])
X_img = tf.reshape(X, [-1, 28, 28, 1])
Y = tf.placeholder(tf.float32, [None, 10])

conv1 = tf.layers.conv2d(X_img, filters=8, kernel_size=[3, 3], padding="SAME", activation=tf.nn.relu)
pool1 = tf.layers.max_pooling2d(conv1, pool_size=[2, 2], strides=2, padding="SAME")
conv2 = tf.layers.conv2d(pool1, filters=16, kernel_size=[3, 3], padding="same", activation=tf.nn.relu)
pool2 = tf.layers.max_pooling2d(conv2, pool_size=[2, 2], strides=2)
flat = tf.layers.flatten(pool2)
logits = tf.layers.dense(flat, 10)

cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits, labels=Y))
optimizer = tf.train.AdamOptimizer(0.01).minimize(cost)
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(Y, 1)), tf.float32))

sess = tf.Session()
sess.run(tf.global_variables_initializer())
print('Shapes:', pool1.shape.as_list(), pool2.shape.as_list(), flat.shape.as_list())
for epoch in range(2):
    for i in range(int(mnist.train.num_examples / 100)):
        batch_xs, batch_ys = mnist.train.next_batch(100)
        c, _ = sess.run([cost, optimizer], feed_dict={X: batch_xs, Y: batch_ys})
    print('Epoch:', epoch + 1, 'cost =', c)
print('Accuracy:', sess.run(accuracy, feed_dict={X: mnist.test.images, Y: mnist.test.labels}))
