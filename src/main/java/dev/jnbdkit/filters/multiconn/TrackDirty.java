package dev.jnbdkit.filters.multiconn;

/** {@code multi-conn-track-dirty}: which flushes may be skipped because nothing needs them. */
enum TrackDirty {
    /** Every flush goes to the plugin. */
    OFF,
    /** Per connection: writes since its flush, or reads since another connection's flush. */
    CONNECTION,
    /** One flag for all connections: any write since the last flush anywhere. */
    FAST;

    static TrackDirty parse(String s) {
        return switch (s) {
            case "off" -> OFF;
            case "conn", "connection" -> CONNECTION;
            case "fast" -> FAST;
            default -> null;
        };
    }
}
