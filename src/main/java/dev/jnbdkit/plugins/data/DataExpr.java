package dev.jnbdkit.plugins.data;

import java.util.List;

/**
 * One field of the data plugin's format (nbdkit-data-plugin(1), "DATA FORMAT"), as parsed.
 * {@link DataParser} produces them; {@link DataEvaluator} turns a list of them into an
 * {@link Image}. Offsets and counts are already checked to be non-negative.
 */
sealed interface DataExpr {
    /** Bytes written at the current offset: a BYTE, a {@code "string"} or a {@code le32:}-style word. */
    record Literal(byte[] bytes) implements DataExpr {}

    /** {@code @OFFSET}: move to an absolute offset (relative to the enclosing scope). */
    record SetOffset(long offset) implements DataExpr {}

    /** {@code @+N} / {@code @-N}: move by {@code delta}. */
    record MoveBy(long delta) implements DataExpr {}

    /** {@code @^N}: move forward to the next multiple of {@code alignment} (a power of 2). */
    record Align(long alignment) implements DataExpr {}

    /** {@code <FILE}: the file's contents. */
    record File(String path) implements DataExpr {}

    /** {@code <(SCRIPT)}: the output of {@code /bin/sh -c SCRIPT}. */
    record Script(String script) implements DataExpr {}

    /** {@code ( ... )}: a nested scope whose offsets start at 0. */
    record Group(List<DataExpr> body) implements DataExpr {}

    /** {@code expr * N}. */
    record Repeat(DataExpr expr, long times) implements DataExpr {}

    /** {@code expr[start:end]}; null for an omitted bound. */
    record Slice(DataExpr expr, Long start, Long end) implements DataExpr {}

    /** {@code expr -> \NAME}: binds the name in the current scope; writes nothing. */
    record Assign(DataExpr expr, String name) implements DataExpr {}

    /** {@code \NAME}: the value bound to the name in this scope or an enclosing one. */
    record NameRef(String name) implements DataExpr {}

    /** {@code $VAR}: a parameter or environment variable, itself parsed as data, in a nested scope. */
    record Variable(String name) implements DataExpr {}

    /** True for the fields that produce a value a postfix operator can apply to. */
    static boolean isExpression(DataExpr e) {
        return !(e instanceof SetOffset || e instanceof MoveBy || e instanceof Align || e instanceof Assign);
    }
}
