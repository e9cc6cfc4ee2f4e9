package dev.jnbdkit.it;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader for nbdinfo's and qemu-img's --output=json (no dependency needed for
 * that): values are Map, List, String, Long/Double, Boolean or null, wrapped for navigation.
 */
public final class Json {
    final Object value;

    private Json(Object v) { value = v; }

    public static Json parse(String text) {
        Reader r = new Reader(text);
        r.ws();
        Object v = r.value();
        r.ws();
        if (r.i != text.length()) throw r.error("trailing characters");
        return new Json(v);
    }

    public Json get(String key) {
        if (!(value instanceof Map<?, ?> m)) throw new AssertionError("not an object: " + this);
        if (!m.containsKey(key)) throw new AssertionError("no key '" + key + "' in " + this);
        return new Json(m.get(key));
    }

    public boolean has(String key) { return value instanceof Map<?, ?> m && m.containsKey(key); }

    public Json at(int i) { return new Json(list().get(i)); }

    public int size() { return list().size(); }

    public List<Json> items() {
        List<Json> l = new ArrayList<>();
        for (Object o : list()) l.add(new Json(o));
        return l;
    }

    private List<?> list() {
        if (!(value instanceof List<?> l)) throw new AssertionError("not an array: " + this);
        return l;
    }

    public long asLong() {
        if (!(value instanceof Number n)) throw new AssertionError("not a number: " + this);
        return n.longValue();
    }

    public String asString() {
        if (!(value instanceof String s)) throw new AssertionError("not a string: " + this);
        return s;
    }

    public boolean asBool() {
        if (!(value instanceof Boolean b)) throw new AssertionError("not a boolean: " + this);
        return b;
    }

    public boolean isNull() { return value == null; }

    @Override public String toString() {
        String s = String.valueOf(value);
        return s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
    }

    private static final class Reader {
        final String s;
        int i;

        Reader(String s) { this.s = s; }

        IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at offset " + i);
        }

        void ws() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

        Object value() {
            if (i >= s.length()) throw error("unexpected end");
            char c = s.charAt(i);
            switch (c) {
                case '{': return object();
                case '[': return array();
                case '"': return string();
                case 't': return word("true", Boolean.TRUE);
                case 'f': return word("false", Boolean.FALSE);
                case 'n': return word("null", null);
                default: return number();
            }
        }

        Object word(String w, Object v) {
            if (!s.startsWith(w, i)) throw error("bad literal");
            i += w.length();
            return v;
        }

        Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            ws();
            if (peek() == '}') { i++; return m; }
            while (true) {
                ws();
                String k = string();
                ws();
                expect(':');
                ws();
                m.put(k, value());
                ws();
                if (peek() == ',') { i++; continue; }
                expect('}');
                return m;
            }
        }

        List<Object> array() {
            List<Object> l = new ArrayList<>();
            i++;
            ws();
            if (peek() == ']') { i++; return l; }
            while (true) {
                ws();
                l.add(value());
                ws();
                if (peek() == ',') { i++; continue; }
                expect(']');
                return l;
            }
        }

        String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (i >= s.length()) throw error("unterminated string");
                char c = s.charAt(i++);
                if (c == '"') return sb.toString();
                if (c != '\\') { sb.append(c); continue; }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> { sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                    default -> sb.append(e);
                }
            }
        }

        Number number() {
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            String t = s.substring(start, i);
            if (t.isEmpty()) throw error("unexpected character '" + s.charAt(i) + "'");
            if (t.contains(".") || t.contains("e") || t.contains("E")) return Double.parseDouble(t);
            return Long.parseLong(t);
        }

        char peek() {
            if (i >= s.length()) throw error("unexpected end");
            return s.charAt(i);
        }

        void expect(char c) {
            if (peek() != c) throw error("expected '" + c + "'");
            i++;
        }
    }
}
