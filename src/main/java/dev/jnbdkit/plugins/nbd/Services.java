package dev.jnbdkit.plugins.nbd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** TCP service names ({@code port=nbd}) from /etc/services, as getaddrinfo would find them. */
final class Services {
    private Services() {}

    static Integer lookup(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/services"))) {
                int hash = line.indexOf('#');
                String[] f = (hash >= 0 ? line.substring(0, hash) : line).trim().split("\\s+");
                if (f.length < 2 || !f[1].endsWith("/tcp")) continue;
                for (int i = 0; i < f.length; i++) {
                    if (i != 1 && f[i].equals(name)) return Integer.parseInt(f[1].substring(0, f[1].indexOf('/')));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return null;
        }
        return name.equals("nbd") ? NbdUri.DEFAULT_PORT : null;
    }
}
