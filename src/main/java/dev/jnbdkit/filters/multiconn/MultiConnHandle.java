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
    /** Read since its last flush. */
    private boolean read;
    /** Read before another connection's flush: its view may be stale until it flushes. */
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

    private void dirtied() {
        synchronized (filter) {
            written = true;
            filter.dirty = true;
        }
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
        dirtied();
        next.pwrite(buf, offset, flags);
    }

    @Override
    public void zero(Next next, long count, long offset, int flags) {
        dirtied();
        next.zero(count, offset, flags);
    }

    @Override
    public void trim(Next next, long count, long offset, int flags) {
        dirtied();
        next.trim(count, offset, flags);
    }

    private boolean needsFlush(MultiConnHandle h) {
        return switch (filter.track()) {
            case OFF -> true;
            case FAST -> filter.dirty;
            case CONNECTION -> h.written || h.stale;
        };
    }

    @Override
    public void flush(Next next, int flags) {
        synchronized (filter) {
            if (mode(next) == Mode.EMULATE) {
                boolean wasDirty = filter.dirty;
                for (MultiConnHandle h : filter.connections) {
                    if (filter.byName() && !Objects.equals(h.exportName, exportName)) continue;
                    boolean need = filter.track() == TrackDirty.FAST ? wasDirty : needsFlush(h);
                    if (need) {
                        h.next.flush(flags);
                        h.clean();
                    }
                }
                if (!filter.connections.contains(this) && needsFlush(this)) {
                    next.flush(flags);
                    clean();
                }
            } else if (needsFlush(this)) {
                next.flush(flags);
                clean();
            }
            filter.dirty = false;
            // Whatever another connection read before this flush may now be stale there.
            for (MultiConnHandle h : filter.connections) {
                if (h != this && h.read) {
                    h.stale = true;
                    h.read = false;
                }
            }
        }
    }

    private void clean() {
        written = false;
        read = false;
        stale = false;
    }
}
