package dev.jnbdkit.cli;

import dev.jnbdkit.backend.Callback;
import dev.jnbdkit.backend.Stack;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.Plugin;

import java.io.PrintStream;

/**
 * {@code --dump-plugin}: the key=value lines nbdkit prints, then the plugin's own lines. The
 * has_* keys say which callbacks the plugin implements ({@link Callback}); thread_model is the
 * stack's, filters included.
 */
final class DumpPlugin {
    private DumpPlugin() {}

    static void print(PrintStream out, Stack stack, String version) {
        Plugin plugin = stack.plugin();
        out.println("path=" + stack.pluginPath());
        out.println("name=" + plugin.name());
        out.println("version=" + (plugin.version() != null ? plugin.version() : version));
        out.println("api_version=2");
        out.println("struct_size=384");
        out.println("max_thread_model=parallel");
        out.println("thread_model=" + stack.threadModel().nbdkitName());
        // Errors travel in exceptions, never through a shared errno.
        out.println("errno_is_preserved=1");
        if (plugin.magicConfigKey() != null) out.println("magic_config_key=" + plugin.magicConfigKey());
        if (plugin.longname() != null) out.println("has_longname=1");
        if (plugin.description() != null) out.println("has_description=1");
        Class<? extends Handle> handle = plugin.handleType();
        for (Callback cb : Callback.values()) {
            boolean has = switch (cb) {
                case CONFIG_HELP -> plugin.configHelp() != null;
                case OPEN, GET_SIZE, PREAD -> true; // required
                default -> cb.perConnection ? handle != null && cb.implementedBy(handle) : cb.implementedBy(plugin.getClass());
            };
            if (has && (cb != Callback.GET_SIZE && cb != Callback.PREAD || handle != null)) {
                out.println("has_" + cb.nbdkitName + "=1");
            }
        }
        out.flush();
    }
}
