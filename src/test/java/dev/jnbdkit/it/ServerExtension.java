package dev.jnbdkit.it;

import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Per test: a fresh transcript; on failure, the failure message gains every client command the
 * test ran (with output) and the stderr of every server it started; afterwards every server still
 * running is stopped with SIGTERM, which must give exit status 0 and leave no process behind.
 */
final class ServerExtension implements BeforeEachCallback, AfterEachCallback,
        TestExecutionExceptionHandler {

    @Override public void beforeEach(ExtensionContext context) {
        Transcript.takeAll();
        List<AssertionError> stale = Server.stopAll();
        if (!stale.isEmpty()) System.err.println("servers left from an earlier test: " + stale);
    }

    @Override public void handleTestExecutionException(ExtensionContext context, Throwable t)
            throws Throwable {
        StringBuilder sb = new StringBuilder();
        sb.append(t.getMessage() == null ? t.toString() : t.getMessage());
        sb.append("\n\n======== what the test ran ========\n");
        for (Cmd.Result r : Transcript.takeAll()) sb.append(r).append('\n');
        for (Server s : Server.live()) sb.append(s.describe()).append('\n');
        AssertionError e = new AssertionError(sb.toString(), t);
        e.setStackTrace(t.getStackTrace());
        throw e;
    }

    @Override public void afterEach(ExtensionContext context) {
        List<AssertionError> problems = Server.stopAll();
        if (problems.isEmpty() || context.getExecutionException().isPresent()) return;
        AssertionError first = problems.get(0);
        for (int i = 1; i < problems.size(); i++) first.addSuppressed(problems.get(i));
        throw first;
    }
}
