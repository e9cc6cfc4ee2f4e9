package dev.jnbdkit.python;

import dev.jnbdkit.it.Clients;
import dev.jnbdkit.it.Cmd;
import dev.jnbdkit.it.Cmd.Result;
import dev.jnbdkit.it.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The python plugin as users start it through bin/jnbdkit: a shebang script, and the
 * interpreter of a virtualenv (chosen with --python, or by activating it), whose own packages
 * must import. Each case is checked through a real client in the server's --run command.
 */
class LauncherPythonIT {
    private static final Path HOME = Server.home();
    private static final String SIZE_CLIENT = "nbdinfo --size \"$uri\"";

    @TempDir Path tmp;

    private static Result run(List<String> cmd, Map<String, String> env) throws Exception {
        Cmd c = Cmd.of(cmd).inheritPath().mergeOutput().dir(HOME);
        env.forEach(c::env);
        return c.run();
    }

    @Test
    void shebangScriptRunsThroughTheLauncher() throws Exception {
        Path script = tmp.resolve("disk.py");
        Files.writeString(script, "#!" + HOME.resolve("bin/jnbdkit") + " python\n" + """
                API_VERSION = 2
                def open(readonly): return 1
                def get_size(h): return 1048576
                def pread(h, buf, offset, flags): buf[:] = b'S' * len(buf)
                """);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        String client = "/usr/bin/python3 -c \"import nbd, os; h = nbd.NBD(); "
                + "h.connect_uri(os.environ['uri']); print(h.get_size(), bytes(h.pread(4, 0)))\"";
        // The kernel runs: bin/jnbdkit python ./disk.py -U - --run ...
        Result r = run(List.of(script.toString(), "-U", "-", "--run", client), Map.of());
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("1048576 b'SSSS'"), r.out());
    }

    /** A virtualenv (of the python3 on PATH) holding a module the base interpreter does not have. */
    private Path virtualenv() throws Exception {
        Path venv = tmp.resolve("venv");
        Result made = run(List.of("python3", "-m", "venv", "--without-pip", venv.toString()), Map.of());
        assertEquals(0, made.exit(), made.out());
        Result site = run(List.of(venv.resolve("bin/python").toString(), "-c",
                "import site; print(site.getsitepackages()[0])"), Map.of());
        assertEquals(0, site.exit(), site.out());
        Path sitePackages = Path.of(site.out().strip());
        Files.writeString(sitePackages.resolve("venvonly.py"), "SIZE = 12345 * 512\n");
        return venv;
    }

    private Path pluginImportingVenvModule() throws Exception {
        Path script = tmp.resolve("venvdisk.py");
        Files.writeString(script, """
                import venvonly
                API_VERSION = 2
                def open(readonly): return 1
                def get_size(h): return venvonly.SIZE
                def pread(h, buf, offset, flags): buf[:] = bytes(len(buf))
                """);
        return script;
    }

    private static List<String> server(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Server.program());
        cmd.add("-U");
        cmd.add("-");
        cmd.addAll(List.of(args));
        cmd.add("--run");
        cmd.add(SIZE_CLIENT);
        return cmd;
    }

    @Test
    void virtualenvChosenWithPythonOption() throws Exception {
        Path venv = virtualenv();
        Path script = pluginImportingVenvModule();
        Result r = run(server("--python=" + venv.resolve("bin/python"), "python", script.toString()), Map.of());
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains(Long.toString(12345L * 512)), r.out());

        // Control: the base interpreter does not have the module, so the same script fails to load.
        Result base = run(server("python", script.toString()), Map.of());
        assertNotEquals(0, base.exit(), base.out());
        assertTrue(base.out().contains("venvonly"), base.out());
    }

    @Test
    void activatedVirtualenvIsTheDefault() throws Exception {
        Path venv = virtualenv();
        Path script = pluginImportingVenvModule();
        String path = venv.resolve("bin") + ":" + System.getenv("PATH");
        Result r = run(server("python", script.toString()), Map.of("PATH", path, "VIRTUAL_ENV", venv.toString()));
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains(Long.toString(12345L * 512)), r.out());
    }
}
