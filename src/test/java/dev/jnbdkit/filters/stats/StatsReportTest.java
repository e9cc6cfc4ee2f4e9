package dev.jnbdkit.filters.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The stats file's format, checked against output nbdkit 1.32 wrote for the same requests. */
class StatsReportTest {
    @Test
    void humanSizes() {
        assertEquals("0 bytes", StatsReport.humanSize(0));
        assertEquals("512 bytes", StatsReport.humanSize(512));
        assertEquals("1023 bytes", StatsReport.humanSize(1023));
        assertEquals("1.00 KiB", StatsReport.humanSize(1024));
        assertEquals("64.50 KiB", StatsReport.humanSize(66048));
        assertEquals("8.98 KiB", StatsReport.humanSize(9192));
        assertEquals("25.00 GiB", StatsReport.humanSize(25L << 30));
    }

    private static OpStats op(String name, long[][] requests) {
        OpStats o = new OpStats(name);
        for (long[] r : requests) o.record(r[0], r[1], 1000, true);
        return o;
    }

    @Test
    void breakdownAsNbdkitWroteIt() {
        OpStats read = op("read", new long[][] {{4096, 4096}, {4096, 8192}, {4096, 0}, {512, 512}});
        OpStats write = op("write", new long[][] {{4096, 0}, {4096, 4096}, {4096, 8192}, {4096, 65536}, {1000, 12288}});
        OpStats flush = new OpStats("flush");
        flush.record(0, 0, 0, false);
        String text = StatsReport.render(List.of(read, write, new OpStats("trim"), flush), 1.0, 95);
        String expected = """
                total: 10 ops, 1.000000 s, 29.48 KiB, 29.48 KiB/s
                read: 4 ops, 0.000004 s, 12.50 KiB, 2.98 GiB/s op, 12.50 KiB/s total
                  Request size and alignment breakdown:
                    12 bits: 75.0% (3 reqs, 12.00 KiB total)
                         12 bit aligned: 100.0% (3)
                         13 bit aligned:  66.7% (2)
                    other sizes: 25.0% (1 reqs, 12.50 KiB total)

                write: 5 ops, 0.000005 s, 16.98 KiB, 3.24 GiB/s op, 16.98 KiB/s total
                  Request size and alignment breakdown:
                    12 bits: 80.0% (4 reqs, 16.00 KiB total)
                         12 bit aligned: 100.0% (4)
                         13 bit aligned:  75.0% (3)
                         16 bit aligned:  50.0% (2)
                    other sizes: 20.0% (1 reqs, 16.98 KiB total)

                flush: 1 ops, 0.000000 s, 0 bytes, (n/a)/s op, 0 bytes/s total
                """;
        assertEquals(expected, text);
    }

    @Test
    void noBreakdownWithThresholdZero() {
        OpStats read = op("read", new long[][] {{4096, 0}});
        assertEquals("total: 1 ops, 2.000000 s, 4.00 KiB, 2.00 KiB/s\n"
                + "read: 1 ops, 0.000001 s, 4.00 KiB, 3.81 GiB/s op, 2.00 KiB/s total\n",
                StatsReport.render(List.of(read), 2.0, 0));
    }
}
