package dev.jnbdkit.it;

import java.util.ArrayList;
import java.util.List;

/**
 * What the current test ran: every client command with its output, shown when the test fails
 * (together with the server's stderr, see {@link ServerExtension}).
 */
final class Transcript {
    private static final int MAX_CHARS = 8000;
    private static final List<Cmd.Result> results = new ArrayList<>();

    private Transcript() { }

    static synchronized void add(Cmd.Result r) { results.add(r); }

    static synchronized List<Cmd.Result> takeAll() {
        List<Cmd.Result> l = new ArrayList<>(results);
        results.clear();
        return l;
    }

    static String clip(String s) {
        if (s.length() <= MAX_CHARS) return s.stripTrailing();
        return s.substring(0, MAX_CHARS / 2) + "\n[... " + (s.length() - MAX_CHARS)
                + " characters cut ...]\n" + s.substring(s.length() - MAX_CHARS / 2).stripTrailing();
    }

    static String quote(String s) {
        if (!s.isEmpty() && s.matches("[A-Za-z0-9_@%+=:,./-]+")) return s;
        return "'" + s.replace("'", "'\\''") + "'";
    }

    static String quoteAll(List<String> argv) {
        StringBuilder sb = new StringBuilder();
        for (String a : argv) {
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(quote(a));
        }
        return sb.toString();
    }
}
