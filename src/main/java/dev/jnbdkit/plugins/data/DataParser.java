package dev.jnbdkit.plugins.data;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Numbers;
import dev.jnbdkit.spi.PluginException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses the data plugin's format into {@link DataExpr} fields. Pure: no files are read and no
 * variables looked up here (that is {@link DataEvaluator}'s job), so it is unit-tested alone.
 * Errors are {@link PluginException}s with EINVAL and nbdkit's wording where nbdkit has one.
 */
public final class DataParser {
    /** Deeper nesting of {@code ( ... )} is refused rather than risking the stack. */
    static final int MAX_DEPTH = 1000;

    private final String s;
    private int i;

    private DataParser(String s) { this.s = s; }

    /** The fields of {@code text}, in order. */
    public static List<DataExpr> parse(String text) {
        DataParser p = new DataParser(text);
        List<DataExpr> out = p.sequence(0);
        if (p.i < p.s.length()) throw error("unmatched ')' in data string");
        return out;
    }

    static PluginException error(String message) {
        return new PluginException(Errno.EINVAL, message);
    }

    private PluginException parsingError(int at) {
        return error("data parameter: parsing error at offset " + at);
    }

    /** Fields up to the end of the text or an unmatched {@code )} (left for the caller). */
    private List<DataExpr> sequence(int depth) {
        if (depth > MAX_DEPTH) throw error("data parameter: ( ... ) nested more than " + MAX_DEPTH + " deep");
        List<DataExpr> out = new ArrayList<>();
        while (true) {
            skipBlanks();
            if (i >= s.length()) return out;
            char c = s.charAt(i);
            switch (c) {
                case ')' -> { return out; }
                case '(' -> {
                    i++;
                    List<DataExpr> body = sequence(depth + 1);
                    if (i >= s.length()) throw error("unmatched '(' in data string");
                    i++; // ')'
                    out.add(new DataExpr.Group(body));
                }
                case '@' -> out.add(offsetCommand());
                case '*' -> {
                    DataExpr last = lastExpression(out, "*N must follow an expression");
                    i++;
                    skipBlanks();
                    Long n = number(true);
                    if (n == null) throw error("*N not numeric");
                    if (n < 0) throw error("data parameter @OFFSET must not be negative");
                    out.set(out.size() - 1, new DataExpr.Repeat(last, n));
                }
                case '[' -> {
                    DataExpr last = lastExpression(out, "[N:M] must follow an expression");
                    out.set(out.size() - 1, slice(last));
                }
                case '-' -> {
                    if (i + 1 < s.length() && s.charAt(i + 1) == '>') {
                        int at = i;
                        DataExpr last = lastExpression(out, "-> must follow an expression");
                        i += 2;
                        skipBlanks();
                        if (i >= s.length() || s.charAt(i) != '\\') throw parsingError(i);
                        String name = name(true);
                        if (name.isEmpty()) throw parsingError(at);
                        out.set(out.size() - 1, new DataExpr.Assign(last, name));
                    } else {
                        throw parsingError(i + 1);
                    }
                }
                case '\\' -> {
                    int at = i;
                    String name = name(true);
                    if (name.isEmpty()) throw parsingError(at);
                    out.add(new DataExpr.NameRef(name));
                }
                case '$' -> {
                    int at = i;
                    String name = name(false);
                    if (name.isEmpty()) throw parsingError(at);
                    out.add(new DataExpr.Variable(name));
                }
                case '"' -> out.add(new DataExpr.Literal(string()));
                case '<' -> out.add(fileOrScript());
                case 'l', 'b' -> out.add(word());
                default -> {
                    if (c >= '0' && c <= '9') {
                        long v = number(false);
                        if (v > 255) throw error("data parameter BYTE must be in the range 0..255");
                        out.add(new DataExpr.Literal(new byte[] {(byte) v}));
                    } else {
                        throw parsingError(i);
                    }
                }
            }
        }
    }

    private static DataExpr lastExpression(List<DataExpr> out, String message) {
        if (out.isEmpty() || !DataExpr.isExpression(out.getLast())) throw error(message);
        return out.getLast();
    }

    /** Whitespace and {@code # comments}. */
    private void skipBlanks() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '#') {
                while (i < s.length() && s.charAt(i) != '\n') i++;
            } else if (Character.isWhitespace(c)) {
                i++;
            } else {
                return;
            }
        }
    }

    private DataExpr offsetCommand() {
        i++; // '@'
        char mode = i < s.length() ? s.charAt(i) : 0;
        if (mode == '+' || mode == '-') {
            i++;
            Long n = number(false);
            if (n == null) throw parsingError(i);
            return new DataExpr.MoveBy(mode == '+' ? n : -n);
        }
        if (mode == '^') {
            i++;
            if (i < s.length() && s.charAt(i) == '-') throw error("data parameter after @^ must not be negative");
            Long n = number(false);
            if (n == null) throw parsingError(i);
            if (n <= 0 || Long.bitCount(n) != 1) throw error("data parameter @^" + n + " must be a power of 2");
            return new DataExpr.Align(n);
        }
        Long n = number(false);
        if (n == null) throw parsingError(i);
        return new DataExpr.SetOffset(n);
    }

    /**
     * A number as C's {@code %i} reads it: {@code 0x} hexadecimal, a leading {@code 0} octal,
     * else decimal, ending at the first character that is not a digit of its base. Null (and
     * nothing consumed) if there is none; an optional sign when {@code signed}.
     */
    private Long number(boolean signed) {
        int start = i;
        boolean negative = false;
        if (signed && i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        if (i >= s.length() || !Character.isDigit(s.charAt(i))) {
            i = start;
            return null;
        }
        int radix = 10;
        if (s.charAt(i) == '0' && i + 1 < s.length() && (s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X')) {
            radix = 16;
            i += 2;
        } else if (s.charAt(i) == '0') {
            radix = 8;
        }
        int digits = i;
        long v = 0;
        while (i < s.length() && Character.digit(s.charAt(i), radix) >= 0) {
            int d = Character.digit(s.charAt(i), radix);
            if (v > (Long.MAX_VALUE - d) / radix) {
                throw error("data parameter: number at offset " + start + " is too large");
            }
            v = v * radix + d;
            i++;
        }
        if (i == digits && radix != 16) return null; // unreachable: a digit was seen
        return negative ? -v : v;
    }

    private DataExpr slice(DataExpr target) {
        i++; // '['
        skipBlanks();
        Long start = number(false);
        skipBlanks();
        if (i >= s.length() || s.charAt(i) != ':') throw error("enclosed pattern (...)[N:M] not numeric");
        i++;
        skipBlanks();
        Long end = number(false);
        skipBlanks();
        if (i >= s.length() || s.charAt(i) != ']') throw error("enclosed pattern (...)[N:M] not numeric");
        i++;
        if (start != null && end != null && end < start) throw error("[N:M] does not describe a valid slice");
        return new DataExpr.Slice(target, start, end);
    }

    /** {@code \NAME} (letters, digits, {@code -}, {@code _}) or {@code $NAME} (no {@code -}). */
    private String name(boolean dashes) {
        i++; // '\\' or '$'
        int start = i;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isLetterOrDigit(c) || c == '_' || (dashes && c == '-' && !(i + 1 < s.length() && s.charAt(i + 1) == '>'))) i++;
            else break;
        }
        return s.substring(start, i);
    }

    /** {@code "..."} with C's escapes; characters outside ASCII are written as UTF-8. */
    private byte[] string() {
        i++; // opening quote
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            if (i >= s.length()) throw error("data parameter: unterminated string");
            char c = s.charAt(i++);
            if (c == '"') return out.toByteArray();
            if (c != '\\') {
                if (c < 0x80) out.write(c);
                else out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
                continue;
            }
            if (i >= s.length()) throw error("data parameter: unterminated string");
            char e = s.charAt(i++);
            switch (e) {
                case 'a' -> out.write(7);
                case 'b' -> out.write(8);
                case 'f' -> out.write(12);
                case 'n' -> out.write(10);
                case 'r' -> out.write(13);
                case 't' -> out.write(9);
                case 'v' -> out.write(11);
                case 'x' -> {
                    int v = 0, n = 0;
                    while (n < 2 && i < s.length() && Character.digit(s.charAt(i), 16) >= 0) {
                        v = v * 16 + Character.digit(s.charAt(i++), 16);
                        n++;
                    }
                    if (n == 0) throw error("data parameter: \\x must be followed by hexadecimal digits");
                    out.write(v);
                }
                case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                    int v = e - '0', n = 1;
                    while (n < 3 && i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7') {
                        v = v * 8 + (s.charAt(i++) - '0');
                        n++;
                    }
                    if (v > 255) throw error("data parameter: octal escape \\" + Integer.toOctalString(v) + " is out of range");
                    out.write(v);
                }
                case 'u', 'U' -> throw error("data: string unicode sequences are not implemented");
                default -> out.write(e); // \\ \" and any other character stand for themselves
            }
        }
    }

    private DataExpr fileOrScript() {
        i++; // '<'
        if (i < s.length() && s.charAt(i) == '(') {
            int start = ++i;
            int depth = 1;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '(') depth++;
                else if (c == ')' && --depth == 0) break;
                i++;
            }
            if (i >= s.length()) throw error("unmatched '(' in data string");
            String script = s.substring(start, i);
            i++;
            return new DataExpr.Script(script);
        }
        int start = i;
        while (i < s.length() && !Character.isWhitespace(s.charAt(i)) && "[*)".indexOf(s.charAt(i)) < 0) i++;
        if (i == start) throw error("data parameter <FILE not a filename");
        return new DataExpr.File(s.substring(start, i));
    }

    /** {@code le16:WORD} ... {@code be64:WORD}; the word runs to the next blank or {@code )}. */
    private DataExpr word() {
        int at = i;
        String head = s.length() - i >= 5 ? s.substring(i, i + 5) : "";
        int bits;
        boolean little;
        switch (head) {
            case "le16:", "be16:" -> bits = 16;
            case "le32:", "be32:" -> bits = 32;
            case "le64:", "be64:" -> bits = 64;
            default -> {
                // nbdkit reports where the word it could not read ends
                int end = at;
                while (end < s.length() && !Character.isWhitespace(s.charAt(end))) end++;
                throw error("data parameter: expected \"le16/32/64:\" or \"be16/32/64:\" at offset " + end);
            }
        }
        little = head.startsWith("le");
        i += 5;
        int start = i;
        while (i < s.length() && !Character.isWhitespace(s.charAt(i)) && s.charAt(i) != ')') i++;
        long v = parseWord(s.substring(start, i), bits);
        byte[] b = new byte[bits / 8];
        for (int k = 0; k < b.length; k++) {
            int shift = little ? 8 * k : 8 * (b.length - 1 - k);
            b[k] = (byte) (v >>> shift);
        }
        return new DataExpr.Literal(b);
    }

    /** An unsigned word as nbdkit_parse_uintN_t reads it (the whole token must be the number). */
    static long parseWord(String text, int bits) {
        return Numbers.parseUnsigned("data", text, bits);
    }
}
