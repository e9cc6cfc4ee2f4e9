package dev.jnbdkit.plugins.nbd;

import dev.jnbdkit.spi.BlockSize;

/**
 * What the handshake with the remote server settled: the export's size and transmission flags,
 * the reply style, and the base:allocation context (id, or -1 when the server has none).
 *
 * @param blockSize   from NBD_INFO_BLOCK_SIZE, or null if the server sent none
 * @param description from NBD_INFO_DESCRIPTION, or null
 */
record Negotiated(Wire wire, long size, int flags, boolean structured, long baseAllocationId, BlockSize blockSize,
                  String description, boolean tls) {
    boolean has(int flag) { return (flags & flag) != 0; }
}
