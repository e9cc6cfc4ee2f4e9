package dev.jnbdkit.plugins.sh;

import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One connection of a script plugin: the string the open method printed, passed back as
 * {@code $2} to every per-connection method. can_flush and can_zero are remembered because
 * can_fua and can_fast_zero fall back on them.
 */
final class ScriptHandle implements Handle {
    private final ScriptPlugin plugin;
    private final ScriptCalls calls;
    private final String handle;
    private Boolean canFlush;
    private Boolean canZero;

    ScriptHandle(ScriptPlugin plugin, String handle) {
        this.plugin = plugin;
        this.calls = plugin.calls();
        this.handle = handle;
    }

    /** Every answer of close is ignored; a failure is only logged. */
    @Override
    public void close() {
        try {
            calls.call(plugin.scriptFor("close"), "close", handle);
        } catch (PluginException e) {
            // After the server killed its scripts at shutdown, close is not run at all: no news.
            if (calls.runner().killed()) Nbdkit.debug(e.getMessage());
            else Nbdkit.error(e.getMessage());
        }
    }

    @Override
    public String exportDescription() {
        String script = plugin.scriptFor("export_description");
        ScriptCalls.Reply r = calls.call(script, "export_description", handle);
        return switch (r.answer()) {
            case OK -> r.line();
            case MISSING -> null;
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "export_description");
        };
    }

    @Override
    public long getSize() {
        String script = plugin.scriptFor("get_size");
        ScriptCalls.Reply r = calls.call(script, "get_size", handle);
        return switch (r.answer()) {
            case OK -> ScriptOutput.size(script, "get_size", r.line());
            case MISSING -> throw new PluginException(Errno.EIO, script + ": the get_size method is required");
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "get_size");
        };
    }

    @Override
    public BlockSize blockSize() {
        String script = plugin.scriptFor("block_size");
        ScriptCalls.Reply r = calls.call(script, "block_size", handle);
        return switch (r.answer()) {
            case OK -> ScriptOutput.blockSize(script, r.line());
            case MISSING -> null;
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "block_size");
        };
    }

    @Override public boolean canWrite() { return bool("can_write", plugin.definedDefault("can_write")); }

    @Override
    public boolean canFlush() {
        if (canFlush == null) canFlush = bool("can_flush", plugin.definedDefault("can_flush"));
        return canFlush;
    }

    @Override public boolean isRotational() { return bool("is_rotational", false); }

    @Override public boolean canTrim() { return bool("can_trim", plugin.definedDefault("can_trim")); }

    @Override
    public boolean canZero() {
        if (canZero == null) canZero = bool("can_zero", plugin.definedDefault("can_zero"));
        return canZero;
    }

    /** Missing: fast zero is advertised exactly when zero is not (the server then fails fast). */
    @Override
    public boolean canFastZero() {
        String script = plugin.scriptFor("can_fast_zero");
        ScriptCalls.Reply r = calls.call(script, "can_fast_zero", handle);
        return switch (r.answer()) {
            case OK -> true;
            case FALSE -> false;
            case MISSING -> !canZero();
        };
    }

    @Override public boolean canExtents() { return bool("can_extents", plugin.definedDefault("can_extents")); }

    @Override public boolean canMultiConn() { return bool("can_multi_conn", false); }

    /** Prints none, emulate or native; missing: emulate if flush works, else none. */
    @Override
    public FuaMode canFua() {
        String script = plugin.scriptFor("can_fua");
        ScriptCalls.Reply r = calls.call(script, "can_fua", handle);
        return switch (r.answer()) {
            case OK -> ScriptOutput.fuaMode(script, r.line());
            case MISSING -> canFlush() ? FuaMode.EMULATE : FuaMode.NONE;
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "can_fua");
        };
    }

    /** Prints none, emulate or native; missing: none (eval: native when a cache script was given). */
    @Override
    public CacheMode canCache() {
        String script = plugin.scriptFor("can_cache");
        ScriptCalls.Reply r = calls.call(script, "can_cache", handle);
        return switch (r.answer()) {
            case OK -> ScriptOutput.cacheMode(script, r.line());
            case MISSING -> plugin.definedDefault("can_cache") ? CacheMode.NATIVE : CacheMode.NONE;
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "can_cache");
        };
    }

    /** The script prints exactly the bytes asked for on stdout. */
    @Override
    public void pread(IoBuffer buf, long offset, int flags) {
        String script = plugin.scriptFor("pread");
        long count = buf.length();
        ScriptCalls.Reply r = calls.call(script, "pread", handle, Long.toString(count), Long.toUnsignedString(offset));
        switch (r.answer()) {
            case OK -> {
                byte[] data = r.stdout();
                if (data.length != count) {
                    throw new PluginException(Errno.EIO, script + ": incorrect amount of data read: expecting "
                            + count + " bytes but received " + data.length + " bytes from the script");
                }
                MemorySegment.copy(data, 0, buf.segment(), ValueLayout.JAVA_BYTE, 0, data.length);
            }
            case MISSING -> throw new PluginException(Errno.EIO, script + ": the pread method is required");
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "pread");
        }
    }

    /** The data goes to the script's stdin. */
    @Override
    public void pwrite(IoBuffer buf, long offset, int flags) {
        String script = plugin.scriptFor("pwrite");
        ScriptCalls.Reply r = calls.call(script, "pwrite", buf.segment(), 0, handle, Long.toString(buf.length()),
                Long.toUnsignedString(offset), ScriptOutput.flags(flags));
        switch (r.answer()) {
            case OK -> { }
            case MISSING -> throw new PluginException(Errno.EIO, "pwrite not implemented");
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "pwrite");
        }
    }

    /** A missing flush is not an error. */
    @Override
    public void flush(int flags) {
        String script = plugin.scriptFor("flush");
        ScriptCalls.expectNoAnswer(calls.call(script, "flush", handle), script, "flush");
    }

    /** A missing trim is not an error (trim is advisory). */
    @Override
    public void trim(long count, long offset, int flags) {
        String script = plugin.scriptFor("trim");
        ScriptCalls.expectNoAnswer(calls.call(script, "trim", handle, Long.toString(count),
                Long.toUnsignedString(offset), ScriptOutput.flags(flags)), script, "trim");
    }

    /** Missing, or ENOTSUP on stderr: the server writes zeros through pwrite instead. */
    @Override
    public void zero(long count, long offset, int flags) {
        String script = plugin.scriptFor("zero");
        ScriptCalls.Reply r = calls.call(script, "zero", handle, Long.toString(count),
                Long.toUnsignedString(offset), ScriptOutput.flags(flags));
        switch (r.answer()) {
            case OK -> { }
            case MISSING -> {
                Nbdkit.debug("zero falling back to pwrite");
                throw new PluginException(Errno.EOPNOTSUPP, "");
            }
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "zero");
        }
    }

    @Override
    public void extents(long count, long offset, int flags, ExtentSink extents) {
        String script = plugin.scriptFor("extents");
        ScriptCalls.Reply r = calls.call(script, "extents", handle, Long.toString(count),
                Long.toUnsignedString(offset), ScriptOutput.flags(flags));
        switch (r.answer()) {
            case OK -> ScriptOutput.extents(script, r.stdout(), extents);
            case MISSING -> throw new PluginException(Errno.EIO,
                    script + ": can_extents returned true, but extents method is not defined");
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "extents");
        }
    }

    /** A missing cache is not an error. */
    @Override
    public void cache(long count, long offset, int flags) {
        String script = plugin.scriptFor("cache");
        ScriptCalls.expectNoAnswer(calls.call(script, "cache", handle, Long.toString(count),
                Long.toUnsignedString(offset)), script, "cache");
    }

    /** The boolean protocol: 0 true, 3 false, 2 the default. */
    private boolean bool(String method, boolean missing) {
        ScriptCalls.Reply r = calls.call(plugin.scriptFor(method), method, handle);
        return switch (r.answer()) {
            case OK -> true;
            case FALSE -> false;
            case MISSING -> missing;
        };
    }
}
