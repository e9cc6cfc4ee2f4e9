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
        for (OpStats o : ops) {
            totalOps += o.ops.sum();
            totalBytes += o.bytes.sum();
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
     * The most common request sizes (by highest set bit) until {@code threshold} percent of the
     * requests are shown, each with the share of its requests aligned to at least N bits; the
     * rest summed up as "other sizes".
     */
    private static void histogram(StringBuilder out, OpStats o, long n, long bytes, long threshold) {
        out.append("  Request size and alignment breakdown:\n");
        List<OpStats.Bucket> buckets = o.buckets();
        buckets.sort(Comparator.comparingLong((OpStats.Bucket b) -> -b.count).thenComparingInt(b -> -b.bits));
        long shown = 0, shownBytes = 0;
        for (OpStats.Bucket b : buckets) {
            if (shown * 100 >= threshold * n) break;
            out.append(String.format(Locale.ROOT, "    %d bits: %4.1f%% (%d reqs, %s total)\n",
                    b.bits, 100.0 * b.count / n, b.count, humanSize(b.bytes)));
            // At least k bits aligned, from the size's own bits up, while the share changes.
            long atLeast = 0;
            long[] cumulative = new long[65];
            for (int k = 64; k >= 0; k--) {
                atLeast += b.aligned[k];
                cumulative[k] = atLeast;
            }
            for (int k = b.bits; k <= 64; k++) {
                if (cumulative[k] == 0) break;
                if (k > b.bits && cumulative[k] == cumulative[k - 1]) continue;
                if (cumulative[k] * 100 < (100 - threshold) * b.count) break;
                out.append(String.format(Locale.ROOT, "         %d bit aligned: %5.1f%% (%d)\n",
                        k, 100.0 * cumulative[k] / b.count, cumulative[k]));
            }
            shown += b.count;
            shownBytes += b.bytes;
        }
        if (shown < n) {
            out.append(String.format(Locale.ROOT, "    other sizes: %4.1f%% (%d reqs, %s total)\n",
                    100.0 * (n - shown) / n, n - shown, humanSize(bytes - shownBytes)));
        }
        out.append('\n');
    }
}
