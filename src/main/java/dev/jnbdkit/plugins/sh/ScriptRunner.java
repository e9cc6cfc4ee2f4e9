package dev.jnbdkit.plugins.sh;

import dev.jnbdkit.posix.ProcessCalls;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Runs one method of a script as a child process, as nbdkit's sh plugin does: the arguments are
 * the method and its parameters, {@code $tmpdir} is in the environment, stdin carries a write's
 * data (else it is empty), stdout and stderr are captured into memory. Nothing the child prints
 * can reach the server's own stdout, so with {@code -s} the NBD connection is safe.
 *
 * <p>A call waits for the script as long as it runs: a hanging script blocks the request (and,
 * under the default serialize_all_requests model, the other clients' requests) but never the
 * server's other work. {@link #killAll} ends every child still running, and its descendants, so
 * that a server shutting down does not wait for them.
 */
final class ScriptRunner {
    /** Largest stdout kept from one call; more is read and dropped so the child never blocks. */
    static final int MAX_OUTPUT = 64 << 20;

    private static final File DEV_NULL = new File("/dev/null");

    /**
     * What bin/jnbdkit tells this one server process about its own launch; a script (or a
     * server a script starts) must not inherit it. Everything else of the server's environment
     * reaches the script, as with nbdkit.
     */
    private static final List<String> LAUNCHER_ONLY = List.of(
            "JNBDKIT_PARENT_PID", "JNBDKIT_LAUNCH_TIME", "JNBDKIT_STDIO_SOCKET", "JNBDKIT_LISTEN_FD",
            "JNBDKIT_PARENT_DEATH_SIGNAL");

    /** Threads that drain stderr and feed stdin while the calling thread reads stdout. */
    private static final ExecutorService PUMPS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sh-plugin-pipe");
        t.setDaemon(true);
        return t;
    });

    /** The status of a child killed with SIGKILL. */
    private static final int KILLED = 128 + 9;

    private final Path tmpdir;
    private final Set<Process> running = ConcurrentHashMap.newKeySet();
    private volatile boolean killed;

    ScriptRunner(Path tmpdir) {
        this.tmpdir = tmpdir;
    }

    /** The raw result of one run. */
    record Completed(int status, byte[] stdout, byte[] stderr) {}

    /**
     * Runs {@code argv} (script first), feeding {@code input} (or nothing) to its stdin, and waits
     * until it exits and has closed its output. A script that cannot be started behaves like one
     * that printed {@code SCRIPT: reason} and exited 1, as a failed exec does under nbdkit.
     */
    Completed run(List<String> argv, MemorySegment input) {
        return run(argv, input, 0);
    }

    /**
     * {@link #run(List, MemorySegment)} with a limit: after {@code timeoutMillis} (0: none) the
     * child and its descendants are killed. Only for calls made while the server exits (unload),
     * which run even after {@link #killAll}.
     */
    Completed run(List<String> argv, MemorySegment input, long timeoutMillis) {
        boolean limited = timeoutMillis > 0;
        if (killed && !limited) {
            throw new PluginException(Errno.ESHUTDOWN, argv.getFirst() + ": the server is shutting down");
        }
        ProcessBuilder pb = new ProcessBuilder(argv);
        Map<String, String> env = pb.environment();
        LAUNCHER_ONLY.forEach(env::remove);
        env.put("tmpdir", tmpdir.toString());
        if (input == null) pb.redirectInput(DEV_NULL);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            byte[] perror = (argv.getFirst() + ": " + execFailure(e) + "\n").getBytes(StandardCharsets.UTF_8);
            return new Completed(1, new byte[0], perror);
        }
        running.add(p);
        if (killed && !limited) kill(p); // killAll ran while this one was starting
        if (limited) {
            PUMPS.submit(() -> {
                if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
                    Nbdkit.error(argv.getFirst() + ": " + argv.get(1) + " still running after "
                            + timeoutMillis / 1000 + " s: killed");
                    kill(p);
                }
                return null;
            });
        }
        try {
            Future<byte[]> stderr = PUMPS.submit(() -> drain(p.getErrorStream(), MAX_OUTPUT));
            Future<?> feeder = input == null ? null : PUMPS.submit(() -> feed(p.getOutputStream(), input));
            byte[] stdout = drain(p.getInputStream(), MAX_OUTPUT);
            int status = p.waitFor();
            if (killed && status == KILLED && !limited) {
                throw new PluginException(Errno.ESHUTDOWN, argv.getFirst() + ": " + argv.get(1)
                        + ": killed, the server is shutting down");
            }
            byte[] err = stderr.get();
            if (feeder != null) feeder.get();
            return new Completed(status, stdout, err);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(p);
            throw new PluginException(Errno.EIO, argv.getFirst() + ": interrupted while waiting for the script");
        } catch (IOException | java.util.concurrent.ExecutionException e) {
            kill(p);
            throw new PluginException(Errno.EIO, argv.getFirst() + ": " + e.getMessage());
        } finally {
            running.remove(p);
        }
    }

    /** True once {@link #killAll} ran: the server is going away. */
    boolean killed() { return killed; }

    /** Ends every running child and its descendants; later calls fail at once. */
    void killAll() {
        killed = true;
        for (Process p : List.copyOf(running)) kill(p);
    }

    /**
     * Kills the child and every descendant. A shell may fork between a look at its children and
     * its death, and an orphan left so would hold the script's stdout open (the drain would wait
     * for it, up to the orphan's own end): so the tree is first stopped (SIGSTOP) until no new
     * process appears in it, then killed.
     */
    private static void kill(Process p) {
        final int SIGSTOP = 19;
        Set<ProcessHandle> tree = new LinkedHashSet<>();
        tree.add(p.toHandle());
        for (int round = 0; round < 16; round++) {
            boolean grew = false;
            for (ProcessHandle h : List.copyOf(tree)) {
                try {
                    ProcessCalls.kill(h.pid(), SIGSTOP);
                } catch (ProcessCalls.PosixException e) {
                    // already gone
                }
                for (ProcessHandle d : h.descendants().toList()) grew |= tree.add(d);
            }
            if (!grew) break;
        }
        for (ProcessHandle h : tree) h.destroyForcibly(); // SIGKILL ends stopped processes too
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads to end of file, keeping at most {@code cap} bytes. */
    static byte[] drain(InputStream in, int cap) throws IOException {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            byte[] buf = new byte[64 << 10];
            int n;
            while ((n = in.read(buf)) > 0) {
                int keep = Math.min(n, cap - out.size());
                if (keep > 0) out.write(buf, 0, keep);
            }
            return out.toByteArray();
        }
    }

    /**
     * Writes a write's data to the child's stdin and closes it. A script that exits without
     * reading all of it is not an error here (its exit status decides), as with nbdkit.
     */
    private static Void feed(OutputStream stdin, MemorySegment data) {
        try (stdin) {
            byte[] chunk = new byte[(int) Math.min(data.byteSize(), 256 << 10)];
            for (long at = 0; at < data.byteSize(); at += chunk.length) {
                int n = (int) Math.min(chunk.length, data.byteSize() - at);
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, at, chunk, 0, n);
                stdin.write(chunk, 0, n);
            }
        } catch (IOException e) {
            Nbdkit.debug("script did not read all of its stdin: " + e.getMessage());
        }
        return null;
    }

    /**
     * The reason alone, as perror would print it, out of the JDK's messages: {@code Cannot run
     * program "x": error=13, Permission denied} or {@code ... Exec failed, error: 13 (Permission
     * denied)}.
     */
    static String execFailure(IOException e) {
        String m = String.valueOf(e.getMessage()).strip();
        int open = m.lastIndexOf('(');
        if (m.endsWith(")") && open >= 0 && m.contains("error: ")) return m.substring(open + 1, m.length() - 1);
        int at = m.indexOf("error=");
        if (at >= 0) {
            int comma = m.indexOf(", ", at);
            if (comma >= 0) return m.substring(comma + 2);
        }
        return m;
    }
}
