package dev.jnbdkit.python;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Python interpreter whose libpython jnbdkit embeds, and what it told us about itself.
 *
 * <p>Chosen, in order: the system property {@code jnbdkit.python} (the server sets it from
 * {@code --python=INTERP}), the environment variable {@code JNBDKIT_PYTHON}, else {@code python3}
 * found on {@code PATH} (so an activated virtualenv wins).
 *
 * <p>The interpreter is asked once, in a subprocess, for its version, prefix, shared libpython and
 * {@code sys.path}. That costs 15–40 ms for a real interpreter and ~100 ms through a pyenv shim, so
 * the answer is cached under {@code $XDG_CACHE_HOME/jnbdkit/} keyed by everything that could change
 * it (the command, the file it resolves to and its mtime, the virtualenv/pyenv/conda environment
 * variables, pyenv's version files). {@code -Djnbdkit.python.cache=false} disables the cache.
 *
 * @param command    what was asked for ({@code python3}, a path...)
 * @param executable {@code sys.executable}: the real interpreter (given to Py_SetProgramName)
 * @param version    {@code 3.11.7}
 * @param prefix     {@code sys.prefix}
 * @param execPrefix {@code sys.exec_prefix}
 * @param libpython  absolute path of the shared libpython to load
 * @param path       the interpreter's {@code sys.path} (without the script-directory entry)
 */
record Interpreter(String command, String executable, String version, String prefix, String execPrefix,
                   String libpython, List<String> path) {

    static final String PROBE = String.join("\n",
            "import sys, sysconfig",
            "g = lambda k: str(sysconfig.get_config_var(k) or '')",
            "print('executable=' + sys.executable)",
            "print('version=%d.%d.%d' % sys.version_info[:3])",
            "print('prefix=' + sys.prefix)",
            "print('exec_prefix=' + sys.exec_prefix)",
            "for k in ('Py_ENABLE_SHARED', 'LDLIBRARY', 'LIBDIR', 'INSTSONAME', 'MULTIARCH', 'LIBPL'):",
            "    print(k + '=' + g(k))",
            "for p in sys.path[1:]:",
            "    print('path=' + p)",
            "");

    /** The interpreter command the user chose. */
    static String chosenCommand() {
        String p = System.getProperty("jnbdkit.python");
        if (p != null && !p.isBlank()) return p;
        p = System.getenv("JNBDKIT_PYTHON");
        if (p != null && !p.isBlank()) return p;
        return "python3";
    }

    /** Find and describe the chosen interpreter; PluginException with one clear line on failure. */
    static Interpreter discover() {
        return discover(chosenCommand());
    }

    static Interpreter discover(String command) {
        long t0 = System.nanoTime();
        Path resolved = resolve(command);
        if (resolved == null) {
            throw new PluginException("python: cannot find the Python interpreter '" + command
                    + "' (choose one with --python=INTERP or JNBDKIT_PYTHON)");
        }
        boolean useCache = !"false".equals(System.getProperty("jnbdkit.python.cache"));
        Path cacheFile = useCache ? cacheFile(command, resolved) : null;
        if (cacheFile != null) {
            Interpreter cached = readCache(command, cacheFile);
            if (cached != null) {
                Log.debug("python: interpreter " + cached.executable + " (cached probe, "
                        + (System.nanoTime() - t0) / 1000 + " µs)");
                return cached;
            }
        }
        String out = runProbe(command, resolved);
        Interpreter in = parse(command, out);
        Log.debug("python: interpreter " + in.executable + " probed in "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
        if (cacheFile != null) writeCache(cacheFile, out);
        return in;
    }

    private static String runProbe(String command, Path resolved) {
        ProcessBuilder pb = new ProcessBuilder(resolved.toString(), "-c", PROBE);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.redirectInput(ProcessBuilder.Redirect.PIPE);
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] bytes;
            try (InputStream in = p.getInputStream()) {
                bytes = in.readAllBytes();
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new PluginException("python: " + command + ": the interpreter did not answer");
            }
            if (p.exitValue() != 0) {
                throw new PluginException("python: " + command + " (" + resolved
                        + ") failed with exit status " + p.exitValue() + "; is it a Python 3 interpreter?");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PluginException("python: cannot run " + command + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PluginException("python: interrupted while asking " + command + " about itself");
        }
    }

    static Interpreter parse(String command, String out) {
        String executable = null, version = null, prefix = null, execPrefix = null;
        String shared = "", ldlibrary = "", libdir = "", soname = "", multiarch = "", libpl = "";
        List<String> path = new ArrayList<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq < 0) continue;
            String k = line.substring(0, eq), v = line.substring(eq + 1);
            switch (k) {
                case "executable" -> executable = v;
                case "version" -> version = v;
                case "prefix" -> prefix = v;
                case "exec_prefix" -> execPrefix = v;
                case "Py_ENABLE_SHARED" -> shared = v;
                case "LDLIBRARY" -> ldlibrary = v;
                case "LIBDIR" -> libdir = v;
                case "INSTSONAME" -> soname = v;
                case "MULTIARCH" -> multiarch = v;
                case "LIBPL" -> libpl = v;
                case "path" -> path.add(v);
                default -> { }
            }
        }
        if (executable == null || version == null) {
            throw new PluginException("python: " + command + " did not describe itself; is it a Python 3 interpreter?");
        }
        if (!version.startsWith("3.")) {
            throw new PluginException("python: " + command + " is Python " + version + "; Python 3 is required");
        }
        List<Path> candidates = new ArrayList<>();
        for (String name : new String[] {soname, ldlibrary}) {
            if (name.isEmpty() || !name.contains(".so")) continue;
            if (!libdir.isEmpty()) {
                candidates.add(Path.of(libdir, name));
                if (!multiarch.isEmpty()) candidates.add(Path.of(libdir, multiarch, name));
            }
            if (!libpl.isEmpty()) candidates.add(Path.of(libpl, name));
        }
        String lib = null;
        for (Path c : candidates) {
            if (Files.isRegularFile(c)) {
                lib = c.toString();
                break;
            }
        }
        if (lib == null) {
            throw new PluginException("python: " + command + " (" + executable + ", Python " + version
                    + ") has no shared libpython" + ("1".equals(shared) ? " installed" : " (built without --enable-shared)")
                    + "; choose another interpreter with --python=INTERP or JNBDKIT_PYTHON");
        }
        return new Interpreter(command, executable, version, prefix, execPrefix, lib, List.copyOf(path));
    }

    /** PATH lookup, as a shell would; a command with a slash is taken as a path. */
    static Path resolve(String command) {
        if (command.contains("/")) {
            Path p = Path.of(command);
            return Files.isExecutable(p) ? p.toAbsolutePath() : null;
        }
        String pathEnv = System.getenv("PATH");
        if (pathEnv == null) pathEnv = "/usr/local/bin:/usr/bin:/bin";
        for (String dir : pathEnv.split(":")) {
            if (dir.isEmpty()) dir = ".";
            Path p = Path.of(dir, command);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p.toAbsolutePath();
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------
    // Cache

    private static Path cacheFile(String command, Path resolved) {
        try {
            StringBuilder key = new StringBuilder("v1\n").append(command).append('\n');
            key.append(resolved).append('\n').append(stamp(resolved)).append('\n');
            Path real = resolved.toRealPath();
            key.append(real).append('\n').append(stamp(real)).append('\n');
            for (String env : new String[] {"VIRTUAL_ENV", "PYENV_VERSION", "PYENV_ROOT", "CONDA_PREFIX",
                    "PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONNOUSERSITE", "HOME"}) {
                key.append(env).append('=').append(System.getenv(env)).append('\n');
            }
            // A pyenv shim answers according to pyenv's version files.
            if (resolved.getParent() != null && resolved.getParent().getFileName() != null
                    && resolved.getParent().getFileName().toString().equals("shims")) {
                Path root = resolved.getParent().getParent();
                appendFile(key, root.resolve("version"));
                for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
                    Path v = d.resolve(".python-version");
                    if (Files.exists(v)) {
                        appendFile(key, v);
                        break;
                    }
                }
            }
            // FNV-1a, 64 bits: a cache name, not a security boundary (and no JCA provider start-up).
            long hash = 0xcbf29ce484222325L;
            for (byte b : key.toString().getBytes(StandardCharsets.UTF_8)) {
                hash = (hash ^ (b & 0xff)) * 0x100000001b3L;
            }
            String base = System.getenv("XDG_CACHE_HOME");
            Path dir = base != null && !base.isEmpty() ? Path.of(base)
                    : Path.of(System.getProperty("user.home"), ".cache");
            return dir.resolve("jnbdkit").resolve("python-" + Long.toHexString(hash));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String stamp(Path p) throws IOException {
        return Files.getLastModifiedTime(p).toMillis() + ":" + Files.size(p);
    }

    private static void appendFile(StringBuilder key, Path f) {
        key.append(f).append('\n');
        try {
            key.append(Files.readString(f)).append('\n');
        } catch (IOException | RuntimeException e) {
            key.append("-\n");
        }
    }

    private static Interpreter readCache(String command, Path file) {
        try {
            if (!Files.isRegularFile(file)) return null;
            Interpreter in = parse(command, Files.readString(file));
            // Still there? (A removed or rebuilt Python invalidates the answer.)
            if (!Files.isRegularFile(Path.of(in.libpython)) || !Files.exists(Path.of(in.executable))) return null;
            return in;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void writeCache(Path file, String out) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            Files.writeString(tmp, out);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Log.debug("python: cannot write the interpreter cache " + file + ": " + e.getMessage());
        }
    }
}
