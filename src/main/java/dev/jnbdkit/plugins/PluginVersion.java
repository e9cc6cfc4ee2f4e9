package dev.jnbdkit.plugins;

/** Version reported by the built-in plugins' {@code --dump-plugin}: jnbdkit's own. */
public final class PluginVersion {
    public static final String VERSION = versionOf();

    private PluginVersion() {}

    private static String versionOf() {
        String v = PluginVersion.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0";
    }
}
