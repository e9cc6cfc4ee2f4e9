package dev.jnbdkit.plugins.partitioning;

/**
 * One {@code file=} of the command line and the settings that were in force when it was given
 * ({@code alignment=}, {@code mbr-id=}, {@code type-guid=} apply to the files after them).
 *
 * @param name       the file name as typed: error messages and the GPT partition name use it
 * @param fd         opened read-write at configuration, as nbdkit does, and kept for the server's life
 * @param size       its size in bytes (never 0)
 * @param alignment  where its partition starts: a multiple of this (a power of 2, 512 to 1M)
 * @param mbrId      the MBR partition type byte
 * @param typeGuid   the GPT partition type GUID, in on-disk byte order
 * @param uniqueGuid the GPT unique partition GUID: random, the same in both GPT copies
 */
record PartitionFile(String name, int fd, long size, long alignment, int mbrId, byte[] typeGuid, byte[] uniqueGuid) {}
