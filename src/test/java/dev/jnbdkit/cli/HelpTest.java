package dev.jnbdkit.cli;

import dev.jnbdkit.backend.PluginRegistry;
import dev.jnbdkit.log.Log;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

class HelpTest {

    static String capture(Consumer<PrintStream> f) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(b, true, StandardCharsets.UTF_8);
        f.accept(ps);
        return b.toString(StandardCharsets.UTF_8);
    }

    /** A name appears as a whole option word (not as a prefix of a longer one). */
    static boolean mentions(String text, String option) {
        return Pattern.compile("(?<![\\w-])" + Pattern.quote(option) + "(?![\\w-])").matcher(text).find();
    }

    @Test
    void helpMentionsEveryOptionTheParserAccepts() {
        String help = Help.text();
        for (CommandLine.Spec s : CommandLine.OPTIONS) {
            for (String n : s.longNames()) {
                if (s.documented()) assertTrue(mentions(help, "--" + n), "--help lacks --" + n);
                else assertFalse(mentions(help, "--" + n), "--help shows hidden --" + n);
            }
            if (s.shortName() != 0) assertTrue(mentions(help, "-" + s.shortName()), "--help lacks -" + s.shortName());
        }
    }

    @Test
    void usageMentionsEveryOptionToo() {
        String usage = Help.usage();
        for (String n : CommandLine.longOptionListing()) assertTrue(mentions(usage, n), n);
        for (String n : CommandLine.shortOptionListing()) assertTrue(mentions(usage, n), n);
        assertTrue(usage.startsWith(Log.program() + " [-4|--ipv4-only]"));
        assertTrue(usage.contains(Log.program() + " --dump-config\n"));
        assertTrue(usage.contains(Log.program() + " PLUGIN --dump-plugin\n"));
        assertTrue(usage.contains(Log.program() + " [-V|--version]\n"));
        assertTrue(usage.endsWith("Please read the nbdkit(1) manual page for full usage.\n"));
        for (String line : usage.split("\n")) assertTrue(line.length() <= 80, line);
    }

    @Test
    void helpListsBuiltinPlugins() {
        String help = Help.text();
        for (String p : PluginRegistry.builtinNames()) assertTrue(mentions(help, p), p);
        assertTrue(help.contains("--python=INTERPRETER"));
    }

    @Test
    void informationalOutputs() throws Exception {
        Options help = CommandLine.parse(new String[] {"--help"}, false, false);
        assertEquals(Help.text(), capture(out -> assertTrue(Help.printInformational(help, out))));

        Options version = CommandLine.parse(new String[] {"-V"}, false, false);
        assertEquals(VersionInfo.versionLine() + "\n", capture(out -> assertTrue(Help.printInformational(version, out))));

        Options config = CommandLine.parse(new String[] {"--dump-config"}, false, false);
        assertTrue(capture(out -> assertTrue(Help.printInformational(config, out))).contains("\nversion_major=1\n"));

        Options longs = CommandLine.parse(new String[] {"--long-options"}, false, false);
        assertEquals(String.join("\n", CommandLine.longOptionListing()) + "\n",
                capture(out -> assertTrue(Help.printInformational(longs, out))));

        Options shorts = CommandLine.parse(new String[] {"--short-options"}, false, false);
        assertTrue(capture(out -> assertTrue(Help.printInformational(shorts, out))).startsWith("-4\n-6\n-D\n"));

        for (String[] args : new String[][] {{"memory", "1G"}, {"--help", "memory"}, {"-V", "memory"}}) {
            Options o = CommandLine.parse(args, false, false);
            assertEquals("", capture(out -> assertFalse(Help.printInformational(o, out))));
        }
    }

    @Test
    void usageExceptionReport() {
        UsageException getopt = assertThrows(UsageException.class,
                () -> CommandLine.parse(new String[] {"--bogus"}, false, false));
        String[] err = new String[1];
        String out = capture(o -> err[0] = capture(e -> assertEquals(1, getopt.report(o, e))));
        assertEquals(Help.usage(), out);
        assertEquals(Log.program() + ": unrecognized option '--bogus'\n", err[0]);

        UsageException plain = assertThrows(UsageException.class,
                () -> CommandLine.parse(new String[] {"-t", "x", "m"}, false, false));
        out = capture(o -> err[0] = capture(e -> assertEquals(1, plain.report(o, e))));
        assertEquals("", out);
        assertEquals(Log.program() + ": error: threads: empty string where we expected a number\n", err[0]);
    }
}
