# Every read sleeps one second (the GIL is released while it sleeps). thread_model() answers
# PYCONF_THREAD (default PARALLEL): under PARALLEL, requests overlap; under
# SERIALIZE_ALL_REQUESTS they run one after another.
import os
import time

import nbdkit

API_VERSION = 2


def thread_model():
    return getattr(nbdkit, "THREAD_MODEL_" + os.environ.get("PYCONF_THREAD", "PARALLEL"))


def open(readonly):
    return 1


def get_size(h):
    return 1024 * 1024


def pread(h, buf, offset, flags):
    time.sleep(1)
    buf[:] = bytes(len(buf))
