package dev.jnbdkit.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bin/jnbdkit must tell whether {@code -s} was given before the JVM starts (so that stdout can go
 * to stderr without a native call): it recognises {@code -s} inside bundles of short options that
 * take no argument. Those letters come from the option table; this test keeps the launcher's copy
 * equal to it. The code is in bin/jnbdkit-exec, the tail that bin/jnbdkit and the Debian package's
 * installed launcher share.
 */
class LauncherOptionsTest {
    @Test
    void theLaunchersShortOptionBundleMatchesTheOptionTable() throws IOException {
        Path home = Path.of(System.getProperty("jnbdkit.home", ".")).toAbsolutePath();
        String launcher = Files.readString(home.resolve("bin/jnbdkit-exec"));
        Matcher m = Pattern.compile("\\^-\\[([^\\]]*)\\]\\*s\\[([^\\]]*)\\]\\*\\$").matcher(launcher);
        assertTrue(m.find(), "the -s bundle pattern in bin/jnbdkit-exec");
        TreeSet<Character> before = chars(m.group(1));
        TreeSet<Character> after = chars(m.group(2));
        after.remove('s');
        TreeSet<Character> table = new TreeSet<>();
        for (CommandLine.Spec s : CommandLine.OPTIONS) {
            if (s.shortName() != 0 && !s.takesArgument() && s.shortName() != 's') table.add(s.shortName());
        }
        assertEquals(table, before, "letters allowed before s");
        assertEquals(table, after, "letters allowed after s");
        assertTrue(launcher.contains("-s|--single|--stdin)"), "bin/jnbdkit-exec recognises -s, --single and --stdin");
        for (CommandLine.Spec s : CommandLine.OPTIONS) {
            if (s.shortName() == 's') {
                assertTrue(s.longNames().contains("single") && s.longNames().contains("stdin"), s.longNames().toString());
            }
        }
    }

    private static TreeSet<Character> chars(String s) {
        TreeSet<Character> t = new TreeSet<>();
        for (char c : s.toCharArray()) t.add(c);
        return t;
    }
}
