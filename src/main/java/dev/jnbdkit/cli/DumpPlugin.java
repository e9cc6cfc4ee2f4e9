package dev.jnbdkit.cli;

import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.ThreadModel;

import java.io.PrintStream;
import java.lang.reflect.Method;

/**
 * {@code --dump-plugin}: the key=value lines nbdkit prints, then the plugin's own lines. The
 * has_* keys say which callbacks the plugin implements (methods its classes override).
 */
final class DumpPlugin {
    private DumpPlugin() {}

    private static final String[][] PLUGIN_CALLBACKS = {
            {"load", "load"}, {"unload", "unload"}, {"dump_plugin", "dumpPlugin"}, {"config", "config"},
            {"config_complete", "configComplete"}, {"config_help", "configHelp"},
            {"thread_model", "threadModel"}, {"get_ready", "getReady"}, {"after_fork", "afterFork"},
            {"cleanup", "cleanup"}, {"preconnect", "preconnect"}, {"list_exports", "listExports"},
            {"default_export", "defaultExport"}, {"open", "open"},
    };

    private static final String[][] HANDLE_CALLBACKS = {
            {"close", "close"}, {"export_description", "exportDescription"}, {"get_size", "getSize"},
            {"block_size", "blockSize"}, {"can_write", "canWrite"}, {"can_flush", "canFlush"},
            {"is_rotational", "isRotational"}, {"can_trim", "canTrim"}, {"can_zero", "canZero"},
            {"can_fast_zero", "canFastZero"}, {"can_extents", "canExtents"}, {"can_fua", "canFua"},
            {"can_multi_conn", "canMultiConn"}, {"can_cache", "canCache"}, {"pread", "pread"},
            {"pwrite", "pwrite"}, {"flush", "flush"}, {"trim", "trim"}, {"zero", "zero"},
            {"extents", "extents"}, {"cache", "cache"},
    };

    static void print(PrintStream out, Plugin plugin, String version) {
        out.println("path=" + location(plugin));
        out.println("name=" + plugin.name());
        out.println("version=" + (plugin.version() != null ? plugin.version() : version));
        out.println("api_version=2");
        out.println("struct_size=384");
        out.println("max_thread_model=parallel");
        ThreadModel tm = plugin.threadModel();
        out.println("thread_model=" + (tm == null ? ThreadModel.PARALLEL : tm).nbdkitName());
        // Errors travel in exceptions, never through a shared errno.
        out.println("errno_is_preserved=1");
        if (plugin.magicConfigKey() != null) out.println("magic_config_key=" + plugin.magicConfigKey());
        if (plugin.longname() != null) out.println("has_longname=1");
        if (plugin.description() != null) out.println("has_description=1");
        Class<?> cls = plugin.getClass();
        for (String[] cb : PLUGIN_CALLBACKS) {
            if (cb[0].equals("config_help")) {
                if (plugin.configHelp() != null) out.println("has_config_help=1");
            } else if (cb[0].equals("open") || overrides(cls, Plugin.class, cb[1])) {
                out.println("has_" + cb[0] + "=1");
            }
        }
        Class<? extends Handle> handle = plugin.handleType();
        if (handle != null) {
            for (String[] cb : HANDLE_CALLBACKS) {
                if (cb[0].equals("get_size") || cb[0].equals("pread") || overrides(handle, Handle.class, cb[1])) {
                    out.println("has_" + cb[0] + "=1");
                }
            }
        }
        out.flush();
    }

    /** Where the plugin's code lives: the jnbdkit jar for built-ins, the user's jar otherwise. */
    private static String location(Plugin plugin) {
        try {
            var source = plugin.getClass().getProtectionDomain().getCodeSource();
            if (source != null) return java.nio.file.Path.of(source.getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException | SecurityException | IllegalArgumentException ignored) {
            // fall through to the name
        }
        return plugin.name();
    }

    static boolean overrides(Class<?> cls, Class<?> iface, String method) {
        for (Method m : cls.getMethods()) {
            // Implemented anywhere but the SPI interface itself (a plugin's class or its own interfaces).
            if (m.getName().equals(method) && m.getDeclaringClass() != iface) {
                return true;
            }
        }
        return false;
    }

}
