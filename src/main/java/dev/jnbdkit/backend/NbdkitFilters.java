package dev.jnbdkit.backend;

import java.util.Set;

/**
 * The names of nbdkit 1.34's filters: a command line naming one that jnbdkit does not have yet
 * is told so plainly, instead of hearing that no such filter exists.
 */
final class NbdkitFilters {
    private NbdkitFilters() {}

    static final Set<String> NAMES = Set.of(
            "blocksize", "blocksize-policy", "cache", "cacheextents", "checkwrite", "cow", "ddrescue", "delay",
            "error", "exitlast", "exitwhen", "exportname", "ext2", "extentlist", "fua", "gzip", "ip", "limit",
            "log", "luks", "multi-conn", "nocache", "noextents", "nofilter", "noparallel", "nozero", "offset",
            "partition", "pause", "protect", "rate", "readahead", "retry", "retry-request", "scan", "stats",
            "swab", "tar", "tls-fallback", "truncate", "xz");
}
