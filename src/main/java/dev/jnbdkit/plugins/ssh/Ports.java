package dev.jnbdkit.plugins.ssh;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code port=}: a number, or a TCP service name from /etc/services (the page's "port name or number"). */
final class Ports {
    private Ports() {}

    static int parse(String port) {
        String p = port.strip();
        if (!p.isEmpty() && p.chars().allMatch(Character::isDigit)) {
            try {
                int n = Integer.parseInt(p);
                if (n > 0 && n <= 65535) return n;
            } catch (NumberFormatException e) {
                // out of range: refused below
            }
            throw bad(port);
        }
        try {
            for (String line : Files.readAllLines(Path.of("/etc/services"))) {
                String[] f = line.replaceFirst("#.*", "").strip().split("\\s+");
                if (f.length < 2 || !f[1].endsWith("/tcp")) continue;
                boolean named = f[0].equals(p);
                for (int i = 2; i < f.length && !named; i++) named = f[i].equals(p);
                if (named) return Integer.parseInt(f[1].substring(0, f[1].indexOf('/')));
            }
        } catch (IOException | NumberFormatException e) {
            // no services database: only numbers work
        }
        throw bad(port);
    }

    private static PluginException bad(String port) {
        return new PluginException(Errno.EINVAL, "failed to set port: invalid port: " + port);
    }
}
