package dev.jnbdkit.spi;

/**
 * Block-size constraints a plugin advertises (nbdkit's block_size callback): each a power of two,
 * minimum 1..64K, preferred minimum..32M (at least 512), maximum a multiple of minimum or
 * 0xffffffff.
 */
public record BlockSize(long minimum, long preferred, long maximum) {}
