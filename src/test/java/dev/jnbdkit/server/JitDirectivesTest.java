package dev.jnbdkit.server;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bin/jit-directives.json keeps the request path at C1 (see the file's comment). What can go
 * wrong silently: HotSpot refuses the file (its parser is strict: the JVM then does not start),
 * it prints to stdout (with -s that is the NBD connection), a package is renamed and its pattern
 * matches nothing any more, or a pattern grows over code that computes on the data and needs C2.
 */
class JitDirectivesTest {
    private static final Path HOME = Path.of(System.getProperty("jnbdkit.home", ".")).toAbsolutePath();
    private static final Path DIRECTIVES = HOME.resolve("bin/jit-directives.json");

    /** The class patterns of the file's match lists ("pkg/Class*.*" as HotSpot writes them). */
    private static List<String> classPatterns() throws IOException {
        String text = Files.readString(DIRECTIVES);
        Matcher list = Pattern.compile("match:\\s*\\[([^\\]]*)\\]").matcher(text);
        List<String> out = new ArrayList<>();
        while (list.find()) {
            Matcher q = Pattern.compile("\"([^\"]+)\"").matcher(list.group(1));
            while (q.find()) {
                String p = q.group(1);
                assertTrue(p.endsWith(".*"), "a pattern for every method of its classes: " + p);
                out.add(p.substring(0, p.length() - 2));
            }
        }
        assertFalse(out.isEmpty(), "match patterns in " + DIRECTIVES);
        return out;
    }

    /** HotSpot's class pattern: a leading or trailing * matches any characters (here: trailing). */
    private static boolean matches(String pattern, String internalName) {
        return pattern.endsWith("*")
                ? internalName.startsWith(pattern.substring(0, pattern.length() - 1))
                : internalName.equals(pattern);
    }

    private static List<String> ourClasses() throws IOException {
        Path classes = HOME.resolve("target/classes");
        try (Stream<Path> s = Files.walk(classes)) {
            return s.filter(p -> p.toString().endsWith(".class"))
                    .map(p -> classes.relativize(p).toString().replace('\\', '/').replaceAll("\\.class$", ""))
                    .toList();
        }
    }

    @Test
    void theJvmAcceptsTheFileWithTheLaunchersOptionsAndPrintsNothingOnStdout() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "@" + HOME.resolve("bin/jvm.options"),
                "-XX:CompilerDirectivesFile=" + DIRECTIVES, "-version")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "java -version finished");
        assertEquals(0, p.exitValue(), "the JVM starts with the directives");
        assertEquals("", stdout, "nothing on stdout (it is the NBD connection with -s)");
    }

    @Test
    void everyPatternOfOursMatchesAClass() throws IOException {
        List<String> classes = ourClasses();
        for (String pattern : classPatterns()) {
            if (!pattern.startsWith("dev/jnbdkit/")) continue;
            assertTrue(classes.stream().anyMatch(c -> matches(pattern, c)), "no class matches " + pattern);
        }
    }

    @Test
    void theRequestPathIsMatchedAndCodeThatComputesOnTheDataIsNot() throws IOException {
        List<String> patterns = classPatterns();
        for (String c : List.of("dev/jnbdkit/server/Transmission", "dev/jnbdkit/server/ReplyWriter",
                "dev/jnbdkit/server/RequestReader", "dev/jnbdkit/backend/Context", "dev/jnbdkit/backend/BufferPool",
                "dev/jnbdkit/protocol/RequestDecoder", "dev/jnbdkit/posix/FileCalls", "sun/nio/ch/IOUtil")) {
            assertTrue(patterns.stream().anyMatch(p -> matches(p, c)), c + " stays at C1");
        }
        for (String c : ourClasses()) {
            boolean computes = c.startsWith("dev/jnbdkit/plugins/pattern/") || c.startsWith("dev/jnbdkit/plugins/memory/")
                    || c.startsWith("dev/jnbdkit/filters/luks/") || c.startsWith("dev/jnbdkit/filters/xz/")
                    || c.startsWith("dev/jnbdkit/python/");
            if (computes) assertFalse(patterns.stream().anyMatch(p -> matches(p, c)), c + " keeps C2");
        }
    }

    @Test
    void everyLauncherPassesTheFileAndThePackageInstallsIt() throws IOException {
        String exec = Files.readString(HOME.resolve("bin/jnbdkit-exec"));
        assertTrue(exec.contains("-XX:CompilerDirectivesFile=\"${jvm_options%/*}/jit-directives.json\""),
                "bin/jnbdkit-exec passes the file next to jvm.options");
        String pkg = Files.readString(HOME.resolve("bin/package"));
        assertTrue(Pattern.compile("install -m 644 [^\\n]*bin/jit-directives\\.json").matcher(pkg).find(),
                "bin/package installs bin/jit-directives.json next to jvm.options");
        assertTrue(Files.readAllLines(HOME.resolve("bin/jvm.options")).contains("-XX:-DisplayVMOutput"),
                "jvm.options keeps the JVM's announcements off stdout");
    }
}
