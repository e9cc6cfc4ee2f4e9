package example;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ThreadModel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * An example jnbdkit plugin: a read-only disk where every 8-byte word holds its own offset,
 * big-endian (like nbdkit-pattern-plugin). Handy for testing that clients read the right place.
 *
 * <pre>
 *   examples/java/build.sh
 *   bin/jnbdkit examples/java/pattern-plugin.jar size=1G
 *   bin/jnbdkit -U - examples/java/pattern-plugin.jar 1M --run 'nbdcopy $uri - | od -A d -t x1 | head'
 * </pre>
 */
public final class PatternPlugin implements Plugin {
    private static final ValueLayout.OfLong WORD =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private long size = -1;

    /** ServiceLoader needs a public no-argument constructor. */
    public PatternPlugin() {}

    @Override public String name() { return "pattern"; }

    @Override public String version() { return "1.0"; }

    @Override public String longname() { return "example pattern plugin"; }

    @Override public String configHelp() { return "size=<SIZE>  (required) Size of the disk"; }

    /** {@code jnbdkit pattern-plugin.jar 1G} means {@code size=1G}. */
    @Override public String magicConfigKey() { return "size"; }

    @Override
    public void config(String key, String value) {
        if (key.equals("size")) size = Nbdkit.parseSize(value);
        else throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
    }

    @Override
    public void configComplete() {
        if (size < 0) throw new PluginException(Errno.EINVAL, "you must specify size=<SIZE> on the command line");
    }

    /** The disk is computed, so any number of requests may run at once. */
    @Override public ThreadModel threadModel() { return ThreadModel.PARALLEL; }

    @Override
    public Handle open(OpenContext context) {
        Nbdkit.debug("pattern: client opened export '" + context.exportName() + "'");
        long sz = size;
        return new Handle() {
            @Override public long getSize() { return sz; }

            @Override public boolean canMultiConn() { return true; }

            /** Fill the request's buffer in place: no copy, no allocation. */
            @Override
            public void pread(IoBuffer buf, long offset, int flags) {
                MemorySegment seg = buf.segment();
                long len = seg.byteSize();
                for (long i = 0; i < len; ) {
                    long pos = offset + i;
                    long word = pos & ~7L;
                    int skip = (int) (pos - word);
                    if (skip == 0 && len - i >= 8) {
                        seg.set(WORD, i, word);
                        i += 8;
                    } else {
                        // a request that starts or ends inside a word
                        seg.set(ValueLayout.JAVA_BYTE, i, (byte) (word >>> (8 * (7 - skip))));
                        i++;
                    }
                }
            }
            // pwrite, trim, zero... are not overridden: the export is read-only.
        };
    }
}
