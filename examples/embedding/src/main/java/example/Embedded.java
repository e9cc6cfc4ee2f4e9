package example;

import dev.jnbdkit.NbdServer;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * A program with an NBD disk of its own: a read-only disk whose every 8-byte word holds its own
 * offset, served on a Unix socket until the program is stopped.
 *
 * <pre>
 *   mvn -q package exec:java -Dexec.args=/tmp/example.sock     (or run Embedded.main from an IDE)
 *   nbdinfo 'nbd+unix:///?socket=/tmp/example.sock'
 * </pre>
 */
public final class Embedded {
    /** The plugin: an object of the program, not a separate process or file. */
    public static final class OffsetsPlugin implements Plugin {
        private final long size;

        public OffsetsPlugin(long size) { this.size = size; }

        @Override public String name() { return "offsets"; }

        @Override
        public Handle open(OpenContext context) {
            return new Handle() {
                @Override public long getSize() { return size; }

                @Override
                public void pread(IoBuffer buf, long offset, int flags) {
                    var seg = buf.segment();
                    for (long i = 0; i < seg.byteSize(); i++) {
                        long at = offset + i;
                        long word = at & ~7L;
                        int shift = (int) (7 - (at & 7)) * 8; // big-endian, as nbdkit's pattern plugin
                        seg.set(ValueLayout.JAVA_BYTE, i, (byte) (word >>> shift));
                    }
                }
            };
        }
    }

    /** Starts the server on {@code socket}; the caller closes it. */
    public static NbdServer serve(Path socket, long size) throws Exception {
        return NbdServer.builder()
                .plugin(new OffsetsPlugin(size))
                .filter("nofilter")          // filters stack as with --filter
                .readonly(true)
                .unixSocket(socket)
                .start();
    }

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args.length > 0 ? args[0] : "/tmp/example.sock");
        try (NbdServer server = serve(socket, 1 << 20)) {
            System.out.println("serving " + server.uri());
            Runtime.getRuntime().addShutdownHook(new Thread(server::close));
            server.awaitShutdown();
        }
    }
}
