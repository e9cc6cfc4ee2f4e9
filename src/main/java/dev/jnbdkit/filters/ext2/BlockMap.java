package dev.jnbdkit.filters.ext2;

/**
 * Where a file's logical blocks are in the image: an ext4 extent tree or the classic block map
 * of direct and indirect pointers. Either answers, for one logical block, the longest stretch
 * from there on that it can tell without reading more metadata.
 */
sealed interface BlockMap permits ExtentTree, IndirectMap {
    /**
     * From logical block {@code logical} on, {@code count} blocks that are all a hole
     * ({@code physical == 0}), or all data at physical blocks {@code physical ...}; data in an
     * unwritten (preallocated) extent reads as zeros.
     */
    record Run(long logical, long count, long physical, boolean unwritten) {
        boolean hole() { return physical == 0; }
    }

    /** Largest logical block number plus one (logical block numbers are 32-bit). */
    long LOGICAL_LIMIT = 1L << 32;

    Run find(long logical);
}
