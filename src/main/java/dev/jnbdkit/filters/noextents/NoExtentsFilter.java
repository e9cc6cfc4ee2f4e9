package dev.jnbdkit.filters.noextents;

import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.OpenContext;

/** nbdkit-noextents-filter: extents are not offered, so the disk looks fully allocated. */
public final class NoExtentsFilter implements Filter {
    private static final FilterHandle NO_EXTENTS = new FilterHandle() {
        @Override public boolean canExtents(Next next) { return false; }
    };

    @Override public String name() { return "noextents"; }

    @Override public String longname() { return "nbdkit noextents filter"; }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return NO_EXTENTS;
    }
}
