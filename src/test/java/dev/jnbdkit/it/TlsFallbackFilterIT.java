package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** nbdkit-tls-fallback-filter: plaintext clients get the 512-byte message, TLS clients the plugin. */
class TlsFallbackFilterIT extends FilterItBase {
    Path psk() {
        Path keys = tmp.resolve("keys.psk");
        Cmd.of("psktool", "-u", "alice", "-p", keys.toString()).ok();
        return keys;
    }

    static String tlsUri(Server s, Path keys) {
        return "nbds+unix://alice@/?socket=" + s.socket() + "&tls-psk-file=" + keys;
    }

    static final String READ = """
            print(size, h.is_read_only(), h.can_zero(), h.can_trim(), h.can_flush())
            print(bytes(h.pread(size, 0)).rstrip(b"\\0"))
            print(expect_err("EPERM", lambda: h.pwrite(b"a", 0), "EROFS", "EINVAL"))
            """;

    @Test
    void plaintextSeesTheMessage() {
        Path keys = psk();
        String out = same(args("--tls=on", "--tls-psk=" + keys, "--filter=tls-fallback", "memory", "1M"), s -> {
            String plain = info(s) + py(s, READ);
            String tls = Cmd.of("nbdinfo", "--size", tlsUri(s, keys)).ok().out();
            String names = Cmd.of("nbdinfo", "--list", "--json", s.uri()).ok().out().contains("\"export-name\": \"\"") + "\n";
            return plain + tls + names;
        });
        assertTrue(out.contains("512 True False False False\nb'This NBD server requires TLS authentication before it will serve useful data.\\n'"), out);
        assertTrue(out.contains("\n1048576\ntrue\n"), out);
    }

    @Test
    void tlsreadme() {
        Path keys = psk();
        String out = same(args("--tls=on", "--tls-psk=" + keys, "--filter=tls-fallback", "memory", "1M", "tlsreadme=go away"),
                s -> py(s, READ));
        assertTrue(out.contains("512 True") && out.contains("b'go away'"), out);
    }

    @Test
    void refusesSerializedConnections() {
        for (Impl impl : Impl.values()) {
            Cmd.Result r = Server.command(impl, args("--filter=tls-fallback", "--filter=noparallel", "memory", "1M",
                    "serialize=connections", "--run", "true")).run().exit(1);
            assertTrue(r.err().contains("error: the tls-fallback filter requires parallel connection support"), r.toString());
        }
    }
}
