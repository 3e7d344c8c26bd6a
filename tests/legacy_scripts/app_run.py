# tf.app.run(), tf.reset_default_graph() and the TF2-era `import tensorflow.compat.v1 as tf`
# with tf.disable_v2_behavior(): all three must work inside the runner's graph.
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def main(argv):
    tf.reset_default_graph()
    x = tf.placeholder(tf.float32, [None])
    with tf.Session() as sess:
        print("argv:", argv[1:], "doubled:", sess.run(x * 2, feed_dict={x: [1.0, 2.5]}))


if __name__ == "__main__":
    tf.app.run()
