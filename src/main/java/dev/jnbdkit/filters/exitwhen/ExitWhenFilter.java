package dev.jnbdkit.filters.exitwhen;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.Numbers;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * nbdkit-exitwhen-filter: once one of the configured events happens, refuse new connections and
 * shut the server down when the last open connection closes. Events are checked when a client
 * arrives or leaves, and every {@code exit-when-poll} seconds while no client is connected.
 */
public final class ExitWhenFilter implements Filter {
    private final List<Event> events = new ArrayList<>();
    private long pollSeconds = 60;
    /** Open connections; guarded by {@code this}, as is {@link #exiting}. */
    private int connections;
    private boolean exiting;

    @Override public String name() { return "exitwhen"; }

    @Override public String longname() { return "nbdkit exitwhen filter"; }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "exit-when-file-created" -> events.add(new Event.FileCreated(Path.of(value).toAbsolutePath()));
            case "exit-when-file-deleted" -> events.add(new Event.FileDeleted(Path.of(value).toAbsolutePath()));
            case "exit-when-pipe-closed" -> {
                int fd = (int) Numbers.parseUnsigned("exit-when-pipe-closed", value);
                if (fd < 0 || !Poll.isOpen(fd)) {
                    throw new PluginException(Errno.EINVAL, "exit-when-pipe-closed: invalid file descriptor");
                }
                events.add(new Event.PipeClosed(fd));
            }
            case "exit-when-process-exits" -> {
                long pid = Numbers.parseUnsigned("exit-when-process-exits", value);
                Path stat = Path.of("/proc/" + pid + "/stat");
                if (pid == 0 || !Files.exists(stat)) {
                    throw new PluginException(Errno.EINVAL, "exit-when-process-exits: " + stat + ": No such file or directory");
                }
                events.add(new Event.ProcessExits(pid));
            }
            case "exit-when-script" -> events.add(new Event.Script(value));
            case "exit-when-poll" -> pollSeconds = Numbers.parseUnsigned("exit-when-poll", value);
            default -> {
                if (key.startsWith("exit-when-")) throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
                next.config(key, value);
            }
        }
    }

    /** Checks the events (once one happened the answer stays yes). Caller holds the monitor. */
    private boolean eventHappened() {
        if (!exiting) {
            for (Event e : events) {
                if (e.happened()) {
                    exiting = true;
                    break;
                }
            }
        }
        return exiting;
    }

    @Override
    public void afterFork(NextBackend backend) {
        if (events.isEmpty()) return;
        Thread.ofPlatform().daemon().name("exitwhen").start(this::pollWhileIdle);
    }

    private void pollWhileIdle() {
        while (true) {
            synchronized (this) {
                if (connections == 0 && eventHappened()) {
                    Log.debug("exitwhen: shutdown from polling thread");
                    Nbdkit.shutdown();
                    return;
                }
            }
            try {
                Thread.sleep(Math.max(1, pollSeconds) * 1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void preconnect(NextBackend next, boolean readonly) {
        synchronized (this) {
            if (eventHappened()) {
                throw new PluginException(Errno.ESHUTDOWN, "exitwhen: nbdkit is exiting: rejecting new connection");
            }
        }
        next.preconnect(readonly);
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        synchronized (this) {
            connections++;
        }
        return new FilterHandle() {
            @Override
            public void close() {
                synchronized (ExitWhenFilter.this) {
                    if (--connections == 0 && eventHappened()) {
                        Log.debug("exitwhen: shutdown on last connection closed");
                        Nbdkit.shutdown();
                    }
                }
            }
        };
    }
}
