package dev.jnbdkit.log;

/**
 * Start-up milestones on stderr, for measuring where a cold start goes: enabled by
 * {@code JNBDKIT_STARTUP_TRACE=1}. Times are milliseconds since {@code bin/jnbdkit} began
 * ({@code JNBDKIT_LAUNCH_TIME}, bash's {@code $EPOCHREALTIME}), so the launcher script and the
 * JVM's own boot show up as the first milestone's time. Off, a milestone costs one field read.
 */
public final class StartupTrace {
    private static final boolean ENABLED = System.getenv("JNBDKIT_STARTUP_TRACE") != null;
    private static final long LAUNCH_MICROS = ENABLED ? launchMicros() : 0;

    private StartupTrace() {}

    public static void mark(String milestone) {
        if (!ENABLED) return;
        java.time.Instant now = java.time.Instant.now();
        long micros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
        long since = micros - LAUNCH_MICROS;
        // No String.format: its first use alone costs milliseconds, which would land in the next milestone.
        String ms = LAUNCH_MICROS == 0 ? "?" : since / 1000 + "." + since % 1000 / 100;
        System.err.println(Log.program() + ": startup: " + ms + " ms " + milestone
                + " [" + Thread.currentThread().getName() + "]" + cpu());
    }

    /**
     * CPU time so far (the kernel's schedstat, in ms): the JVM's threads together (those still
     * running) and this thread. On a busy machine wall-clock milestones mostly measure the wait
     * for a core; CPU time says what each stage costs.
     */
    private static String cpu() {
        long process = 0;
        try (var tasks = java.nio.file.Files.newDirectoryStream(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path t : tasks) process += runNanos(t.resolve("schedstat"));
            long thread = runNanos(java.nio.file.Path.of("/proc/thread-self/schedstat"));
            return " cpu " + tenths(process) + " ms, this thread " + tenths(thread) + " ms";
        } catch (java.io.IOException | RuntimeException e) {
            return "";
        }
    }

    private static long runNanos(java.nio.file.Path schedstat) throws java.io.IOException {
        String s = java.nio.file.Files.readString(schedstat);
        int space = s.indexOf(' ');
        return Long.parseLong(space < 0 ? s.strip() : s.substring(0, space));
    }

    private static String tenths(long nanos) {
        return nanos / 1_000_000 + "." + nanos / 100_000 % 10;
    }

    private static long launchMicros() {
        String t = System.getenv("JNBDKIT_LAUNCH_TIME");
        if (t == null) return 0;
        try {
            return Math.round(Double.parseDouble(t.replace(',', '.')) * 1_000_000);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
