package dev.jnbdkit.plugins.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates parsed data fields into an {@link Image}. Files, scripts and variables come from a
 * {@link Sources}, so tests can evaluate without touching the system.
 */
public final class DataEvaluator {
    /** Where {@code <FILE}, {@code <(SCRIPT)} and {@code $VAR} get their contents. */
    public interface Sources {
        /** At most {@code limit} bytes (all if negative) of the file. */
        byte[] file(String path, long limit);

        /** At most {@code limit} bytes (all if negative) of the script's standard output. */
        byte[] script(String script, long limit);

        /** The text of a parameter or environment variable, or null. */
        String variable(String name);
    }

    private final Sources sources;
    private int variableDepth;

    public DataEvaluator(Sources sources) { this.sources = sources; }

    /** Parse and evaluate {@code text}, the top-level scope. */
    public Image evaluate(String text) {
        return sequence(DataParser.parse(text), new Scope(null));
    }

    /**
     * Names bound by {@code -> \NAME}; a nested scope sees its parents' names. A binding is
     * evaluated when first used (in the scope it was made in), so an unused name that could not
     * be evaluated is no error, as with nbdkit.
     */
    private final class Scope {
        private final Scope parent;
        private final Map<String, Binding> names = new HashMap<>();

        Scope(Scope parent) { this.parent = parent; }

        void bind(String name, DataExpr expr) { names.put(name, new Binding(expr, this)); }

        Image lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                Binding b = s.names.get(name);
                if (b != null) return b.value();
            }
            return null;
        }
    }

    private final class Binding {
        private final DataExpr expr;
        private final Scope scope;
        private Image value;
        private boolean evaluating;

        Binding(DataExpr expr, Scope scope) {
            this.expr = expr;
            this.scope = scope;
        }

        Image value() {
            if (value == null) {
                if (evaluating) throw DataParser.error("data parameter: a name is defined in terms of itself");
                evaluating = true;
                try {
                    value = DataEvaluator.this.value(expr, scope);
                } finally {
                    evaluating = false;
                }
            }
            return value;
        }
    }

    private Image sequence(List<DataExpr> fields, Scope scope) {
        long offset = 0;
        long size = 0;
        List<Image.Piece> out = new ArrayList<>();
        java.io.ByteArrayOutputStream run = null;
        long runStart = 0;
        for (DataExpr e : fields) {
            if (run != null && !(e instanceof DataExpr.Literal)) {
                out.add(new Image.Piece(runStart, new Image.Bytes(run.toByteArray())));
                run = null;
            }
            switch (e) {
                case DataExpr.SetOffset(long o) -> offset = o;
                case DataExpr.MoveBy(long d) -> {
                    if (d < 0 && -d > offset) {
                        throw DataParser.error("data parameter @" + d + " must not be larger than the current offset " + offset);
                    }
                    offset = add(offset, d);
                }
                case DataExpr.Align(long a) -> {
                    long rem = offset & (a - 1);
                    if (rem != 0) offset = add(offset, a - rem);
                }
                case DataExpr.Assign(DataExpr value, String name) -> scope.bind(name, value);
                case DataExpr.Literal(byte[] b) -> {
                    // Neighbouring literals are one run of bytes (so "0 0" is a run of zeros).
                    if (run == null) {
                        run = new java.io.ByteArrayOutputStream();
                        runStart = offset;
                    }
                    run.writeBytes(b);
                    offset = add(offset, b.length);
                }
                default -> {
                    Image img = value(e, scope);
                    long end = add(offset, img.size());
                    for (Image.Piece p : img.pieces()) out.add(new Image.Piece(offset + p.offset(), p.content()));
                    offset = end;
                }
            }
            size = Math.max(size, offset);
        }
        if (run != null) out.add(new Image.Piece(runStart, new Image.Bytes(run.toByteArray())));
        return new Image(size, out);
    }

    private static long add(long a, long b) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException ex) {
            throw DataParser.error("data parameter: the disk would be larger than 2⁶³-1 bytes");
        }
    }

    private Image value(DataExpr e, Scope scope) {
        return switch (e) {
            case DataExpr.Literal(byte[] b) -> Image.of(b);
            case DataExpr.Group(List<DataExpr> body) -> sequence(body, new Scope(scope));
            case DataExpr.Repeat(DataExpr inner, long n) -> value(inner, scope).repeat(n);
            case DataExpr.Slice(DataExpr inner, Long start, Long end) -> {
                // Read only what the slice needs: a script may write for ever (<(yes)[:512]).
                Image img = switch (inner) {
                    case DataExpr.File(String path) -> Image.of(sources.file(path, end == null ? -1 : end));
                    case DataExpr.Script(String script) -> Image.of(sources.script(script, end == null ? -1 : end));
                    default -> value(inner, scope);
                };
                yield img.slice(start == null ? 0 : start, end == null ? img.size() : end);
            }
            case DataExpr.File(String path) -> Image.of(sources.file(path, -1));
            case DataExpr.Script(String script) -> Image.of(sources.script(script, -1));
            case DataExpr.NameRef(String name) -> {
                Image v = scope.lookup(name);
                if (v == null) throw DataParser.error("\\" + name + " not defined");
                yield v;
            }
            case DataExpr.Variable(String name) -> {
                String text = sources.variable(name);
                if (text == null) throw DataParser.error("$" + name + ": variable not found");
                if (variableDepth >= DataParser.MAX_DEPTH) {
                    throw DataParser.error("$" + name + ": variables nested more than " + DataParser.MAX_DEPTH + " deep");
                }
                variableDepth++;
                try {
                    yield sequence(DataParser.parse(text), new Scope(scope));
                } finally {
                    variableDepth--;
                }
            }
            case DataExpr.SetOffset o -> throw new IllegalStateException("not a value: " + o);
            case DataExpr.MoveBy o -> throw new IllegalStateException("not a value: " + o);
            case DataExpr.Align o -> throw new IllegalStateException("not a value: " + o);
            case DataExpr.Assign o -> throw new IllegalStateException("not a value: " + o);
        };
    }
}
