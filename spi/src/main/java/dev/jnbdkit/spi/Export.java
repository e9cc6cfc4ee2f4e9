package dev.jnbdkit.spi;

/** One entry of an export list: a name and an optional description (null for none). */
public record Export(String name, String description) {
    public Export {
        if (name == null) throw new IllegalArgumentException("export name is null");
    }

    public static Export named(String name) { return new Export(name, null); }
}
