package dev.jnbdkit.plugins.sh;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The exit-code protocol on top of {@link ScriptRunner}: a call either answers OK, MISSING or
 * FALSE (with the script's stdout), or throws the {@link PluginException} the script's stderr
 * describes. Statuses 4-8 first ask the server to shut down or to drop the current client.
 */
final class ScriptCalls {
    /** The answer of a call that did not fail. */
    enum Answer { OK, MISSING, FALSE }

    record Reply(Answer answer, byte[] stdout) {
        boolean ok() { return answer == Answer.OK; }

        boolean missing() { return answer == Answer.MISSING; }

        boolean isFalse() { return answer == Answer.FALSE; }

        /** Stdout as text without its final newline, as nbdkit reads one-line answers. */
        String line() { return ScriptOutput.chomp(stdout); }
    }

    private final ScriptRunner runner;

    ScriptCalls(ScriptRunner runner) {
        this.runner = runner;
    }

    ScriptRunner runner() { return runner; }

    /** Runs {@code script method args...} with no stdin. */
    Reply call(String script, String method, String... args) {
        return call(script, method, null, 0, args);
    }

    /** Runs {@code script method args...} with {@code input} on stdin (a write's data) or none. */
    Reply call(String script, String method, MemorySegment input, long timeoutMillis, String... args) {
        List<String> argv = new ArrayList<>(args.length + 2);
        argv.add(script);
        argv.add(method);
        argv.addAll(List.of(args));
        Nbdkit.debug("calling: " + String.join(" ", argv));
        ScriptRunner.Completed done = runner.run(argv, input, timeoutMillis);
        Nbdkit.debug("completed: " + script + " " + method + ": status " + done.status());
        return switch (ExitStatus.of(done.status())) {
            case OK -> new Reply(Answer.OK, done.stdout());
            case MISSING -> new Reply(Answer.MISSING, done.stdout());
            case FALSE -> new Reply(Answer.FALSE, done.stdout());
            case ERROR -> throw ScriptErrors.failure(script, done.stderr(), Errno.EIO);
            case SHUTDOWN_OK -> {
                Nbdkit.shutdown();
                yield new Reply(Answer.OK, done.stdout());
            }
            case SHUTDOWN_ERROR -> {
                Nbdkit.shutdown();
                throw ScriptErrors.failure(script, done.stderr(), Errno.ESHUTDOWN);
            }
            case DISCONNECT_FORCE -> {
                Nbdkit.disconnect(true);
                // The client gets no reply, so there is nothing to tell it; the log says why.
                throw new PluginException(Errno.ESHUTDOWN, script + ": " + method + ": the script dropped the connection");
            }
            case DISCONNECT_OK -> {
                Nbdkit.disconnect(false);
                yield new Reply(Answer.OK, done.stdout());
            }
            case DISCONNECT_ERROR -> {
                Nbdkit.disconnect(false);
                throw ScriptErrors.failure(script, done.stderr(), Errno.ESHUTDOWN);
            }
        };
    }

    /** nbdkit's error for a method that answered 3 where no boolean was asked. */
    static PluginException unexpectedFalse(String script, String method) {
        return new PluginException(Errno.EIO, script + ": " + method + " method returned unexpected code (3/false)");
    }

    /** OK or MISSING is fine, FALSE is a script bug: for methods that answer nothing. */
    static void expectNoAnswer(Reply r, String script, String method) {
        if (r.isFalse()) throw unexpectedFalse(script, method);
    }
}
