package dev.jnbdkit.filters.tar;

/** Where a member's data lies in the tar file: {@code size} bytes from {@code offset}. */
record TarEntry(long offset, long size) {}
