package dev.jnbdkit.filters.error;

import dev.jnbdkit.filters.FilterArgs;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * nbdkit-error-filter: fails requests at random with a chosen errno, for testing clients. Each
 * data callback has its own error, rate and trigger file; {@code error}, {@code error-rate} and
 * {@code error-file} set all of them. As nbdkit, it calls itself "error-inject".
 */
public final class ErrorFilter implements Filter {
    /** The callbacks errors can be injected into, by nbdkit's names. */
    enum Callback { PREAD, PWRITE, TRIM, ZERO, EXTENTS, CACHE;
        String key() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    /** One callback's settings. */
    record Settings(int errno, String errnoName, double rate, Path file) {
        static final Settings DEFAULT = new Settings(Errno.EIO, "EIO", 0, null);
    }

    private final Map<Callback, Settings> settings = new EnumMap<>(Callback.class);
    /** nbdkit seeds its generator from the clock too: runs are not reproducible. */
    private final SplittableRandom random = new SplittableRandom();

    public ErrorFilter() {
        for (Callback c : Callback.values()) settings.put(c, Settings.DEFAULT);
    }

    @Override public String name() { return "error-inject"; }

    @Override public String longname() { return "nbdkit error injection filter"; }

    @Override
    public String configHelp() {
        return """
                error=EPERM|EIO|ENOMEM|EINVAL|ENOSPC|ESHUTDOWN
                                               The error indication to return.
                error-rate=0%..100%|0..1       Rate of errors to generate.
                error-file=TRIGGER             Set trigger filename.
                error-pread*, error-pwrite*, error-trim*, error-zero*, error-extents*
                                               Apply settings only to read/write/etc""";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "error" -> { for (Callback c : Callback.values()) setErrno(c, key, value); }
            case "error-rate" -> { double r = parseRate(key, value); for (Callback c : Callback.values()) setRate(c, r); }
            case "error-file" -> { for (Callback c : Callback.values()) setFile(c, value); }
            default -> {
                for (Callback c : Callback.values()) {
                    String base = "error-" + c.key();
                    if (key.equals(base)) { setErrno(c, key, value); return; }
                    if (key.equals(base + "-rate")) { setRate(c, parseRate(key, value)); return; }
                    if (key.equals(base + "-file")) { setFile(c, value); return; }
                }
                next.config(key, value);
            }
        }
    }

    private void setErrno(Callback c, String key, String name) {
        int e = switch (name) {
            case "EPERM" -> Errno.EPERM;
            case "EIO" -> Errno.EIO;
            case "ENOMEM" -> Errno.ENOMEM;
            case "EINVAL" -> Errno.EINVAL;
            case "ENOSPC" -> Errno.ENOSPC;
            case "ESHUTDOWN" -> Errno.ESHUTDOWN;
            default -> throw FilterArgs.bad(key + ": unknown error name '" + name + "'");
        };
        Settings s = settings.get(c);
        settings.put(c, new Settings(e, name, s.rate(), s.file()));
    }

    private void setRate(Callback c, double rate) {
        Settings s = settings.get(c);
        settings.put(c, new Settings(s.errno(), s.errnoName(), rate, s.file()));
    }

    private void setFile(Callback c, String file) {
        Settings s = settings.get(c);
        settings.put(c, new Settings(s.errno(), s.errnoName(), s.rate(), Path.of(file)));
    }

    /** {@code N%} or a probability 0..1, with nbdkit's messages. */
    static double parseRate(String key, String value) {
        boolean percent = value.endsWith("%");
        String n = percent ? value.substring(0, value.length() - 1) : value;
        double d;
        try {
            if (n.isBlank() || !n.strip().equals(n) || n.matches(".*[^0-9.eE+-].*")) throw new NumberFormatException();
            d = Double.parseDouble(n);
        } catch (NumberFormatException e) {
            throw FilterArgs.bad(key + ": could not parse rate '" + value + "'");
        }
        if (percent) d /= 100;
        if (d < 0 || d > 1) throw FilterArgs.bad(key + ": rate out of range: '" + value + "' parsed as " + formatG(d));
        return d;
    }

    /** printf's %g, enough for the rates a user types. */
    private static String formatG(double d) {
        String s = String.format(java.util.Locale.ROOT, "%.6g", d);
        if (s.contains("e")) return s;
        if (s.contains(".")) s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        return s;
    }

    /** Throws the injected error when this request is chosen. */
    private void maybeInject(Callback c) {
        Settings s = settings.get(c);
        if (s.rate() <= 0) return;
        if (s.file() != null && !Files.exists(s.file())) return;
        boolean hit;
        if (s.rate() >= 1) {
            hit = true;
        } else {
            synchronized (random) { hit = random.nextDouble() < s.rate(); }
        }
        if (hit) throw new PluginException(s.errno(), "injecting " + s.errnoName() + " error into " + c.key());
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new FilterHandle() {
            @Override public void pread(Next next, IoBuffer buf, long offset, int flags) {
                maybeInject(Callback.PREAD);
                next.pread(buf, offset, flags);
            }

            @Override public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
                maybeInject(Callback.PWRITE);
                next.pwrite(buf, offset, flags);
            }

            @Override public void trim(Next next, long count, long offset, int flags) {
                maybeInject(Callback.TRIM);
                next.trim(count, offset, flags);
            }

            @Override public void zero(Next next, long count, long offset, int flags) {
                maybeInject(Callback.ZERO);
                next.zero(count, offset, flags);
            }

            @Override public void extents(Next next, long count, long offset, int flags, ExtentSink extents) {
                maybeInject(Callback.EXTENTS);
                next.extents(count, offset, flags, extents);
            }

            @Override public void cache(Next next, long count, long offset, int flags) {
                maybeInject(Callback.CACHE);
                next.cache(count, offset, flags);
            }
        };
    }
}
