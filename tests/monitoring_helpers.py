"""Read TensorBoard event files back, independently of tfcourse.monitoring."""

from __future__ import annotations

import glob
import os
from collections import defaultdict

import numpy as np


def read_events(folder: str) -> dict[str, list[tuple[int, object]]]:
    """Return ``{tag: [(step, value), ...]}`` for every summary in ``folder``'s event files.

    Scalars come back as floats, text as str, other tensors (histograms,
    images, hparams) as their ``Summary.Value`` protos, in file order.
    """
    import tensorflow as tf

    found: dict[str, list] = defaultdict(list)
    for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                plugin = value.metadata.plugin_data.plugin_name
                if plugin == "scalars":
                    found[value.tag].append((event.step, float(tf.make_ndarray(value.tensor))))
                elif plugin == "text":
                    text = tf.make_ndarray(value.tensor).ravel()[0].decode()
                    found[value.tag].append((event.step, text))
                else:
                    found[value.tag].append((event.step, value))
    return dict(found)


def scalar_series(events, tag: str) -> dict[int, float]:
    """``{step: value}`` of one scalar tag (the last value wins for a repeated step)."""
    return {step: value for step, value in events[tag]}


def histogram_counts(value) -> np.ndarray:
    """The bucket counts of a histogram summary value ([left, right, count] rows)."""
    import tensorflow as tf

    return tf.make_ndarray(value.tensor)[:, 2]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str, body=None):
    """GET (or POST ``body`` as JSON) and decode the JSON answer."""
    import json
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def session_groups(url: str) -> dict:
    """The HParams dashboard's table: session group name -> group, as the page asks for it."""
    statuses = ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"]
    groups = get_json(f"{url}/data/plugin/hparams/session_groups",
                      {"experimentName": "", "allowedStatuses": statuses, "colParams": [],
                       "startIndex": 0, "sliceSize": 100})
    return {group["name"]: group for group in groups["sessionGroups"]}
