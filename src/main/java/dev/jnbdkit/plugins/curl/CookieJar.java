package dev.jnbdkit.plugins.curl;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.HttpCookie;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code cookiefile=} and {@code cookiejar=}: libcurl's cookie engine on the JDK's
 * {@link CookieManager}. Cookies the server sets are sent back on later requests (and redirects);
 * the files are in the Netscape format curl reads and writes (tab-separated: domain,
 * include-subdomains, path, secure, expiry, name, value; {@code #HttpOnly_} before the domain),
 * or {@code Set-Cookie:} lines. {@code cookiejar=} is read at start and written at exit.
 */
final class CookieJar {
    private final CookieManager manager = new CookieManager(null, CookiePolicy.ACCEPT_ALL);
    private final Path jar;

    private CookieJar(Path jar) { this.jar = jar; }

    /** Null when neither key is given: no cookie engine, as libcurl without COOKIEFILE. */
    static CookieJar of(String cookieFile, String cookieJar) {
        if (cookieFile == null && cookieJar == null) return null;
        CookieJar j = new CookieJar(cookieJar == null ? null : Path.of(cookieJar));
        if (cookieFile != null && !cookieFile.isEmpty()) j.load(Path.of(cookieFile), true);
        if (cookieJar != null) j.load(Path.of(cookieJar), false);
        return j;
    }

    CookieManager manager() { return manager; }

    private void load(Path file, boolean mustExist) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            if (mustExist) CurlPlugin.debug("cookiefile " + file + " does not exist: starting with no cookies");
            return;
        } catch (IOException e) {
            throw new PluginException(Errno.EINVAL, "cookie file " + file + ": " + e.getMessage());
        }
        long now = System.currentTimeMillis() / 1000;
        for (String line : lines) {
            String l = line.strip();
            if (l.regionMatches(true, 0, "Set-Cookie:", 0, 11)) {
                for (HttpCookie c : HttpCookie.parse(l)) {
                    String domain = c.getDomain() == null ? "localhost" : c.getDomain();
                    manager.getCookieStore().add(uri(domain, c.getPath()), c);
                }
                continue;
            }
            boolean httpOnly = l.startsWith("#HttpOnly_");
            if (httpOnly) l = l.substring(10);
            if (l.isEmpty() || l.startsWith("#")) continue;
            String[] f = l.split("\t", -1);
            if (f.length < 7) continue;
            HttpCookie c = new HttpCookie(f[5], f[6]);
            String domain = f[0];
            c.setDomain(f[1].equalsIgnoreCase("TRUE") && !domain.startsWith(".") ? "." + domain : domain);
            c.setPath(f[2]);
            c.setSecure(f[3].equalsIgnoreCase("TRUE"));
            c.setHttpOnly(httpOnly);
            c.setVersion(0);
            long expires = parseLong(f[4]);
            if (expires != 0) {
                if (expires <= now) continue;
                c.setMaxAge(expires - now);
            }
            manager.getCookieStore().add(uri(domain, f[2]), c);
        }
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static URI uri(String domain, String path) {
        String host = domain.startsWith(".") ? domain.substring(1) : domain;
        return URI.create("http://" + host + (path == null || path.isEmpty() ? "/" : path));
    }

    /** {@code cookiejar=}: every cookie still valid, written back at exit. */
    void save() {
        if (jar == null) return;
        long now = System.currentTimeMillis() / 1000;
        StringBuilder out = new StringBuilder("# Netscape HTTP Cookie File\n# Written by jnbdkit's curl plugin.\n\n");
        for (HttpCookie c : manager.getCookieStore().getCookies()) {
            String domain = c.getDomain() == null ? "localhost" : c.getDomain();
            boolean sub = domain.startsWith(".");
            out.append(c.isHttpOnly() ? "#HttpOnly_" : "").append(sub ? domain.substring(1) : domain).append('\t')
                    .append(sub ? "TRUE" : "FALSE").append('\t')
                    .append(c.getPath() == null ? "/" : c.getPath()).append('\t')
                    .append(c.getSecure() ? "TRUE" : "FALSE").append('\t')
                    .append(c.getMaxAge() < 0 ? 0 : now + c.getMaxAge()).append('\t')
                    .append(c.getName()).append('\t').append(c.getValue()).append('\n');
        }
        try {
            Files.writeString(jar, out);
        } catch (IOException e) {
            CurlPlugin.debug("cookiejar " + jar + ": " + e.getMessage());
        }
    }
}
