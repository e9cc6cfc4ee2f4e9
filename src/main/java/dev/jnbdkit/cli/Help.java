package dev.jnbdkit.cli;

import dev.jnbdkit.backend.PluginRegistry;
import dev.jnbdkit.log.Log;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code --help} text and the usage synopsis printed after a command-line error, both generated
 * from {@link CommandLine#OPTIONS} so they always list what the parser accepts. Both go to standard
 * output, as nbdkit's do.
 */
public final class Help {
    private Help() {}

    private static final int WIDTH = 72;

    /** The synopsis: every documented option with all its names, then the informational forms. */
    public static String usage() {
        String p = Log.program();
        String indent = " ".repeat(p.length() + 1);
        List<String> items = new ArrayList<>();
        for (CommandLine.Spec s : CommandLine.OPTIONS) if (s.documented()) items.add("[" + synopsis(s) + "]");
        items.add("PLUGIN [[KEY=]VALUE [KEY=VALUE [...]]]");

        StringBuilder sb = new StringBuilder();
        StringBuilder line = new StringBuilder(p);
        for (String item : items) {
            if (line.length() + 1 + item.length() > WIDTH && line.length() > indent.length()) {
                sb.append(line).append('\n');
                line = new StringBuilder(indent);
            } else {
                line.append(' ');
            }
            line.append(item);
        }
        sb.append(line).append("\n\n");
        sb.append(p).append(" --dump-config\n\n");
        sb.append(p).append(" PLUGIN --dump-plugin\n\n");
        sb.append(p).append(" --help\n\n");
        sb.append(p).append(" [-V|--version]\n\n");
        sb.append("Please read the nbdkit(1) manual page for full usage.\n");
        return sb.toString();
    }

    /** {@code -x|--long|--alias ARG}, as one synopsis item without brackets. */
    static String synopsis(CommandLine.Spec s) {
        StringBuilder sb = new StringBuilder();
        if (s.shortName() != 0) sb.append('-').append(s.shortName()).append('|');
        sb.append(String.join("|", s.longNames().stream().map(n -> "--" + n).toList()));
        if (s.takesArgument()) sb.append(s.longNames().size() == 1 && s.shortName() == 0 ? "=" : " ").append(s.argName());
        return sb.toString();
    }

    /** The full {@code --help} text (without any plugin's own help, which Main appends). */
    public static String text() {
        StringBuilder sb = new StringBuilder(usage());
        sb.append("\nOptions:\n");
        for (CommandLine.Spec s : CommandLine.OPTIONS) {
            if (!s.documented()) continue;
            String names = synopsis(s);
            if (names.length() <= 30) {
                sb.append("  ").append(String.format("%-30s", names)).append(' ').append(s.help()).append('\n');
            } else {
                sb.append("  ").append(names).append('\n');
                sb.append(" ".repeat(33)).append(s.help()).append('\n');
            }
        }
        sb.append("\nBuilt-in plugins: ").append(String.join(", ", PluginRegistry.builtinNames())).append('\n');
        sb.append("A plugin may also be given as the path to a plugin jar.\n");
        sb.append("Built-in filters: ").append(String.join(", ", PluginRegistry.filterNames())).append('\n');
        sb.append("A filter may also be given as the path to a filter jar (--filter=./x.jar).\n");
        sb.append("For the parameters of one plugin: ").append(Log.program()).append(" PLUGIN --help\n");
        return sb.toString();
    }

    /** Prints {@link #usage()} (after a command-line error). */
    public static void printUsage(PrintStream out) {
        out.print(usage());
        out.flush();
    }

    /** Prints {@link #text()} (for {@code --help}). */
    public static void print(PrintStream out) {
        out.print(text());
        out.flush();
    }

    /**
     * Prints what needs no plugin and returns true when the program should now exit with status 0:
     * {@code --dump-config}, {@code --long-options}, {@code --short-options}, and {@code --help} or
     * {@code --version} without a plugin. Returns false (printing nothing) otherwise; with a plugin,
     * {@code --help} and {@code --version} are Main's to finish (plugin help, plugin version line).
     */
    public static boolean printInformational(Options o, PrintStream out) {
        if (o.info().dumpConfig()) {
            VersionInfo.printConfig(out);
        } else if (o.info().longOptions()) {
            CommandLine.longOptionListing().forEach(out::println);
        } else if (o.info().shortOptions()) {
            CommandLine.shortOptionListing().forEach(out::println);
        } else if (o.plugin() == null && o.info().help()) {
            print(out);
        } else if (o.plugin() == null && o.info().version()) {
            VersionInfo.printVersion(out);
        } else {
            return false;
        }
        out.flush();
        return true;
    }
}
