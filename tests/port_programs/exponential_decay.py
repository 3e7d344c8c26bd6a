# Lab 7 learning rate decay: a small 3-8-3 ReLU network on lists, plain gradient descent whose
# rate tf.train.exponential_decay lowers by 4% every 100 steps (minimize counts global_step)
import tensorflow as tf
tf.set_random_seed(777)  # for reproducibility

x_data = [[1, 2, 2],
          [1, 3, 1],
          [1, 4, 3],
          [1, 5, 6],
          [1, 6, 4],
          [1, 3, 6],
          [1, 7, 7],
          [1, 8, 6]]
y_data = [[0, 0, 1],
          [0, 0, 1],
          [0, 0, 1],
          [0, 1, 0],
          [0, 1, 0],
          [0, 1, 0],
          [1, 0, 0],
          [1, 0, 0]]

# three more points, kept out of training
x_test = [[2, 1, 1],
          [3, 1, 2],
          [3, 3, 4]]
y_test = [[0, 0, 1],
          [0, 0, 1],
          [0, 0, 1]]

X = tf.placeholder("float", [None, 3])
Y = tf.placeholder("float", [None, 3])

W1 = tf.Variable(tf.random_normal([3, 8]), name='weight1')
b1 = tf.Variable(tf.random_normal([8]), name='bias1')
layer1 = tf.nn.relu(tf.matmul(X, W1) + b1)

W2 = tf.Variable(tf.random_normal([8, 3]), name='weight2')
b2 = tf.Variable(tf.random_normal([3]), name='bias2')
logits = tf.matmul(layer1, W2) + b2
hypothesis = tf.nn.softmax(logits)

cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits, labels=Y))

# the rate starts at 0.1 and is multiplied by 0.96 every 100 steps
global_step = tf.Variable(0, trainable=False)
starter_learning_rate = 0.1
learning_rate = tf.train.exponential_decay(starter_learning_rate, global_step,
                                           100, 0.96, staircase=True)
# minimize adds 1 to global_step at each step
optimizer = tf.train.GradientDescentOptimizer(learning_rate=learning_rate).minimize(
    cost, global_step=global_step)

# predicted class and accuracy
prediction = tf.argmax(hypothesis, 1)
is_correct = tf.equal(prediction, tf.argmax(Y, 1))
accuracy = tf.reduce_mean(tf.cast(is_correct, tf.float32))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())

    for step in range(1001):
        cost_val, _ = sess.run([cost, optimizer], feed_dict={X: x_data, Y: y_data})
        if step % 100 == 0:
            print(step, cost_val, sess.run([global_step, learning_rate]))

    print("Prediction:", sess.run(prediction, feed_dict={X: x_test}))
    print("Accuracy: ", sess.run(accuracy, feed_dict={X: x_test, Y: y_test}))
    print("Final learning rate:", sess.run(learning_rate))
