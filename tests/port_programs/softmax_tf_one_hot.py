# Lab 6 Softmax Classifier on zoo data: class ids in a CSV, tf.one_hot + reshape,
# softmax_cross_entropy_with_logits
import tensorflow as tf
import numpy as np
tf.set_random_seed(777)  # for reproducibility

# 16 attributes of an animal, then its class 0..6
xy = np.loadtxt('data-04-zoo.csv', delimiter=',', dtype=np.float32)
x_data = xy[:, 0:-1]
y_data = xy[:, [-1]]

print(x_data.shape, y_data.shape)

nb_classes = 7  # 0 ~ 6

X = tf.placeholder(tf.float32, [None, 16])
Y = tf.placeholder(tf.int32, [None, 1])  # 0 ~ 6
Y_one_hot = tf.one_hot(Y, nb_classes)  # one hot: shape (?, 1, 7)
print("one_hot", Y_one_hot)
Y_one_hot = tf.reshape(Y_one_hot, [-1, nb_classes])  # back to (?, 7)
print("reshape", Y_one_hot)

W = tf.Variable(tf.random_normal([16, nb_classes]), name='weight')
b = tf.Variable(tf.random_normal([nb_classes]), name='bias')

# the scores before softmax are the logits
logits = tf.matmul(X, W) + b
hypothesis = tf.nn.softmax(logits)

# cross-entropy computed from the logits
cost_i = tf.nn.softmax_cross_entropy_with_logits(logits=logits,
                                                 labels=Y_one_hot)
cost = tf.reduce_mean(cost_i)
optimizer = tf.train.GradientDescentOptimizer(learning_rate=0.1).minimize(cost)

prediction = tf.argmax(hypothesis, 1)
correct_prediction = tf.equal(prediction, tf.argmax(Y_one_hot, 1))
accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())

    for step in range(2000):
        sess.run(optimizer, feed_dict={X: x_data, Y: y_data})
        if step % 100 == 0:
            loss, acc = sess.run([cost, accuracy], feed_dict={
                                 X: x_data, Y: y_data})
            print("step", step, "loss", loss, "accuracy", acc)

    # each animal: predicted class vs its class
    pred = sess.run(prediction, feed_dict={X: x_data})
    for i, (p, y) in enumerate(zip(pred, y_data.flatten())):
        print(i, "predicted", p, "class", int(y), "OK" if p == int(y) else "WRONG")
    print("Final accuracy:", sess.run(accuracy, feed_dict={X: x_data, Y: y_data}))
