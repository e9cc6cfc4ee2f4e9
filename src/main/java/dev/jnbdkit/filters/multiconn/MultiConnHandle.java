package dev.jnbdkit.filters.multiconn;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;

import java.util.Objects;

/**
 * One connection through the multi-conn filter: its resolved mode, its next layer (which other
 * connections' flushes may use in emulate mode) and its dirty flags. Flags and the connection
 * list are guarded by the filter's monitor.
 */
final class MultiConnHandle implements FilterHandle {
    private final MultiConnFilter filter;
    private final String exportName;
    private volatile Mode mode;
    private Next next;
    /** Wrote since this connection's last flush. */
    private boolean written;
    /** Read since its last flush (emulate mode: a flush of a dirty image must reach it too). */
    private boolean read;
    /** Not emulating: something changed the image, or another connection flushed, since its flush. */
    private boolean stale;

    MultiConnHandle(MultiConnFilter filter, String exportName) {
        this.filter = filter;
        this.exportName = exportName;
    }

    @Override
    public void prepare(Next next, boolean readonly) {
        Mode m = filter.modeFor(next.canMultiConn());
        if (m == Mode.EMULATE && !next.canFlush()) {
            throw new PluginException(Errno.EINVAL, "emulating multi-conn requires working flush");
        }
        mode = m;
        synchronized (filter) {
            this.next = next;
            filter.connections.add(this);
        }
    }

    @Override
    public void finalize(Next next) {
        synchronized (filter) {
            filter.connections.remove(this);
        }
    }

    private Mode mode(Next next) {
        Mode m = mode;
        return m != null ? m : filter.modeFor(next.canMultiConn());
    }

    @Override
    public boolean canMultiConn(Next next) {
        return switch (mode(next)) {
            case EMULATE, UNSAFE -> true;
            case DISABLE -> false;
            case PLUGIN, AUTO -> next.canMultiConn();
        };
    }

    /** Native FUA is no use when every FUA must become a flush of every connection. */
    @Override
    public FuaMode canFua(Next next) {
        FuaMode f = next.canFua();
        return f == FuaMode.NATIVE && mode(next) == Mode.EMULATE ? FuaMode.EMULATE : f;
    }

    /**
     * A write on this connection. In emulate mode it dirties this connection (and the image);
     * otherwise every connection's view may now be stale, so each one's next flush must go to
     * the plugin (what nbdkit's filter does, as measured against it).
     */
    private void dirtied(Mode m) {
        synchronized (filter) {
            written = true;
            filter.dirty = true;
            if (m != Mode.EMULATE) for (MultiConnHandle h : filter.connections) h.stale = true;
        }
    }

    /**
     * Runs a write-like call; when this layer answered {@link FuaMode#EMULATE} to FUA, the FUA
     * becomes a flush through this filter afterwards (so emulate mode replays it everywhere).
     */
    private void writing(Next next, int flags, java.util.function.IntConsumer call) {
        Mode m = mode(next);
        dirtied(m);
        boolean fua = (flags & dev.jnbdkit.spi.Flags.FUA) != 0 && canFua(next) == FuaMode.EMULATE;
        call.accept(fua ? flags & ~dev.jnbdkit.spi.Flags.FUA : flags);
        if (fua) flush(next, 0);
    }

    @Override
    public void pread(Next next, IoBuffer buf, long offset, int flags) {
        synchronized (filter) {
            read = true;
        }
        next.pread(buf, offset, flags);
    }

    @Override
    public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
        writing(next, flags, f -> next.pwrite(buf, offset, f));
    }

    @Override
    public void zero(Next next, long count, long offset, int flags) {
        writing(next, flags, f -> next.zero(count, offset, f));
    }

    @Override
    public void trim(Next next, long count, long offset, int flags) {
        writing(next, flags, f -> next.trim(count, offset, f));
    }

    @Override
    public void flush(Next next, int flags) {
        synchronized (filter) {
            TrackDirty track = filter.track();
            if (mode(next) == Mode.EMULATE) {
                // Replay on every connection (of this export, with multi-conn-exportname) that needs it.
                boolean dirty = filter.dirty;
                for (MultiConnHandle h : filter.connections) {
                    if (filter.byName() && !Objects.equals(h.exportName, exportName)) continue;
                    boolean need = switch (track) {
                        case OFF -> true;
                        case FAST -> dirty;
                        case CONNECTION -> h.written || (dirty && h.read);
                    };
                    if (need) {
                        h.next.flush(flags);
                        h.clean();
                    }
                }
            } else {
                boolean need = switch (track) {
                    case OFF -> true;
                    case FAST -> filter.dirty;
                    case CONNECTION -> written || stale;
                };
                if (need) {
                    next.flush(flags);
                    clean();
                    // Another connection may have cached what this flush just made stale.
                    if (track == TrackDirty.CONNECTION) {
                        for (MultiConnHandle h : filter.connections) if (h != this) h.stale = true;
                    }
                }
            }
            filter.dirty = false;
        }
    }

    private void clean() {
        written = false;
        read = false;
        stale = false;
    }
}
