# Char RNN on one sentence: two stacked LSTM cells (MultiRNNCell), a softmax layer and
# sequence_loss over windows of 10 characters (the course's lab 12 long-sentence RNN), TF1 style.
import numpy as np
import tensorflow as tf
from tensorflow.contrib import rnn

tf.set_random_seed(777)  # reproducibility

sentence = ("if you want to build a ship, don't drum up people to collect wood.")

char_set = sorted(set(sentence))
char_dic = {w: i for i, w in enumerate(char_set)}

data_dim = len(char_set)
hidden_size = len(char_set)
num_classes = len(char_set)
sequence_length = 10  # any window length
learning_rate = 0.1

dataX = []
dataY = []
for i in range(0, len(sentence) - sequence_length):
    x_str = sentence[i:i + sequence_length]
    y_str = sentence[i + 1: i + sequence_length + 1]
    dataX.append([char_dic[c] for c in x_str])  # x str to index
    dataY.append([char_dic[c] for c in y_str])  # y str to index

batch_size = len(dataX)

X = tf.placeholder(tf.int32, [None, sequence_length])
Y = tf.placeholder(tf.int32, [None, sequence_length])

# one-hot encoding
X_one_hot = tf.one_hot(X, num_classes)
print("One-hot shape:", X_one_hot.shape.as_list())


def lstm_cell():
    cell = rnn.BasicLSTMCell(hidden_size, state_is_tuple=True)
    return cell


multi_cells = rnn.MultiRNNCell([lstm_cell() for _ in range(2)], state_is_tuple=True)

# outputs: unfolding size x hidden size, state = hidden size
outputs, _states = tf.nn.dynamic_rnn(multi_cells, X_one_hot, dtype=tf.float32)

# the softmax (fully connected) layer
X_for_fc = tf.reshape(outputs, [-1, hidden_size])
outputs = tf.contrib.layers.fully_connected(X_for_fc, num_classes, activation_fn=None)
outputs = tf.reshape(outputs, [batch_size, sequence_length, num_classes])

# all weights are 1 (equal weights)
weights = tf.ones([batch_size, sequence_length])
sequence_loss = tf.contrib.seq2seq.sequence_loss(logits=outputs, targets=Y, weights=weights)
mean_loss = tf.reduce_mean(sequence_loss)
train_op = tf.train.AdamOptimizer(learning_rate=learning_rate).minimize(mean_loss)

sess = tf.Session()
sess.run(tf.global_variables_initializer())

print("Variables:", [v.name for v in tf.trainable_variables()])
for i in range(60):
    _, l, results = sess.run([train_op, mean_loss, outputs], feed_dict={X: dataX, Y: dataY})
    if i % 10 == 0 or i == 59:
        print(i, "loss:", l)

# the predicted text: the first window, then the last character of each next window
results = sess.run(outputs, feed_dict={X: dataX})
text = ''
for j, result in enumerate(results):
    index = np.argmax(result, axis=1)
    if j == 0:
        text += ''.join([char_set[t] for t in index])
    else:
        text += char_set[index[-1]]
print("Predicted:", text)
print("Expected: ", sentence[1:])
