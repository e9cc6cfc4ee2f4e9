package dev.jnbdkit.plugins.sh;

import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;
import dev.jnbdkit.spi.ThreadModel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads what a script prints on stdout for the methods that answer something (sizes, modes,
 * extents, export lists), and writes the flag words scripts receive. Every parse error names the
 * script and the method, as nbdkit's messages do.
 */
final class ScriptOutput {
    private ScriptOutput() {}

    /** Stdout as text with one final newline removed. */
    static String chomp(byte[] stdout) {
        String s = new String(stdout, StandardCharsets.UTF_8);
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    /** A size in nbdkit's syntax ({@code 1M}, {@code 512}...); nbdkit's two error lines if not. */
    static long size(String script, String method, String text) {
        try {
            return Sizes.parse(text);
        } catch (PluginException e) {
            Nbdkit.error(e.getMessage());
            throw new PluginException(Errno.EIO, script + ": could not parse output from " + method + " method: " + text);
        }
    }

    /** block_size: minimum, preferred and maximum, separated by whitespace. */
    static BlockSize blockSize(String script, String text) {
        String[] words = text.strip().split("\\s+");
        if (words.length != 3) {
            throw new PluginException(Errno.EIO, script + ": block_size method did not print three numbers: " + text);
        }
        return new BlockSize(size(script, "block_size", words[0]), size(script, "block_size", words[1]),
                size(script, "block_size", words[2]));
    }

    /**
     * thread_model: one of nbdkit's four names (underscores or dashes, any case). Anything else
     * is ignored in favour of the safe default, with a debug message, as the page says.
     */
    static ThreadModel threadModel(String script, String text) {
        String s = text.strip().toLowerCase(Locale.ROOT).replace('-', '_');
        for (ThreadModel m : ThreadModel.values()) {
            if (m.nbdkitName().equals(s)) return m;
        }
        Nbdkit.debug(script + ": ignoring unrecognized thread model: " + text);
        return ThreadModel.SERIALIZE_ALL_REQUESTS;
    }

    /** can_fua: none, emulate or native. */
    static FuaMode fuaMode(String script, String text) {
        return switch (mode(script, "can_fua", text)) {
            case 0 -> FuaMode.NONE;
            case 1 -> FuaMode.EMULATE;
            default -> FuaMode.NATIVE;
        };
    }

    /** can_cache: none, emulate or native. */
    static CacheMode cacheMode(String script, String text) {
        return switch (mode(script, "can_cache", text)) {
            case 0 -> CacheMode.NONE;
            case 1 -> CacheMode.EMULATE;
            default -> CacheMode.NATIVE;
        };
    }

    private static int mode(String script, String method, String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "none" -> 0;
            case "emulate" -> 1;
            case "native" -> 2;
            default -> throw new PluginException(Errno.EIO,
                    script + ": could not parse output from " + method + " method: " + text);
        };
    }

    /**
     * extents: one {@code offset length [type]} line per extent; offset and length in size
     * syntax; type an integer, missing (0: data), or words containing {@code hole} and/or
     * {@code zero}. Each line is handed to {@code sink} in order.
     */
    static void extents(String script, byte[] stdout, ExtentSink sink) {
        for (String line : lines(stdout)) {
            String[] words = line.strip().split("[ \t]+");
            if (line.isBlank() || words.length < 2) {
                throw new PluginException(Errno.EIO, script + ": extents: cannot parse " + line);
            }
            long offset = extentSize(words[0]);
            long length = extentSize(words[1]);
            int type = words.length > 2 ? extentType(words[2]) : Extent.DATA;
            sink.add(offset, length, type);
        }
    }

    private static long extentSize(String word) {
        try {
            return Sizes.parse(word);
        } catch (PluginException e) {
            throw new PluginException(Errno.EIO, e.getMessage());
        }
    }

    /** A leading decimal number is the type itself; otherwise the words hole and zero. */
    static int extentType(String word) {
        int digits = 0;
        while (digits < word.length() && Character.isDigit(word.charAt(digits))) digits++;
        if (digits > 0) {
            try {
                return (int) Long.parseLong(word.substring(0, digits));
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        int type = 0;
        if (word.contains("hole")) type |= Extent.HOLE;
        if (word.contains("zero")) type |= Extent.ZERO;
        return type;
    }

    /**
     * list_exports (and default_export): the first line names the format (NAMES, INTERLEAVED or
     * NAMES+DESCRIPTIONS); any other first line is itself the first name of a NAMES list.
     */
    static List<Export> exports(byte[] stdout) {
        List<String> lines = lines(stdout);
        List<Export> out = new ArrayList<>();
        if (lines.isEmpty()) return out;
        String format = lines.getFirst();
        switch (format) {
            case "INTERLEAVED" -> {
                for (int i = 1; i < lines.size(); i += 2) {
                    out.add(new Export(lines.get(i), i + 1 < lines.size() ? lines.get(i + 1) : null));
                }
            }
            case "NAMES+DESCRIPTIONS" -> {
                List<String> rest = lines.subList(1, lines.size());
                int names = (rest.size() + 1) / 2;
                for (int i = 0; i < names; i++) {
                    int d = names + i;
                    out.add(new Export(rest.get(i), d < rest.size() ? rest.get(d) : null));
                }
            }
            default -> {
                for (int i = format.equals("NAMES") ? 1 : 0; i < lines.size(); i++) out.add(Export.named(lines.get(i)));
            }
        }
        return out;
    }

    /** The lines of stdout, without their newlines; a final newline does not start a line. */
    static List<String> lines(byte[] stdout) {
        String s = new String(stdout, StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();
        int from = 0;
        while (from < s.length()) {
            int nl = s.indexOf('\n', from);
            if (nl < 0) nl = s.length();
            out.add(s.substring(from, nl));
            from = nl + 1;
        }
        return out;
    }

    /** The flags parameter: a comma-separated list of fua, may_trim, req_one, fast (or empty). */
    static String flags(int flags) {
        List<String> words = new ArrayList<>(4);
        if (Flags.has(flags, Flags.FUA)) words.add("fua");
        if (Flags.has(flags, Flags.MAY_TRIM)) words.add("may_trim");
        if (Flags.has(flags, Flags.REQ_ONE)) words.add("req_one");
        if (Flags.has(flags, Flags.FAST_ZERO)) words.add("fast");
        return String.join(",", words);
    }
}
