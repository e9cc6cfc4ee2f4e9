package dev.jnbdkit.plugins.sh;

import dev.jnbdkit.plugins.PluginVersion;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ThreadModel;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * What the {@code sh} and {@code eval} plugins share (they share nbdkit's source too): every
 * plugin method runs a script with the method's name and parameters and reads its answer. They
 * differ only in where a method's script comes from ({@link #scriptFor}), how {@code config} is
 * handled, and what a {@code can_*} method that is missing answers ({@link #definedDefault}).
 */
abstract sealed class ScriptPlugin implements Plugin permits ShPlugin, EvalPlugin {
    /** How long the unload method may run while the server exits before it is killed. */
    private static final long UNLOAD_LIMIT_MILLIS = 60_000;

    private TempDir tmpdir;
    private ScriptCalls calls;
    private volatile ThreadModel threadModel;

    /** The script that implements {@code method}, or null when there is no script at all yet. */
    abstract String scriptFor(String method);

    /**
     * What a missing {@code can_*} method answers: false for sh (it cannot see which methods
     * exist); for eval, whether the matching data method was given.
     */
    abstract boolean definedDefault(String canMethod);

    final Path tmpdir() { return tmpdir.path(); }

    final ScriptCalls calls() { return calls; }

    @Override public String version() { return PluginVersion.VERSION; }

    /** Creates {@code $tmpdir}, which lives until the server exits. */
    @Override
    public void load() {
        tmpdir = TempDir.create();
        calls = new ScriptCalls(new ScriptRunner(tmpdir.path()));
    }

    /** The unload method (its errors are ignored), then {@code $tmpdir} goes. */
    @Override
    public void unload() {
        if (calls == null) return;
        calls.runner().killAll();
        String script = scriptFor("unload");
        if (script != null) {
            try {
                calls.call(script, "unload", null, UNLOAD_LIMIT_MILLIS);
            } catch (PluginException e) {
                Nbdkit.debug("unload: " + e.getMessage());
            }
        }
        tmpdir.delete();
    }

    /** {@code max_known_status=}, then whatever the script's dump_plugin method prints. */
    @Override
    public void dumpPlugin(PrintStream out) {
        out.println("max_known_status=" + ExitStatus.MAX_KNOWN);
        String script = scriptFor("dump_plugin");
        if (script == null) return;
        try {
            ScriptCalls.Reply r = calls.call(script, "dump_plugin");
            if (r.isFalse()) throw ScriptCalls.unexpectedFalse(script, "dump_plugin");
            if (r.ok()) out.print(new String(r.stdout(), StandardCharsets.UTF_8));
        } catch (PluginException e) {
            Nbdkit.error(e.getMessage());
        }
        out.flush();
    }

    @Override
    public void configComplete() {
        String script = scriptFor("config_complete");
        ScriptCalls.expectNoAnswer(calls.call(script, "config_complete"), script, "config_complete");
    }

    /**
     * Asked once (the server asks more than once; the answer cannot change). Without a script the
     * plugin itself is parallel; a script without the method gets serialize_all_requests.
     */
    @Override
    public ThreadModel threadModel() {
        ThreadModel m = threadModel;
        if (m != null) return m;
        String script = scriptFor("thread_model");
        if (script == null) return ThreadModel.PARALLEL;
        ScriptCalls.Reply r = calls.call(script, "thread_model");
        m = switch (r.answer()) {
            case OK -> ScriptOutput.threadModel(script, r.line());
            case MISSING -> ThreadModel.SERIALIZE_ALL_REQUESTS;
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "thread_model");
        };
        threadModel = m;
        return m;
    }

    @Override public void getReady() { noAnswer("get_ready"); }

    @Override public void afterFork() { noAnswer("after_fork"); }

    @Override public void preconnect(boolean readonly) { noAnswer("preconnect", bool(readonly)); }

    @Override
    public List<Export> listExports(boolean readonly, boolean isTls) {
        String script = scriptFor("list_exports");
        ScriptCalls.Reply r = calls.call(script, "list_exports", bool(readonly), bool(isTls));
        return switch (r.answer()) {
            case OK -> ScriptOutput.exports(r.stdout());
            case MISSING -> null; // the server lists the default export alone
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "list_exports");
        };
    }

    @Override
    public String defaultExport(boolean readonly, boolean isTls) {
        String script = scriptFor("default_export");
        ScriptCalls.Reply r = calls.call(script, "default_export", bool(readonly), bool(isTls));
        return switch (r.answer()) {
            case OK -> {
                List<Export> names = ScriptOutput.exports(r.stdout());
                yield names.isEmpty() ? "" : names.getFirst().name();
            }
            case MISSING -> "";
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "default_export");
        };
    }

    @Override public Class<? extends Handle> handleType() { return ScriptHandle.class; }

    /** The open method prints the handle (one final newline dropped); missing means "". */
    @Override
    public Handle open(OpenContext context) {
        String script = scriptFor("open");
        String name = context.exportName() == null ? "" : context.exportName();
        ScriptCalls.Reply r = calls.call(script, "open", bool(context.readonly()), name, bool(context.isTls()));
        String handle = switch (r.answer()) {
            case OK -> r.line();
            case MISSING -> "";
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "open");
        };
        if (!handle.isEmpty()) Nbdkit.debug(name() + ": handle: " + handle);
        return new ScriptHandle(this, handle);
    }

    /** Runs a method that answers nothing: OK and MISSING are both fine. */
    final void noAnswer(String method, String... args) {
        String script = scriptFor(method);
        ScriptCalls.expectNoAnswer(calls.call(script, method, args), script, method);
    }

    /** The script's magic_config_key answer (or null), asked once the script is known. */
    final String askMagicConfigKey() {
        String script = scriptFor("magic_config_key");
        ScriptCalls.Reply r = calls.call(script, "magic_config_key");
        return switch (r.answer()) {
            case OK -> {
                String key = r.line().strip();
                yield key.isEmpty() ? null : key;
            }
            case MISSING -> null;
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "magic_config_key");
        };
    }

    static String bool(boolean b) { return b ? "true" : "false"; }

    static PluginException configError(String message) {
        return new PluginException(Errno.EINVAL, message);
    }
}
