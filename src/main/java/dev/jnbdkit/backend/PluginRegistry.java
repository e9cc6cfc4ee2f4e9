package dev.jnbdkit.backend;

import dev.jnbdkit.spi.Plugin;

import java.util.Map;

/**
 * The plugins that ship with jnbdkit, by the name typed on the command line. Classes are named
 * rather than referenced so that only the chosen plugin's classes load (start-up time).
 */
public final class PluginRegistry {
    private static final Map<String, String> BUILTIN = Map.of(
            "memory", "dev.jnbdkit.plugins.memory.MemoryPlugin",
            "file", "dev.jnbdkit.plugins.file.FilePlugin",
            "null", "dev.jnbdkit.plugins.nullplugin.NullPlugin",
            "python", "dev.jnbdkit.python.PythonPlugin");

    private PluginRegistry() {}


    public static java.util.Set<String> builtinNames() { return new java.util.TreeSet<>(BUILTIN.keySet()); }

    /** A new instance of the built-in plugin {@code name}, or null if there is none. */
    public static Plugin builtin(String name) {
        String cls = BUILTIN.get(name);
        if (cls == null) return null;
        try {
            return (Plugin) Class.forName(cls).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("built-in plugin " + name + " is missing from this build: " + e, e);
        }
    }

    /** The single plugin a user's jar provides through {@link java.util.ServiceLoader}. */
    public static Plugin fromJar(java.nio.file.Path jar) {
        return JarPluginLoader.load(jar);
    }
}
