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
                + " [" + Thread.currentThread().getName() + "]");
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
