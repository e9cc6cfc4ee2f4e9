package dev.jnbdkit.filters.cacheextents;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Extents;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.OpenContext;

/**
 * nbdkit-cacheextents-filter: keeps the answer of the last block-status call to the plugin and
 * serves any request that starts inside it from there, so a client walking the disk one extent
 * at a time (qemu-img convert, REQ_ONE) costs the plugin one call per answer, not per extent. The
 * plugin is always asked without REQ_ONE, for as much as it will tell. Any write, trim or zero
 * forgets the answer. One answer for the whole server (as nbdkit), remembered with its export
 * name so that another export never sees it. {@code -D cacheextents.cache=1} logs (with -v) what
 * the cache does, in nbdkit's words.
 */
public final class CacheExtentsFilter implements Filter {
    /** The last answer: its export, and the extents covering [start, end). */
    private record Answer(String export, long start, long end, Extents extents) {}

    /** {@code -D cacheextents.cache=1}: debug messages about the cache (nbdkit's flag). */
    private volatile boolean debugCache;

    private Answer last; // guarded by this
    /** Bumped by every change of the data, so that an answer asked before a change is never kept after it. */
    private long generation; // guarded by this

    private synchronized Answer lookup(String export, long offset) {
        Answer a = last;
        return a != null && a.export.equals(export) && offset >= a.start && offset < a.end ? a : null;
    }

    private synchronized long generation() { return generation; }

    private synchronized Answer last() { return last; }

    private synchronized void remember(Answer a, long asked) {
        if (generation == asked) last = a;
    }

    private synchronized void forget() {
        generation++;
        last = null;
    }

    @Override public String name() { return "cacheextents"; }

    @Override public String longname() { return "nbdkit cacheextents filter"; }

    @Override
    public boolean debugFlag(String flag, int value) {
        if (!flag.equals("cache")) return false;
        debugCache = value != 0;
        return true;
    }

    private void debug(String message) {
        if (debugCache) Log.debug("cacheextents: " + message);
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        String export = request.exportName();
        context.open(request.readonly(), export);
        return new FilterHandle() {
            @Override
            public void extents(Next next, long count, long offset, int flags, ExtentSink sink) {
                if (debugCache) {
                    Answer c = last();
                    debug("cache_start=" + (c == null ? 0 : c.start) + " cache_end=" + (c == null ? 0 : c.end)
                            + " cache_extents=" + (c == null ? "(nil)" : "0x" + Integer.toHexString(System.identityHashCode(c))));
                }
                Answer a = lookup(export, offset);
                if (a != null) {
                    debug("returning from cache");
                    a.extents.copyTo(sink, 0); // extents before offset are ignored by the sink
                    return;
                }
                debug("cache miss");
                // One call, without REQ_ONE: whatever the plugin says for [offset, offset+count).
                long asked = generation();
                Extents got = new Extents(offset, offset + count);
                next.extents(count, offset, flags & ~Flags.REQ_ONE, got);
                if (debugCache) {
                    for (Extents.Entry e : got.entries()) {
                        debug("updating cache with: offset=" + e.offset() + " length=" + e.length()
                                + " type=" + Integer.toHexString(e.type()));
                    }
                }
                if (got.count() > 0) remember(new Answer(export, got.start(), got.covered(), got), asked);
                got.copyTo(sink, 0);
            }

            @Override
            public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
                forget();
                next.pwrite(buf, offset, flags);
            }

            @Override
            public void trim(Next next, long count, long offset, int flags) {
                forget();
                next.trim(count, offset, flags);
            }

            @Override
            public void zero(Next next, long count, long offset, int flags) {
                forget();
                next.zero(count, offset, flags);
            }
        };
    }
}
