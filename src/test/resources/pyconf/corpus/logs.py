# A plugin that reports as real ones do: print() while it loads and is configured (flushed),
# the logging module on stderr, sys.stderr.write in callbacks, nbdkit.debug (seen with -v), and
# an error with a traceback (a read at offset 4096 raises after set_error(EPERM)).
import errno
import logging
import sys

import nbdkit

API_VERSION = 2
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
log = logging.getLogger("corpus")
print("corpus: loading", flush=True)
disk = bytearray(64 * 1024)


def config(key, value):
    print("corpus: config %s=%s" % (key, value), flush=True)
    log.info("config %s", key)


def config_complete():
    log.warning("config complete")
    nbdkit.debug("corpus: debug in config_complete")


def get_ready():
    print("corpus: get_ready", flush=True)


def open(readonly):
    log.info("open readonly=%s export=%r", readonly, nbdkit.export_name())
    return 1


def close(h):
    log.info("close")


def get_size(h):
    return len(disk)


def pread(h, buf, offset, flags):
    sys.stderr.write("corpus: pread %d %d\n" % (offset, len(buf)))
    nbdkit.debug("corpus: debug in pread %d" % offset)
    if offset == 4096:
        nbdkit.set_error(errno.EPERM)
        raise PermissionError("corpus: no reading at 4096")
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    log.info("pwrite %d %d", offset, len(buf))
    print("corpus: printed in pwrite (stdout is /dev/null by now)", flush=True)
    disk[offset:offset + len(buf)] = buf


def cleanup():
    log.info("cleanup")
