package dev.jnbdkit.cli;

import dev.jnbdkit.backend.PluginRegistry;
import dev.jnbdkit.backend.Stack;
import dev.jnbdkit.log.FileSink;
import dev.jnbdkit.log.Log;
import dev.jnbdkit.log.LogSink;
import dev.jnbdkit.log.StartupTrace;
import dev.jnbdkit.log.SyslogSink;
import dev.jnbdkit.posix.ProcessCalls;
import dev.jnbdkit.posix.SelfProcess;
import dev.jnbdkit.server.Listener;
import dev.jnbdkit.server.Server;
import dev.jnbdkit.server.ServerSettings;
import dev.jnbdkit.server.Transport;
import dev.jnbdkit.server.tls.ServerTls;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code jnbdkit} command: nbdkit's command line, start-up order and exit codes. Stages:
 * parse; informational output; take stdin/stdout for {@code -s} before any plugin code runs;
 * load and configure the plugin; listen; detach (unless in the foreground); serve; clean up.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        StartupTrace.mark("main");
        InheritedChannelWarmup.startIfALaunchedSocket();
        int status;
        try {
            status = run(args);
        } catch (Fatal e) {
            if (e.getMessage() != null) Log.error(e.getMessage());
            status = 1;
        } catch (RuntimeException | LinkageError e) {
            Log.error(e.toString());
            if (Log.verbose()) e.printStackTrace();
            status = 1;
        }
        StartupTrace.mark("exit");
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }

    /** A start-up failure: logged, exit status 1. */
    static final class Fatal extends RuntimeException {
        Fatal(String message) { super(message); }
    }

    static int run(String[] args) {
        PrintStream out = System.out;
        Options o;
        try {
            o = CommandLine.parse(args);
        } catch (UsageException e) {
            return e.report(out, System.err);
        }
        if (Help.printInformational(o, out)) return 0;
        // nbdkit-NAME-plugin in a plugin directory: its language plugin, the script first
        o = PluginScript.resolve(o);
        if (o.execution().user() != null || o.execution().group() != null) {
            throw new Fatal("-u/--user and -g/--group are not supported yet: start the server as that user");
        }
        if (o.execution().swap()) throw new Fatal("--swap is not supported yet");

        Log.setVerbose(o.execution().verbose());
        boolean socketActivation = CommandLine.socketActivationRequested();
        boolean foreground = o.execution().foreground() || o.listen().single() || o.execution().run() != null || o.execution().exitWithParent()
                || socketActivation || o.info().dumpPlugin() || o.info().help() || o.info().version();
        boolean child = Daemon.isChild();
        if (!foreground && !child) {
            try {
                return Daemon.detach();
            } catch (IOException | InterruptedException e) {
                throw new Fatal("cannot start the server in the background: " + e.getMessage());
            }
        }
        // A background server reports start-up failures on the waiting command's stderr; it
        // switches to syslog (the default in the background) once it is ready.
        Log.setSink(logSink(o.execution().log(), false));
        if (o.python() != null) System.setProperty("jnbdkit.python", o.python());

        Transport stdio = null;
        if (o.listen().single()) {
            try {
                stdio = Stdio.takeConnection();
                StartupTrace.mark("-s: connection taken");
            } catch (IOException e) {
                throw new Fatal("-s: cannot take over stdin/stdout: " + e.getMessage());
            }
        }

        Stack stack = Stack.of(loadFilters(o.filters()), loadPlugin(o.plugin()), o.readonly());
        StartupTrace.mark("plugin found");
        try {
            return runStack(stack, o, stdio, socketActivation, child, out);
        } finally {
            // Always, as nbdkit's exit handler: a Python plugin flushes its output here.
            stack.unload();
        }
    }

    private static int runStack(Stack stack, Options o, Transport stdio, boolean socketActivation, boolean child,
                                PrintStream out) {
        try {
            stack.load();
            if (o.info().help()) {
                Help.print(out);
                out.println();
                stack.printHelp(out);
                out.flush();
                return 0;
            }
            if (o.info().version()) {
                VersionInfo.printVersion(out);
                stack.printVersions(out, VersionInfo.VERSION);
                return 0;
            }
            applyDebugFlags(stack, o.execution().debugFlags());
            configure(stack, o.pluginArgs());
            if (o.info().dumpPlugin()) {
                DumpPlugin.print(out, stack, VersionInfo.NBDKIT_COMPAT_VERSION);
                stack.plugin().dumpPlugin(out);
                out.flush();
                return 0;
            }
            stack.configComplete();
            Log.debug("using thread model " + stack.threadModel().nbdkitName());
            stack.getReady();
            Stdio.afterConfiguration(o.listen().single(), stack.onlyBuiltInJava(),
                    o.execution().run() != null || o.execution().printUri());
            StartupTrace.mark("plugin ready");
        } catch (PluginException e) {
            throw new Fatal(e.getMessage());
        } catch (UsageException e) {
            return e.report(out, System.err);
        }

        ServerTls tls;
        try {
            tls = ServerTls.configure(o.tls().mode(), o.tls().certificates(), o.tls().psk(), o.tls().verifyPeer());
        } catch (ServerTls.SetupException e) {
            throw new Fatal(e.getMessage());
        }
        if (tls != null && o.protocol().oldstyle()) {
            Log.debug("TLS is not possible with the oldstyle protocol (-o): serving plaintext");
            tls = null;
        }
        ServerSettings settings = new ServerSettings(o.protocol().oldstyle(), o.protocol().noSr(),
                o.protocol().maskHandshake() < 0 ? 0xffff : o.protocol().maskHandshake(), o.effectiveThreads(), tls,
                o.protocol().noMetaContexts(), o.listen().keepalive());
        Server server = new Server(stack, settings);
        // Before listening: a SIGTERM as soon as the socket accepts must already mean "shut down".
        Signals.onTermination(server::requestShutdown);
        if (o.protocol().timeoutNanos() >= 0) {
            server.setHandshakeDeadline(java.time.Duration.ofNanos(o.protocol().timeoutNanos()));
        }
        int status;
        try {
            if (stdio != null) {
                status = serveStdio(server, stack, stdio);
            } else {
                status = serveListening(server, settings, stack, o, socketActivation, child);
            }
        } finally {
            // As nbdkit: cleanup once no callback can still be running.
            if (server.idle()) stack.cleanup();
            else Log.error("cleanup skipped: a plugin callback is still running");
        }
        return status;
    }

    private static int serveStdio(Server server, Stack stack, Transport stdio) {
        afterFork(stack);
        server.serveOne(stdio);
        return 0;
    }

    /** SIGTERM when the parent exits; a parent already gone (bin/jnbdkit noted its pid) shuts down now. */
    private static void exitWithParent(Server server) throws IOException {
        ProcessCalls.setParentDeathSignal(15);
        shutDownIfParentGone(server);
    }

    /**
     * The parent bin/jnbdkit noted is no longer ours (it died before the death signal was asked
     * for): shut down now. The parent's pid from /proc, without FFM.
     */
    private static void shutDownIfParentGone(Server server) {
        String parent = System.getenv("JNBDKIT_PARENT_PID");
        long ppid = SelfProcess.parentPid();
        if (parent != null && !parent.equals(Long.toString(ppid))) {
            Log.debug("exit with parent: the parent has already exited");
            server.requestShutdown();
        }
    }

    private static int serveListening(Server server, ServerSettings settings, Stack stack, Options o,
                                      boolean socketActivation, boolean child) {
        Path privateDir = null;
        String unixSocket = o.listen().unixSocket();
        Listener listener;
        try {
            if (socketActivation) {
                listener = Listener.socketActivated();
            } else if (unixSocket != null) {
                if (unixSocket.equals("-")) {
                    privateDir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "nbdkit");
                    unixSocket = privateDir.resolve("socket").toString();
                }
                listener = Listener.unix(Path.of(unixSocket));
            } else {
                listener = Listener.tcp(o.listen().ipaddr(), o.listen().port() == null ? 10809 : parsePort(o.listen().port()),
                        o.listen().ipv4Only(), o.listen().ipv6Only());
            }
        } catch (IOException e) {
            throw new Fatal(e.getMessage());
        }
        StartupTrace.mark("listening");
        try {
            if (o.execution().exitWithParent()) {
                try {
                    exitWithParent(server);
                } catch (IOException e) {
                    throw new Fatal("--exit-with-parent: " + e.getMessage());
                }
            } else if (socketActivation && System.getenv("JNBDKIT_PARENT_DEATH_SIGNAL") != null) {
                // bin/jnbdkit had setpriv ask for the death signal before the JVM started.
                shutDownIfParentGone(server);
            } else if (socketActivation) {
                // nbdkit exits with the process that socket-activated it (measured with 1.32: it sets
                // PR_SET_PDEATHSIG at start), so a client that dies without closing its libnbd
                // handle leaves no server behind. Without setpriv (above), a thread looks at our parent once a second,
                // starting a second after start: a native prctl would put the FFM linker's set-up
                // (~0.25 s of CPU, measured) on every socket-activated start, most of which last
                // less than a second anyway.
                ParentWatch.start(server::requestShutdown);
            }
            if (o.execution().printUri()) {
                printUri(Stdio.originalStdout(), Captive.uri(unixSocket, unixSocket == null ? listener.port() : 0, o.exportName(),
                        settings.tlsRequired()));
            }
            if (o.execution().pidFile() != null) PidFile.write(o.execution().pidFile(), SelfProcess.pid());
            afterFork(stack);
            if (child) {
                Daemon.ready();
                Log.setSink(logSink(o.execution().log(), true));
            }
            Log.debug("listening on " + listener.description());
            StartupTrace.mark("serving");

            if (o.execution().run() != null) {
                Thread serving = Thread.ofPlatform().name("server").start(() -> server.serve(listener));
                int port = unixSocket == null ? listener.port() : 0;
                int status;
                try {
                    status = Captive.run(o.execution().run(), unixSocket, port, o.exportName(), settings.tls());
                } catch (InterruptedException e) {
                    status = 1;
                }
                server.requestShutdown();
                serving.join();
                return status;
            }
            server.serve(listener);
            return 0;
        } catch (IOException e) {
            throw new Fatal(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            listener.close();
            if (privateDir != null) {
                try {
                    Files.deleteIfExists(Path.of(unixSocket));
                    Files.deleteIfExists(privateDir);
                } catch (IOException ignored) {
                    // best effort: a private socket in /tmp
                }
            }
        }
    }

    private static int parsePort(String port) {
        try {
            int p = Integer.parseInt(port);
            if (p < 0 || p > 65535) throw new NumberFormatException();
            return p;
        } catch (NumberFormatException e) {
            throw new Fatal("invalid port number: " + port);
        }
    }

    private static void afterFork(Stack stack) {
        try {
            stack.afterFork();
        } catch (PluginException e) {
            throw new Fatal(e.getMessage());
        }
    }

    private static LogSink logSink(String log, boolean background) {
        String choice = log != null ? log : (background ? "syslog" : "stderr");
        if (choice.startsWith("/")) {
            try {
                return new FileSink(choice);
            } catch (IOException e) {
                throw new Fatal("--log=" + choice + ": " + e.getMessage());
            }
        }
        return switch (choice) {
            case "null" -> LogSink.NULL;
            case "syslog" -> new SyslogSink();
            default -> LogSink.STDERR;
        };
    }

    /** --print-uri (nbdkit 1.44): the URI, shell-quoted, and a command that queries it. */
    private static void printUri(PrintStream out, String uri) {
        String quoted = "\"" + uri.replaceAll("([\"$`\\\\])", "\\\\$1") + "\"";
        out.println(uri);
        out.println("Shell-quoted URI: " + quoted);
        out.println("Command to query the NBD endpoint:");
        out.println("  nbdinfo " + quoted);
        out.flush();
    }

    static Plugin loadPlugin(String name) {
        Plugin p;
        try {
            p = PluginRegistry.builtin(name);
        } catch (IllegalStateException e) {
            throw new Fatal(e.getMessage());
        }
        if (p != null) return p;
        if (name.endsWith(".jar")) {
            try {
                return PluginRegistry.fromJar(Path.of(name));
            } catch (PluginException e) {
                throw new Fatal(e.getMessage());
            }
        }
        throw new Fatal("cannot open plugin '" + name + "': no such built-in plugin, plugin jar or plugin script"
                + (PluginScript.isShortName(name) ? " (nbdkit-" + name + "-plugin in " + VersionInfo.pluginDirs().stream()
                        .map(Path::toString).collect(java.util.stream.Collectors.joining(" or ")) + ")" : "") + "\n"
                + "Use '" + Log.program() + " --help' or read the nbdkit(1) manual page for documentation.");
    }

    /** The {@code key=value} arguments, to the outermost layer; bare words go to the plugin's magic key. */
    private static void configure(Stack stack, List<String> raw) throws UsageException {
        String magic = stack.magicConfigKey();
        for (int i = 0; i < raw.size(); i++) {
            PluginArgs.KeyValue kv = PluginArgs.interpret(raw.get(i), i, magic);
            stack.config(kv.key(), kv.value());
        }
    }

    /** The filters named by {@code --filter}, outermost first. */
    static List<Filter> loadFilters(List<String> names) {
        List<Filter> filters = new ArrayList<>();
        for (String name : names) {
            try {
                filters.add(PluginRegistry.filter(name));
            } catch (PluginException | IllegalStateException e) {
                throw new Fatal(e.getMessage());
            }
        }
        return filters;
    }

    /**
     * -D NAME.FLAG=N: to the layer (plugin or filter) called NAME; a flag no layer has gets
     * nbdkit's warning and is ignored; a value that is not a number is an error, as in nbdkit.
     */
    private static void applyDebugFlags(Stack stack, List<String> flags) {
        for (String f : flags) {
            int eq = f.indexOf('=');
            String flag = eq < 0 ? f : f.substring(0, eq);
            int dot = flag.indexOf('.');
            String owner = dot < 0 ? flag : flag.substring(0, dot);
            String name = flag.substring(dot + 1);
            int value;
            try {
                value = eq < 0 ? 1 : Integer.decode(f.substring(eq + 1).strip());
            } catch (NumberFormatException e) {
                throw new Fatal("-D " + f + ": could not parse the value as an integer");
            }
            if (dot < 0 || !stack.debugFlag(owner, name, value)) {
                Log.warning("-D " + flag + ": " + owner + " has no debug flag called " + name + " (ignored)");
            }
        }
    }
}
