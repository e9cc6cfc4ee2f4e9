package dev.jnbdkit.backend;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.log.LogSink;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.Passwords;
import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The SPI's log and password calls reach the server (spi/Host, backend/ServerHost). */
class ServerHostTest {
    @TempDir Path tmp;

    @Test
    void debugAndErrorAreTheServersLog() {
        Stack.of(new FakePlugin(), false);   // what every start builds: the host is installed
        List<String> lines = new ArrayList<>();
        LogSink old = Log.sink();
        boolean verbose = Log.verbose();
        Log.setSink((level, line) -> lines.add(level + " " + line));
        try {
            Log.setVerbose(false);
            Nbdkit.debug("hidden without -v");
            Log.setVerbose(true);
            Nbdkit.debug("shown with -v");
            Nbdkit.error("went wrong");
        } finally {
            Log.setSink(old);
            Log.setVerbose(verbose);
        }
        assertEquals(List.of("DEBUG " + Log.program() + ": debug: shown with -v",
                "ERROR " + Log.program() + ": error: went wrong"), lines);
    }

    @Test
    void passwordsAreReadFromFilesAndDescriptorsByTheServer() throws Exception {
        Path file = Files.writeString(tmp.resolve("pw"), "from file\nsecond line\n");
        assertArrayEquals("from file".getBytes(StandardCharsets.UTF_8), Passwords.read("+" + file));
        PluginException e = assertThrows(PluginException.class, () -> Passwords.read("+" + tmp.resolve("none")));
        assertEquals("open " + tmp.resolve("none") + ": No such file or directory", e.getMessage());
        assertEquals("fdopen 999: Bad file descriptor",
                assertThrows(PluginException.class, () -> Passwords.read("-999")).getMessage());
    }
}
