package dev.jnbdkit.filters.ext2;

import dev.jnbdkit.filters.FilterArgs;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.ThreadModel;

/**
 * nbdkit-ext2-filter: serves one file inside the ext2, ext3 or ext4 filesystem image that the
 * next layer holds, named by {@code ext2file=/PATH} or, with {@code ext2file=exportname}, by the
 * client's export name. The filesystem is read by this package's own reader (no libext2fs):
 * superblock, group descriptors, inodes, directories, extent trees and block maps, inline data.
 * Writes go to the blocks the file already has; see {@link Ext2Handle}. As nbdkit's, one
 * connection at a time (two would be two unsynchronised users of one filesystem).
 */
public final class Ext2Filter implements Filter {
    /** The path to serve, or null to take the client's export name. */
    private String file;
    private boolean fileGiven;

    @Override public String name() { return "ext2"; }

    @Override public String longname() { return "nbdkit ext2 filter"; }

    @Override
    public String configHelp() {
        return "ext2file=<FILENAME>  (required) Absolute name of file to serve inside the\n"
                + "                     disk image, or 'exportname' for client choice.";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        if (!key.equals("ext2file")) {
            next.config(key, value);
            return;
        }
        if (fileGiven) throw FilterArgs.bad("ext2file parameter specified more than once");
        fileGiven = true;
        file = value;
    }

    @Override
    public void configComplete(NextBackend next) {
        if (!fileGiven) {
            throw FilterArgs.bad("you must supply ext2file=<FILE> parameter after the plugin name on the command line");
        }
        if (file.equals("exportname")) file = null;
        else if (!file.startsWith("/")) throw FilterArgs.bad("the file parameter must refer to an absolute path");
        next.configComplete();
    }

    @Override public ThreadModel threadModel() { return ThreadModel.SERIALIZE_CONNECTIONS; }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        // Like nbdkit, the next layer is opened for writing whatever the client asked (nbdkit
        // wants it for a journal replay); prepare then opens the filesystem read-only if the
        // client or the next layer is. With ext2file=exportname the client's name chooses the
        // file, so the next layer gets the default export.
        context.open(false, file == null ? "" : request.exportName());
        return new Ext2Handle(file != null ? file : request.exportName());
    }
}
