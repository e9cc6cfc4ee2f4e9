package dev.jnbdkit.python;

import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Choosing the interpreter: each case runs in a child JVM, since one process embeds one Python. */
class InterpreterTest {
    @TempDir Path cache;

    private String run(String python, String envPython) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path")));
        if (python != null) cmd.add("-Djnbdkit.python=" + python);
        cmd.add(InterpreterMain.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("XDG_CACHE_HOME", cache.toString());
        pb.environment().remove("JNBDKIT_PYTHON");
        if (envPython != null) pb.environment().put("JNBDKIT_PYTHON", envPython);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow(() -> new AssertionError(out))
                .substring(7);
    }

    @Test
    void defaultIsPython3OnPath() throws Exception {
        String r = run(null, null);
        String expected = new String(new ProcessBuilder("python3", "-c",
                "import sys; print(sys.version.split()[0] + '|' + sys.prefix)").start()
                .getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(r.startsWith("iiii|" + expected + "|"), r + " vs " + expected);
        assertTrue(r.endsWith("|True|[1]|True"), r);
        // second run uses the cached probe and gives the same answer
        assertEquals(r, run(null, null));
    }

    @Test
    void debianSystemPythonWithItsPackages() throws Exception {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/python3")));
        String r = run("/usr/bin/python3", null);
        assertTrue(r.startsWith("iiii|3."), r);
        assertTrue(r.contains("|/usr|nbd|"), "Debian's python3-libnbd must import: " + r);
    }

    @Test
    void environmentVariableChoosesToo() throws Exception {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/python3")));
        assertTrue(run(null, "/usr/bin/python3").contains("|/usr|nbd|"));
    }

    @Test
    void otherPyenvVersions() throws Exception {
        for (String v : new String[] {"3.10", "3.12", "3.13"}) {
            Path root = Path.of(System.getProperty("user.home"), ".pyenv", "versions");
            if (!Files.isDirectory(root)) continue;
            try (var s = Files.list(root)) {
                for (Path d : s.filter(x -> x.getFileName().toString().startsWith(v + ".")).toList()) {
                    Path py = d.resolve("bin/python3");
                    if (!Files.isExecutable(py)) continue;
                    String r = run(py.toString(), null);
                    assertTrue(r.startsWith("iiii|" + d.getFileName() + "|" + d), r);
                }
            }
        }
    }

    @Test
    void missingInterpreterIsOneClearLine() {
        PluginException e = assertThrows(PluginException.class, () -> Interpreter.discover("/nonexistent/python3"));
        assertTrue(e.getMessage().contains("cannot find the Python interpreter '/nonexistent/python3'"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void interpreterWithoutSharedLibpython() {
        String probe = "executable=/opt/py/bin/python3\nversion=3.12.0\nprefix=/opt/py\nexec_prefix=/opt/py\n"
                + "Py_ENABLE_SHARED=0\nLDLIBRARY=libpython3.12.a\nLIBDIR=/opt/py/lib\nINSTSONAME=libpython3.12.a\n";
        PluginException e = assertThrows(PluginException.class, () -> Interpreter.parse("python3", probe));
        assertTrue(e.getMessage().contains("has no shared libpython (built without --enable-shared)"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void python2IsRefused() {
        PluginException e = assertThrows(PluginException.class,
                () -> Interpreter.parse("python", "executable=/usr/bin/python2\nversion=2.7.18\n"));
        assertTrue(e.getMessage().contains("Python 3 is required"), e.getMessage());
    }
}
