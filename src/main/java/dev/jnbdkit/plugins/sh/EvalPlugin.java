package dev.jnbdkit.plugins.sh;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code eval}: a script plugin written on the command line, nbdkit-eval-plugin(1). Each
 * {@code METHOD='shell snippet'} becomes the file {@code $tmpdir/METHOD} run by /bin/sh with the
 * sh plugin's arguments; a method not given runs the {@code missing} snippet (default
 * {@code exit 2}). Other keys go to the config snippet. A missing {@code can_*} answers whether
 * the matching method was given, so {@code pwrite=} alone makes the disk writable.
 */
public final class EvalPlugin extends ScriptPlugin {
    /** Every method a snippet may define (there is no load method: the plugin itself loads). */
    static final Set<String> METHODS = Set.of(
            "after_fork", "block_size", "cache", "can_cache", "can_extents", "can_fast_zero", "can_flush",
            "can_fua", "can_multi_conn", "can_trim", "can_write", "can_zero", "close", "config",
            "config_complete", "default_export", "dump_plugin", "export_description", "extents", "flush",
            "get_ready", "get_size", "is_rotational", "list_exports", "magic_config_key", "open", "pread",
            "preconnect", "pwrite", "thread_model", "trim", "unload", "zero");

    /** The data method whose presence a missing can_* method reports. */
    private static final Map<String, String> CAN_DEFAULTS = Map.of(
            "can_write", "pwrite", "can_flush", "flush", "can_trim", "trim", "can_zero", "zero",
            "can_extents", "extents", "can_cache", "cache");

    private final Map<String, String> defined = new ConcurrentHashMap<>();
    private String missing;

    public EvalPlugin() {}

    @Override public String name() { return "eval"; }


    @Override public String configHelp() {
        return "get_size=' SCRIPT '\npread=' SCRIPT '\n[etc]";
    }

    @Override
    public void load() {
        super.load();
        missing = write("missing", "exit 2");
    }

    @Override String scriptFor(String method) { return defined.getOrDefault(method, missing); }

    @Override boolean definedDefault(String canMethod) {
        String method = CAN_DEFAULTS.get(canMethod);
        return method != null && defined.containsKey(method);
    }

    @Override
    public void config(String key, String value) {
        if (METHODS.contains(key)) {
            defined.put(key, write(key, value));
            return;
        }
        if (key.equals("missing")) {
            write("missing", value);
            return;
        }
        String script = scriptFor("config");
        ScriptCalls.Reply r = calls().call(script, "config", key, value);
        switch (r.answer()) {
            case OK -> { }
            case MISSING -> throw configError(script + ": callback '" + key
                    + "' is unknown, and there is no 'config' callback to handle it");
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "config");
        }
    }

    /** {@code $tmpdir/NAME}: the snippet under a /bin/sh shebang, executable. */
    private String write(String name, String snippet) {
        Path file = tmpdir().resolve(name);
        try {
            Files.writeString(file, "#!/bin/sh\n" + snippet + "\n", StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new PluginException(Errno.EIO, file + ": " + e.getMessage());
        }
        return file.toString();
    }
}
