package dev.jnbdkit.backend;

import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.Plugin;

import java.lang.reflect.Method;

/**
 * The one table of nbdkit's plugin callbacks: nbdkit's name (the {@code has_NAME=1} key of
 * --dump-plugin, the name -v traces), the Java method of the SPI that implements it and whether
 * it is global ({@link Plugin}) or per connection ({@link Handle}), in nbdkit's order.
 */
public enum Callback {
    LOAD("load", "load", false), UNLOAD("unload", "unload", false), DUMP_PLUGIN("dump_plugin", "dumpPlugin", false),
    CONFIG("config", "config", false), CONFIG_COMPLETE("config_complete", "configComplete", false),
    CONFIG_HELP("config_help", "configHelp", false), THREAD_MODEL("thread_model", "threadModel", false),
    GET_READY("get_ready", "getReady", false), AFTER_FORK("after_fork", "afterFork", false),
    CLEANUP("cleanup", "cleanup", false), PRECONNECT("preconnect", "preconnect", false),
    LIST_EXPORTS("list_exports", "listExports", false), DEFAULT_EXPORT("default_export", "defaultExport", false),
    OPEN("open", "open", false),
    CLOSE("close", "close", true), EXPORT_DESCRIPTION("export_description", "exportDescription", true),
    GET_SIZE("get_size", "getSize", true), BLOCK_SIZE("block_size", "blockSize", true),
    CAN_WRITE("can_write", "canWrite", true), CAN_FLUSH("can_flush", "canFlush", true),
    IS_ROTATIONAL("is_rotational", "isRotational", true), CAN_TRIM("can_trim", "canTrim", true),
    CAN_ZERO("can_zero", "canZero", true), CAN_FAST_ZERO("can_fast_zero", "canFastZero", true),
    CAN_EXTENTS("can_extents", "canExtents", true), CAN_FUA("can_fua", "canFua", true),
    CAN_MULTI_CONN("can_multi_conn", "canMultiConn", true), CAN_CACHE("can_cache", "canCache", true),
    PREAD("pread", "pread", true), PWRITE("pwrite", "pwrite", true), FLUSH("flush", "flush", true),
    TRIM("trim", "trim", true), ZERO("zero", "zero", true), EXTENTS("extents", "extents", true),
    CACHE("cache", "cache", true);

    /** nbdkit's name. */
    public final String nbdkitName;
    /** The SPI method. */
    public final String javaMethod;
    /** Per connection (a {@link Handle} method) rather than global (a {@link Plugin} method). */
    public final boolean perConnection;

    Callback(String nbdkitName, String javaMethod, boolean perConnection) {
        this.nbdkitName = nbdkitName;
        this.javaMethod = javaMethod;
        this.perConnection = perConnection;
    }

    /** True if a class implements this callback itself, rather than inheriting the SPI's default. */
    public boolean implementedBy(Class<?> cls) {
        Class<?> api = perConnection ? Handle.class : Plugin.class;
        for (Method m : cls.getMethods()) {
            if (m.getName().equals(javaMethod) && m.getDeclaringClass() != api) return true;
        }
        return false;
    }
}
