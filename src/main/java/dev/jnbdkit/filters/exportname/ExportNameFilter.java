package dev.jnbdkit.filters.exportname;

import dev.jnbdkit.filters.FilterArgs;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * nbdkit-exportname-filter: changes the export list a client sees ({@code exportname-list}),
 * the default export ({@code default-export}), which names may be opened
 * ({@code exportname-strict} with {@code exportname=}), and export descriptions
 * ({@code exportdesc}).
 */
public final class ExportNameFilter implements Filter {
    enum ListMode { KEEP, ERROR, EMPTY, DEFAULTONLY, EXPLICIT }

    private String defaultExport;
    private ListMode list = ListMode.KEEP;
    private boolean strict;
    private final List<String> exports = new ArrayList<>();
    /** keep, none, or fixed:/script: with its text. */
    private String descMode = "keep";
    private String descText;

    @Override public String name() { return "exportname"; }

    @Override public String longname() { return "nbdkit exportname filter"; }

    @Override
    public String configHelp() {
        return """
                default-export=<NAME>     Canonical name for the "" default export.
                exportname-list=<MODE>    Which exports to advertise: keep (default), error,
                                          empty, defaultonly, explicit.
                exportname-strict=<BOOL>  Limit clients to explicit exports (default false).
                exportname=<NAME>         Add an explicit export name, may be repeated.
                exportdesc=<MODE>         Set descriptions according to mode: keep (default),
                                          none, fixed:STRING, script:SCRIPT.""";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "default-export", "default_export" -> defaultExport = value;
            case "exportname-list", "exportname_list" -> list = switch (value) {
                case "keep" -> ListMode.KEEP;
                case "error" -> ListMode.ERROR;
                case "empty" -> ListMode.EMPTY;
                case "defaultonly", "default-only" -> ListMode.DEFAULTONLY;
                case "explicit" -> ListMode.EXPLICIT;
                default -> throw FilterArgs.bad("unrecognized exportname-list mode: " + value);
            };
            case "exportname-strict", "exportname_strict" -> strict = Sizes.parseBool(value);
            case "exportname" -> exports.add(value);
            case "exportdesc" -> {
                if (value.equals("keep") || value.equals("none")) {
                    descMode = value;
                    descText = null;
                } else if (value.startsWith("fixed:")) {
                    descMode = "fixed";
                    descText = value.substring(6);
                } else if (value.startsWith("script:")) {
                    descMode = "script";
                    descText = value.substring(7);
                } else {
                    throw FilterArgs.bad("unrecognized exportdesc mode: " + value);
                }
            }
            default -> next.config(key, value);
        }
    }

    /** The description to show for {@code name}, given the next layer's ({@code plugin}, maybe null). */
    private String description(String name, String plugin) {
        return switch (descMode) {
            case "keep" -> plugin;
            case "none" -> null;
            case "fixed" -> descText;
            default -> runScript(name);
        };
    }

    private String runScript(String name) {
        try {
            Process p = new ProcessBuilder("/bin/sh", "-c", "name=" + shellQuote(name) + "\n" + descText)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = p.waitFor();
            if (status != 0) {
                dev.jnbdkit.spi.Nbdkit.error("exportdesc: script failed with status " + status);
                return null;
            }
            return out.endsWith("\n") ? out.substring(0, out.length() - 1) : out;
        } catch (IOException e) {
            dev.jnbdkit.spi.Nbdkit.error("exportdesc: cannot run script: " + e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String shellQuote(String s) { return "'" + s.replace("'", "'\\''") + "'"; }

    @Override
    public List<Export> listExports(NextBackend next, boolean readonly, boolean isTls) {
        List<Export> source;
        switch (list) {
            case KEEP -> {
                source = next.listExports(readonly, isTls);
                if (source == null) {
                    String def = next.defaultExport(readonly, isTls);
                    source = def == null ? List.of() : List.of(Export.named(def));
                }
            }
            case ERROR -> throw new PluginException(Errno.EINVAL, "export list restricted by policy");
            case EMPTY -> { return List.of(); }
            case DEFAULTONLY -> {
                String def = defaultExport(next, readonly, isTls);
                return def == null ? List.of() : List.of(Export.named(def));
            }
            default -> {
                source = new ArrayList<>();
                for (String e : exports) source.add(Export.named(e));
            }
        }
        List<Export> out = new ArrayList<>();
        for (Export e : source) out.add(new Export(e.name(), description(e.name(), e.description())));
        return out;
    }

    @Override
    public String defaultExport(NextBackend next, boolean readonly, boolean isTls) {
        // Strict: "" is only the default export if it was listed explicitly.
        if (strict) {
            if (exports.contains("")) return "";
            dev.jnbdkit.spi.Nbdkit.error("default export (\"\") not permitted");
            return null;
        }
        if (defaultExport != null && !defaultExport.isEmpty()) return defaultExport;
        return next.defaultExport(readonly, isTls);
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        String name = request.exportName();
        if (strict && !exports.contains(name)) {
            throw new PluginException(Errno.ENOENT, "export '" + name + "' not found");
        }
        context.open(request.readonly(), name);
        return new FilterHandle() {
            @Override
            public String exportDescription(Next next) {
                String plugin = descMode.equals("keep") ? next.exportDescription() : null;
                return description(name, plugin);
            }
        };
    }
}
