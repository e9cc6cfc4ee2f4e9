package dev.jnbdkit.filters.ext2;

import java.nio.ByteBuffer;

/**
 * Where the filesystem image lives, for the reader's metadata and for file data: the next layer
 * of the NBD stack in the filter, a byte array or file in the tests. Offsets are bytes from the
 * start of the image.
 */
interface BlockDevice {
    /** Size of the image in bytes. */
    long size();

    /** Fills {@code dst} from its position to its limit with the image's bytes at {@code offset}. */
    void read(long offset, ByteBuffer dst);

    /** Writes {@code src} from its position to its limit at {@code offset}. */
    void write(long offset, ByteBuffer src);
}
