package dev.jnbdkit.filters.multiconn;

/** {@code multi-conn-mode}: whether multi-conn is advertised and how flushes are replicated. */
enum Mode {
    AUTO, EMULATE, PLUGIN, UNSAFE, DISABLE;

    static Mode parse(String s) {
        return switch (s) {
            case "auto" -> AUTO;
            case "emulate" -> EMULATE;
            case "plugin" -> PLUGIN;
            case "unsafe" -> UNSAFE;
            case "disable" -> DISABLE;
            default -> null;
        };
    }
}
