package dev.jnbdkit.filters.pause;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.nio.file.Path;

/**
 * nbdkit-pause-filter: a control socket pauses and resumes the handling of data requests (for
 * snapshots of the storage beneath). While paused, new requests wait; the pause is acknowledged
 * once the requests already running are done.
 */
public final class PauseFilter implements Filter {
    private final Gate gate = new Gate();
    private Path control;
    private ControlSocket socket;

    @Override public String name() { return "pause"; }

    @Override public String longname() { return "nbdkit pause filter"; }

    @Override public String configHelp() {
        return "pause-control=SOCKET           Control socket.";
    }

    @Override public void config(NextBackend next, String key, String value) {
        if (key.equals("pause-control")) control = Path.of(value);
        else next.config(key, value);
    }

    @Override public void configComplete(NextBackend next) {
        if (control == null) throw new PluginException(Errno.EINVAL, "pause-control socket was not set");
        next.configComplete();
    }

    @Override public void afterFork(NextBackend backend) {
        socket = new ControlSocket(control, gate);
        try {
            socket.start();
        } catch (IOException e) {
            throw new PluginException(Errno.EIO, "pause-control: " + control + ": " + e.getMessage());
        }
    }

    @Override public void cleanup(NextBackend backend) {
        if (socket != null) socket.close();
    }

    @Override public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new Handle();
    }

    private final class Handle implements FilterHandle {
        private interface Call { void run(); }

        private void gated(Call c) {
            gate.enter();
            try {
                c.run();
            } finally {
                gate.leave();
            }
        }

        @Override public void pread(Next next, IoBuffer buf, long offset, int flags) { gated(() -> next.pread(buf, offset, flags)); }

        @Override public void pwrite(Next next, IoBuffer buf, long offset, int flags) { gated(() -> next.pwrite(buf, offset, flags)); }

        @Override public void flush(Next next, int flags) { gated(() -> next.flush(flags)); }

        @Override public void trim(Next next, long count, long offset, int flags) { gated(() -> next.trim(count, offset, flags)); }

        @Override public void zero(Next next, long count, long offset, int flags) { gated(() -> next.zero(count, offset, flags)); }

        @Override public void extents(Next next, long count, long offset, int flags, ExtentSink extents) {
            gated(() -> next.extents(count, offset, flags, extents));
        }

        @Override public void cache(Next next, long count, long offset, int flags) { gated(() -> next.cache(count, offset, flags)); }
    }
}
