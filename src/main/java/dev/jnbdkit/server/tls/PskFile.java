package dev.jnbdkit.server.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A PSK file as psktool(1) writes and GnuTLS reads it: one {@code username:hexkey} per line.
 * Like GnuTLS the file is read again for every handshake, so keys can be added or revoked
 * without restarting the server.
 */
final class PskFile {
    private PskFile() {}

    /** The keys by username. Throws if a line is not {@code username:hexkey} or no key is present. */
    static Map<String, byte[]> read(Path file) throws IOException {
        Map<String, byte[]> keys = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
            if (line.isBlank()) continue;
            int colon = line.indexOf(':');
            if (colon <= 0) throw new IOException("line " + lineNo + ": expected username:hexkey");
            String user = line.substring(0, colon);
            String hex = line.substring(colon + 1).trim();
            byte[] key;
            try {
                key = HexFormat.of().parseHex(hex);
            } catch (IllegalArgumentException e) {
                throw new IOException("line " + lineNo + ": the key of '" + user + "' is not hexadecimal");
            }
            if (key.length == 0) throw new IOException("line " + lineNo + ": empty key for '" + user + "'");
            keys.putIfAbsent(user, key);
        }
        if (keys.isEmpty()) throw new IOException("no keys in the file");
        return keys;
    }

    /** The key of {@code user}, or null if the file no longer has it (or cannot be read). */
    static byte[] lookup(Path file, String user) {
        try {
            return read(file).get(user);
        } catch (IOException e) {
            return null;
        }
    }
}
