package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Base of the xz, gzip and tar filter tests: these filters find out at connect time whether the
 * file is usable (they read its index, decompress it, or look for the member), so a bad file shows
 * as a client that cannot connect and an error logged by the server.
 */
abstract class ArchiveFilterItBase extends FilterItBase {
    /**
     * The errors of a server whose client could not connect (the filter failed in prepare): each
     * message once (nbdinfo tries twice), from {@code error: } on, with its continuation lines.
     */
    String connectErrors(Impl impl, List<String> args) {
        Server s = start(impl, args);
        try {
            Cmd.Result r = Cmd.of("nbdinfo", s.uri()).run();
            assertTrue(r.exit() != 0, "the connection should fail\n" + r);
            return String.join("\n", messages(s.stderr()));
        } finally {
            s.stop();
        }
    }

    /** The {@code error: } messages of a server's stderr, each once, multi-line ones whole. */
    static java.util.Set<String> messages(String stderr) {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        StringBuilder current = null;
        for (String line : stderr.split("\n")) {
            int i = line.indexOf("error: ");
            if (line.matches("^j?nbdkit: .*") || i >= 0) {
                if (current != null) out.add(current.toString());
                current = i >= 0 ? new StringBuilder(line.substring(i)) : null;
            } else if (current != null) {
                current.append('\n').append(line);
            }
        }
        if (current != null) out.add(current.toString());
        out.removeIf(m -> m.contains("handshake") || m.contains("Connection reset by peer") || m.contains("Broken pipe"));
        return out;
    }

    /** {@link #connectErrors} under both servers, which must be the same; returns them. */
    String sameConnectError(List<String> args) {
        Map<Impl, String> m = new java.util.EnumMap<>(Impl.class);
        for (Impl impl : Impl.values()) m.put(impl, connectErrors(impl, args));
        assertEquals(m.get(Impl.NBDKIT), m.get(Impl.JNBDKIT), "error messages differ for " + args);
        return m.get(Impl.JNBDKIT);
    }

    static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
