package dev.jnbdkit.filters.log;

import java.util.ArrayList;
import java.util.List;

/**
 * One log entry before it is formatted: the action, the connection (0 for none), the type
 * (ENTER/LEAVE/PRINT, which the log file shows as "Act ... ", "...Act", "Act"), and its
 * {@code key=value} fields in order. Values are strings, hex numbers, or lists.
 */
final class LogEntry {
    enum Type { ENTER, LEAVE, PRINT }

    /** A field's value: how the log file and the log script each write it. */
    sealed interface Value permits Str, Raw, Num, Hex, Lst {}

    /** A word written as it is (an errno name). */
    record Raw(String s) implements Value {}

    /** A string: double-quoted in the file, shell-quoted for the script. */
    record Str(String s) implements Value {}

    /** A decimal number or flag. */
    record Num(long n) implements Value {}

    /** A number the log shows in hex (offsets, counts, sizes). */
    record Hex(long n) implements Value {}

    /** A list: {@code (a b c)} in the file, a bash array for the script. */
    record Lst(List<Value> items) implements Value {}

    record Field(String key, Value value) {}

    final String action;
    final long connection;
    final Type type;
    final Long id;
    final List<Field> fields = new ArrayList<>();

    LogEntry(String action, long connection, Type type, Long id) {
        this.action = action;
        this.connection = connection;
        this.type = type;
        this.id = id;
    }

    LogEntry str(String k, String v) { fields.add(new Field(k, new Str(v))); return this; }

    LogEntry raw(String k, String v) { fields.add(new Field(k, new Raw(v))); return this; }

    LogEntry num(String k, long v) { fields.add(new Field(k, new Num(v))); return this; }

    LogEntry bit(String k, boolean v) { return num(k, v ? 1 : 0); }

    LogEntry hex(String k, long v) { fields.add(new Field(k, new Hex(v))); return this; }

    LogEntry list(String k, List<Value> v) { fields.add(new Field(k, new Lst(v))); return this; }

    /** The line after the timestamp, as nbdkit's log file has it. */
    String line() {
        StringBuilder sb = new StringBuilder();
        if (connection > 0) sb.append("connection=").append(connection).append(' ');
        if (type == Type.LEAVE) sb.append("...");
        sb.append(action);
        if (id != null) sb.append(" id=").append(id);
        for (Field f : fields) {
            sb.append(' ').append(f.key()).append('=');
            fileValue(sb, f.value());
        }
        if (type == Type.ENTER) sb.append(" ...");
        return sb.toString();
    }

    private static void fileValue(StringBuilder sb, Value v) {
        switch (v) {
            case Str s -> doubleQuote(sb, s.s());
            case Raw r -> sb.append(r.s());
            case Num n -> sb.append(n.n());
            case Hex h -> sb.append("0x").append(Long.toHexString(h.n()));
            case Lst l -> {
                sb.append('(');
                for (int i = 0; i < l.items().size(); i++) {
                    if (i > 0) sb.append(' ');
                    fileValue(sb, l.items().get(i));
                }
                sb.append(')');
            }
        }
    }

    /**
     * As nbdkit's log: a non-empty string of letters, digits and {@code - . / : = _ ,} as it is,
     * anything else in double quotes with \ before " \ $ and `.
     */
    static void doubleQuote(StringBuilder sb, String s) {
        if (!s.isEmpty() && s.chars().allMatch(LogEntry::safe)) {
            sb.append(s);
            return;
        }
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\' || c == '$' || c == '`') sb.append('\\');
            sb.append(c);
        }
        sb.append('"');
    }

    private static boolean safe(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-./:=_,".indexOf(c) >= 0;
    }

    /** The variable assignments a log script starts with (bash: lists are arrays). */
    String scriptVariables() {
        StringBuilder sb = new StringBuilder();
        sb.append("act=").append(action).append('\n');
        sb.append("type=").append(type.name()).append('\n');
        if (connection > 0) sb.append("connection=").append(connection).append('\n');
        if (id != null) sb.append("id=").append(id).append('\n');
        for (Field f : fields) {
            sb.append(f.key()).append('=');
            scriptValue(sb, f.value());
            sb.append('\n');
        }
        return sb.toString();
    }

    private static void scriptValue(StringBuilder sb, Value v) {
        switch (v) {
            case Str s -> sb.append(shellQuote(s.s()));
            case Raw r -> sb.append(r.s());
            case Num n -> sb.append(n.n());
            case Hex h -> sb.append("0x").append(Long.toHexString(h.n()));
            case Lst l -> {
                sb.append('(');
                for (int i = 0; i < l.items().size(); i++) {
                    if (i > 0) sb.append(' ');
                    scriptValue(sb, l.items().get(i));
                }
                sb.append(')');
            }
        }
    }

    static String shellQuote(String s) { return "'" + s.replace("'", "'\\''") + "'"; }
}
