package dev.jnbdkit.filters.stats;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The text the stats filter writes at exit, in nbdkit's format: a total line, then one line per
 * kind of request that happened (count, seconds in the layers below, bytes, rate per second of
 * that time and per second of the run), each with a size/alignment breakdown down to the
 * threshold percentile when the threshold is not zero.
 */
final class StatsReport {
    private StatsReport() {}

    private static final java.util.Set<String> DATA_OPS = java.util.Set.of("read", "write", "trim", "zero");

    /** nbdkit's human sizes: "N bytes" below 1 KiB, else two decimals of the largest binary unit. */
    static String humanSize(double bytes) {
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        if (bytes < 1024) return String.format(Locale.ROOT, "%.0f bytes", Math.floor(bytes));
        int i = -1;
        while (bytes >= 1024 && i < units.length - 1) {
            bytes /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.2f %s", bytes, units[i]);
    }

    private static String rate(long bytes, double seconds) {
        if (seconds <= 0) return "(n/a)";
        return humanSize(bytes / seconds);
    }

    static String render(List<OpStats> ops, double wallSeconds, long thresholdPercent) {
        StringBuilder out = new StringBuilder();
        long totalOps = 0, totalBytes = 0;
        // As nbdkit: the total counts every request but cache, and only the bytes that were
        // read, written, trimmed or zeroed (not the ranges extents and cache looked at).
        for (OpStats o : ops) {
            if (!o.name.equals("cache")) totalOps += o.ops.sum();
            if (DATA_OPS.contains(o.name)) totalBytes += o.bytes.sum();
        }
        out.append(String.format(Locale.ROOT, "total: %d ops, %.6f s, %s, %s/s\n",
                totalOps, wallSeconds, humanSize(totalBytes), rate(totalBytes, wallSeconds)));
        for (OpStats o : ops) {
            long n = o.ops.sum();
            if (n == 0) continue;
            long bytes = o.bytes.sum();
            double secs = o.nanos.sum() / 1e9;
            out.append(String.format(Locale.ROOT, "%s: %d ops, %.6f s, %s, %s/s op, %s/s total\n",
                    o.name, n, secs, humanSize(bytes), rate(bytes, secs), rate(bytes, wallSeconds)));
            if (thresholdPercent > 0 && !o.buckets().isEmpty()) histogram(out, o, n, bytes, thresholdPercent);
        }
        return out.toString();
    }

    /**
     * The most common request sizes (by highest set bit; ties: the one seen first) while fewer
     * than {@code threshold} percent of the requests (rounded down to whole requests) are shown,
     * each followed by one line per offset alignment that occurs among its requests at nonzero
     * offsets: the share aligned to at least that many bits (offset 0 counts as aligned to any).
     * Then the rest as "other sizes", whose byte total is the whole operation's, as nbdkit prints it.
     */
    private static void histogram(StringBuilder out, OpStats o, long n, long bytes, long threshold) {
        out.append("  Request size and alignment breakdown:\n");
        List<OpStats.Bucket> buckets = o.buckets();
        buckets.sort(Comparator.comparingLong((OpStats.Bucket b) -> -b.count).thenComparingInt(b -> b.seen));
        long cutoff = n * threshold / 100;
        long shown = 0;
        for (OpStats.Bucket b : buckets) {
            if (shown >= cutoff) break;
            out.append(String.format(Locale.ROOT, "    %2d bits: %4.1f%% (%d reqs, %s total)\n",
                    b.bits, 100.0 * b.count / n, b.count, humanSize(b.bytes)));
            long atLeast = b.aligned[64];
            long[] cumulative = new long[64];
            for (int k = 63; k >= 0; k--) {
                atLeast += b.aligned[k];
                cumulative[k] = atLeast;
            }
            for (int k = 0; k < 64; k++) {
                if (b.aligned[k] == 0) continue;
                out.append(String.format(Locale.ROOT, "         %2d bit aligned: %5.1f%% (%d)\n",
                        k, 100.0 * cumulative[k] / b.count, cumulative[k]));
            }
            shown += b.count;
        }
        if (shown < n) {
            out.append(String.format(Locale.ROOT, "    other sizes: %4.1f%% (%d reqs, %s total)\n",
                    100.0 * (n - shown) / n, n - shown, humanSize(bytes)));
        }
        out.append('\n');
    }
}
