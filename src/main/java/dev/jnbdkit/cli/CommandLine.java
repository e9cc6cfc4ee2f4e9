package dev.jnbdkit.cli;

import dev.jnbdkit.log.Log;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The nbdkit(1) command line, parsed the way nbdkit's {@code getopt_long} loop parses it: options may
 * come before, between or after the plugin name and its arguments (GNU permutation, unless
 * {@code POSIXLY_CORRECT} is set), short options bundle ({@code -fvp 10810}, {@code -p10810}), long
 * options take {@code --opt=value} or {@code --opt value} and may be abbreviated to any unambiguous
 * prefix, and {@code --} ends the options.
 *
 * <p>{@link #OPTIONS} is the one table of every option: the parser, {@link Help} and the
 * {@code --long-options}/{@code --short-options} listings are all derived from it.
 *
 * <p>{@link #parse(String[])} returns only command lines the server can act on; everything else is
 * a {@link UsageException} with nbdkit's message and exit status.
 */
public final class CommandLine {
    private CommandLine() {}

    /** What an option does; aliases share one id. */
    public enum Id {
        IPV4, IPV6, DEBUG, DUMP_CONFIG, DUMP_PLUGIN, EXIT_WITH_PARENT, EXPORT, FILTER, FOREGROUND,
        GROUP, HELP, IPADDR, LOG, LONG_OPTIONS, MASK_HANDSHAKE, NEWSTYLE, NO_SR, OLDSTYLE, PIDFILE,
        PORT, READONLY, RUN, SELINUX_LABEL, SHORT_OPTIONS, SINGLE, SWAP, THREADS, TLS,
        TLS_CERTIFICATES, TLS_PSK, TLS_VERIFY_PEER, UNIX, USER, VERBOSE, VERSION, VSOCK, PYTHON,
        KEEPALIVE, NO_MC, PRINT_URI, TIMEOUT
    }

    /**
     * One option of the table.
     *
     * @param id         what it does
     * @param shortName  its short letter, or 0 if it has none
     * @param longNames  its long names, the preferred one first (nbdkit's table order)
     * @param argName    the placeholder of its argument for --help, or null if it takes none
     * @param documented false for nbdkit's undocumented --long-options and --short-options
     * @param help       one line of description for --help
     */
    public record Spec(Id id, char shortName, List<String> longNames, String argName,
                       boolean documented, String help) {
        public boolean takesArgument() { return argName != null; }
    }

    private static Spec spec(Id id, char s, String arg, String help, String... longNames) {
        return new Spec(id, s, List.of(longNames), arg, true, help);
    }

    /** Every option, in nbdkit's long-option table order (which decides ambiguity messages). */
    public static final List<Spec> OPTIONS = List.of(
            spec(Id.IPV4, '4', null, "resolve -i and listen on IPv4 only", "ipv4-only"),
            spec(Id.IPV6, '6', null, "resolve -i and listen on IPv6 only", "ipv6-only"),
            spec(Id.DEBUG, 'D', "PLUGIN|FILTER|nbdkit.FLAG=N", "set a debug flag", "debug"),
            spec(Id.DUMP_CONFIG, '\0', null, "print the build configuration and exit", "dump-config"),
            spec(Id.DUMP_PLUGIN, '\0', null, "print information about the plugin and exit", "dump-plugin"),
            spec(Id.EXIT_WITH_PARENT, '\0', null, "exit when the parent process exits (implies -f)",
                    "exit-with-parent"),
            spec(Id.EXPORT, 'e', "EXPORTNAME", "export name for the --run environment",
                    "export", "export-name", "exportname"),
            spec(Id.FILTER, '\0', "FILTER", "stack a filter in front of the plugin (repeatable; the first is outermost)",
                    "filter"),
            spec(Id.FOREGROUND, 'f', null, "do not fork into the background", "foreground", "no-fork"),
            spec(Id.GROUP, 'g', "GROUP", "change to this group after start-up", "group"),
            spec(Id.HELP, '\0', null, "print this help (or the plugin's, after a plugin name) and exit",
                    "help"),
            spec(Id.IPADDR, 'i', "IPADDR", "listen on this address only", "ip-addr", "ipaddr"),
            spec(Id.LOG, '\0', "stderr|syslog|null", "where error messages go", "log"),
            new Spec(Id.LONG_OPTIONS, '\0', List.of("long-options"), null, false, "list long options"),
            spec(Id.MASK_HANDSHAKE, '\0', "MASK", "mask off global handshake flags", "mask-handshake"),
            spec(Id.NEWSTYLE, 'n', null, "newstyle protocol (the default)", "new-style", "newstyle"),
            spec(Id.NO_SR, '\0', null, "do not advertise structured replies", "no-sr"),
            spec(Id.OLDSTYLE, 'o', null, "oldstyle protocol", "old-style", "oldstyle"),
            spec(Id.PIDFILE, 'P', "PIDFILE", "write the process ID here once ready", "pid-file", "pidfile"),
            spec(Id.PORT, 'p', "PORT", "TCP port to listen on (default 10809)", "port"),
            spec(Id.READONLY, 'r', null, "refuse writes", "read-only", "readonly"),
            spec(Id.RUN, '\0', "'COMMAND ARGS ...'",
                    "run the command with the server as its captive (implies -f)", "run"),
            spec(Id.SELINUX_LABEL, '\0', "LABEL", "SELinux label of the listening socket (not supported yet)",
                    "selinux-label"),
            new Spec(Id.SHORT_OPTIONS, '\0', List.of("short-options"), null, false, "list short options"),
            spec(Id.SINGLE, 's', null, "serve one connection on stdin/stdout", "single", "stdin"),
            spec(Id.SWAP, '\0', null, "lock the server in memory, to serve swap space", "swap"),
            spec(Id.THREADS, 't', "THREADS", "threads per connection (default 16)", "threads"),
            spec(Id.TLS, '\0', "off|on|require", "disable, enable or require TLS", "tls"),
            spec(Id.TLS_CERTIFICATES, '\0', "/path/to/certificates",
                    "TLS certificates directory (X.509)", "tls-certificates"),
            spec(Id.TLS_PSK, '\0', "/path/to/pskfile", "TLS pre-shared keys file (username:hexkey lines)",
                    "tls-psk"),
            spec(Id.TLS_VERIFY_PEER, '\0', null, "require and verify TLS client certificates",
                    "tls-verify-peer"),
            spec(Id.UNIX, 'U', "SOCKET|-", "listen on a Unix domain socket ('-': a private one)", "unix"),
            spec(Id.USER, 'u', "USER", "change to this user after start-up", "user"),
            spec(Id.VERBOSE, 'v', null, "debug messages", "verbose"),
            spec(Id.VERSION, 'V', null, "print the version and exit", "version"),
            spec(Id.VSOCK, '\0', null, "listen on AF_VSOCK (not supported yet)", "vsock"),
            spec(Id.PYTHON, '\0', "INTERPRETER",
                    "Python interpreter for the python plugin (jnbdkit only)", "python"),
            // nbdkit 1.44's options, after 1.34's so that the listing keeps 1.34's order first.
            spec(Id.KEEPALIVE, '\0', null, "enable TCP keepalive on client sockets", "keepalive", "keep-alive"),
            spec(Id.NO_MC, '\0', null, "do not advertise meta contexts", "no-mc", "no-meta-contexts"),
            spec(Id.NO_SR, '\0', null, "same as --no-sr", "no-structured-replies"),
            spec(Id.PRINT_URI, '\0', null, "print the URI clients connect to once listening",
                    "print-uri", "print-url", "show-uri"),
            spec(Id.TIMEOUT, '\0', "TIMEOUT", "drop clients that have not finished the handshake in TIMEOUT",
                    "timeout", "time-out"));

    /** The short options in nbdkit's {@code getopt} string order (used by --short-options). */
    public static final String SHORT_OPTION_ORDER = "46DefginopPrstuUvV";

    /** The long names in table order, each with its spec. */
    private record LongName(String name, Spec spec) {}

    private static final List<LongName> LONG_NAMES;
    private static final Spec[] BY_SHORT = new Spec[128];

    static {
        List<LongName> names = new ArrayList<>();
        for (Spec s : OPTIONS) {
            for (String n : s.longNames()) names.add(new LongName(n, s));
            if (s.shortName() != 0) BY_SHORT[s.shortName()] = s;
        }
        LONG_NAMES = List.copyOf(names);
    }

    /** {@code --name} for every long option, in table order, hidden ones included. */
    public static List<String> longOptionNames() {
        return LONG_NAMES.stream().map(l -> "--" + l.name()).toList();
    }

    /**
     * What --long-options prints: nbdkit's long options (not the two hidden listing options, nor
     * jnbdkit's own --python: scripts compare this listing with nbdkit's manual).
     */
    public static List<String> longOptionListing() {
        return LONG_NAMES.stream().filter(l -> l.spec().documented() && l.spec().id() != Id.PYTHON)
                .map(l -> "--" + l.name()).toList();
    }

    /** What --short-options prints. */
    public static List<String> shortOptionListing() {
        return SHORT_OPTION_ORDER.chars().mapToObj(c -> "-" + (char) c).toList();
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * Parses the command line as nbdkit would, then refuses what jnbdkit does not support yet. Reads
     * {@code POSIXLY_CORRECT}, {@code LISTEN_FDS} and {@code LISTEN_PID} from the environment.
     */
    public static Options parse(String[] args) throws UsageException {
        boolean posixly = System.getenv("POSIXLY_CORRECT") != null;
        return parse(args, posixly, socketActivationRequested());
    }

    /** {@link #parse(String[])} with the environment made explicit (for tests). */
    public static Options parse(String[] args, boolean posixlyCorrect, boolean socketActivation)
            throws UsageException {
        Options o = parseAll(args, posixlyCorrect, socketActivation);
        if (o.plugin() != null) checkSupported(o); // without a plugin, only informational requests remain
        return o;
    }

    /**
     * Parses and validates the command line exactly as nbdkit does, including the options jnbdkit
     * does not support yet (they appear in the result).
     */
    public static Options parseAll(String[] args, boolean posixlyCorrect, boolean socketActivation)
            throws UsageException {
        State st = new State(socketActivation);
        List<String> nonOptions = new ArrayList<>();
        int i = 0;
        scan:
        while (i < args.length) {
            String a = args[i++];
            if (a.equals("--")) {
                while (i < args.length) nonOptions.add(args[i++]);
                break;
            }
            if (!a.startsWith("-") || a.equals("-")) {
                nonOptions.add(a);
                if (posixlyCorrect) {
                    while (i < args.length) nonOptions.add(args[i++]);
                    break;
                }
                continue;
            }
            if (a.startsWith("--")) {
                String body = a.substring(2);
                int eq = body.indexOf('=');
                String name = eq < 0 ? body : body.substring(0, eq);
                Spec s = findLong(a, name);
                String value = null;
                if (s.takesArgument()) {
                    if (eq >= 0) value = body.substring(eq + 1);
                    else if (i < args.length) value = args[i++];
                    else throw getoptError("option '--" + longNameOf(s, name) + "' requires an argument");
                } else if (eq >= 0) {
                    throw getoptError("option '--" + longNameOf(s, name) + "' doesn't allow an argument");
                }
                if (st.apply(s, value)) break scan;
            } else {
                for (int j = 1; j < a.length(); j++) {
                    char c = a.charAt(j);
                    Spec s = c < 128 ? BY_SHORT[c] : null;
                    if (s == null) throw getoptError("invalid option -- '" + c + "'");
                    String value = null;
                    if (s.takesArgument()) {
                        if (j + 1 < a.length()) value = a.substring(j + 1);
                        else if (i < args.length) value = args[i++];
                        else throw getoptError("option requires an argument -- '" + c + "'");
                        j = a.length();
                    }
                    if (st.apply(s, value)) break scan;
                }
            }
        }
        if (st.stoppedEarly) return st.build(nonOptions);
        return st.finish(nonOptions);
    }

    /** The long name getopt reports: the table's name of the option that was matched. */
    private static String longNameOf(Spec s, String typed) {
        for (LongName l : LONG_NAMES) if (l.spec() == s && l.name().equals(typed)) return l.name();
        for (LongName l : LONG_NAMES) if (l.spec() == s && l.name().startsWith(typed)) return l.name();
        return s.longNames().getFirst();
    }

    /** getopt_long's matching: an exact name wins; otherwise a prefix naming only one option. */
    private static Spec findLong(String arg, String name) throws UsageException {
        for (LongName l : LONG_NAMES) if (l.name().equals(name)) return l.spec();
        LongName first = null;
        List<String> ambiguous = null;
        for (LongName l : LONG_NAMES) {
            if (!l.name().startsWith(name)) continue;
            if (first == null) {
                first = l;
            } else if (l.spec() != first.spec()) {
                if (ambiguous == null) {
                    ambiguous = new ArrayList<>();
                    ambiguous.add(first.name());
                }
                ambiguous.add(l.name());
            }
        }
        if (first == null) throw getoptError("unrecognized option '" + arg + "'");
        if (ambiguous != null) {
            StringBuilder sb = new StringBuilder("option '" + arg + "' is ambiguous; possibilities:");
            for (String n : ambiguous) sb.append(" '--").append(n).append('\'');
            throw getoptError(sb.toString());
        }
        return first.spec();
    }

    private static UsageException getoptError(String message) {
        return new UsageException(Log.line(message), 1, true);
    }

    private static UsageException fail(String message) {
        return new UsageException(Log.line(message));
    }

    /** nbdkit's rule: socket activation applies when LISTEN_FDS is set and LISTEN_PID is our pid. */
    static boolean socketActivationRequested() {
        String fds = System.getenv("LISTEN_FDS");
        String pid = System.getenv("LISTEN_PID");
        if (fds == null || pid == null) return false;
        try {
            return Long.parseLong(pid.trim()) == dev.jnbdkit.posix.SelfProcess.pid() && Integer.parseInt(fds.trim()) > 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Refuses, with one clear line, options jnbdkit parses but cannot honour yet. */
    static void checkSupported(Options o) throws UsageException {
        
        if (o.listen().selinuxLabel() != null) throw fail("--selinux-label is not supported yet");
        if (o.listen().vsock()) throw fail("--vsock is not supported yet");
    }

    /** nbdkit_absolute_path: the working directory joined to a relative path, nothing resolved. */
    private static String absolutePath(String path) throws UsageException {
        if (path.isEmpty()) throw fail("error: cannot convert null or empty path to an absolute path");
        if (path.startsWith("/")) return path;
        String cwd = Path.of("").toAbsolutePath().toString();
        return cwd.endsWith("/") ? cwd + path : cwd + "/" + path;
    }

    /** Checks -D NAME.FLAG=N as nbdkit does; returns it unchanged. */
    private static String checkDebugFlag(String arg) throws UsageException {
        String bad = "-D (Debug Flag) must have the format NAME.FLAG=N";
        int dot = arg.indexOf('.');
        int eq = arg.indexOf('=');
        if (dot < 1 || eq < 0 || dot > eq || eq - dot <= 1 || eq + 1 == arg.length()) throw fail(bad);
        try {
            Numbers.parseInt("flag", arg.substring(eq + 1));
        } catch (UsageException e) {
            throw new UsageException(e.getMessage() + "\n" + Log.line(bad));
        }
        return arg;
    }


    /** The mutable settings while scanning. */
    private static final class State {
        final boolean socketActivation;
        boolean stoppedEarly;
        String port, ipaddr, unixSocket, pidFile, exportName, run, log, user, group, python;
        boolean ipv4Only, ipv6Only, single, foreground, readonly, verbose, exitWithParent, dumpPlugin,
                dumpConfig, version, help, noSr, oldstyle, swap;
        int threads;
        int maskHandshake = -1;
        final List<String> debugFlags = new ArrayList<>();
        final List<String> filters = new ArrayList<>();
        String tls, tlsCertificates, tlsPsk, selinuxLabel;
        boolean tlsVerifyPeer, vsock, longOptions, shortOptions, keepalive, noMetaContexts, printUri;
        long timeoutNanos = -1;

        State(boolean socketActivation) { this.socketActivation = socketActivation; }

        private void noSocketActivation(String flag) throws UsageException {
            if (socketActivation) throw fail("cannot use socket activation with " + flag + " flag");
        }

        /** Applies one option; true if scanning stops here (the listing options exit at once). */
        boolean apply(Spec s, String v) throws UsageException {
            switch (s.id()) {
                case IPV4 -> { ipv4Only = true; ipv6Only = false; }
                case IPV6 -> { ipv6Only = true; ipv4Only = false; }
                case DEBUG -> debugFlags.add(checkDebugFlag(v));
                case DUMP_CONFIG -> { dumpConfig = true; stoppedEarly = true; return true; }
                case DUMP_PLUGIN -> dumpPlugin = true;
                case EXIT_WITH_PARENT -> { exitWithParent = true; foreground = true; }
                case EXPORT -> exportName = v;
                case FILTER -> filters.add(v);
                case FOREGROUND -> foreground = true;
                case GROUP -> group = v;
                case HELP -> help = true;
                case IPADDR -> { noSocketActivation("-i"); ipaddr = v; }
                case LOG -> {
                    if (v.equals("default")) {
                        log = null;
                    } else if (v.equals("stderr") || v.equals("syslog") || v.equals("null") || v.startsWith("/")) {
                        log = v;
                    } else {
                        throw fail("--log must be \"stderr\", \"syslog\", \"null\", \"default\" or an absolute path");
                    }
                }
                case KEEPALIVE -> keepalive = true;
                case NO_MC -> noMetaContexts = true;
                case PRINT_URI -> printUri = true;
                case TIMEOUT -> {
                    try {
                        timeoutNanos = dev.jnbdkit.spi.Delays.parse("--timeout", v);
                    } catch (dev.jnbdkit.spi.PluginException e) {
                        throw fail(e.getMessage());
                    }
                }
                case LONG_OPTIONS -> { longOptions = true; stoppedEarly = true; return true; }
                case MASK_HANDSHAKE -> maskHandshake = (int) Numbers.parseUnsigned("mask-handshake", v);
                case NEWSTYLE -> oldstyle = false;
                case NO_SR -> noSr = true;
                case OLDSTYLE -> oldstyle = true;
                case PIDFILE -> pidFile = absolutePath(v);
                case PORT -> { noSocketActivation("-p"); port = v; }
                case READONLY -> readonly = true;
                case RUN -> { noSocketActivation("--run"); run = v; foreground = true; }
                case SELINUX_LABEL -> selinuxLabel = v;
                case SHORT_OPTIONS -> { shortOptions = true; stoppedEarly = true; return true; }
                case SINGLE -> { noSocketActivation("-s"); single = true; }
                case SWAP -> swap = true;
                case THREADS -> {
                    long t = Numbers.parseUnsigned("threads", v);
                    if (t > Integer.MAX_VALUE)
                        throw fail("error: threads: could not parse number: \"" + v.strip()
                                + "\": Numerical result out of range");
                    threads = (int) t;
                }
                case TLS -> {
                    String l = v.toLowerCase(Locale.ROOT);
                    if (l.equals("require") || l.equals("required") || l.equals("force")) {
                        tls = "require";
                    } else {
                        Boolean b = dev.jnbdkit.spi.Sizes.boolOrNull(v);
                        if (b == null) throw fail("error: could not decipher boolean (" + v + ")");
                        tls = b ? "on" : "off";
                    }
                }
                case TLS_CERTIFICATES -> tlsCertificates = absolutePath(v);
                case TLS_PSK -> tlsPsk = absolutePath(v);
                case TLS_VERIFY_PEER -> tlsVerifyPeer = true;
                case UNIX -> {
                    noSocketActivation("-U");
                    unixSocket = v.equals("-") ? "-" : absolutePath(v);
                }
                case USER -> user = v;
                case VERBOSE -> verbose = true;
                case VERSION -> version = true;
                case VSOCK -> vsock = true;
                case PYTHON -> python = v;
            }
            return false;
        }

        /** The checks nbdkit makes once all options are read, in nbdkit's order. */
        Options finish(List<String> nonOptions) throws UsageException {
            if (nonOptions.isEmpty()) {
                if (help || version) return build(nonOptions);
                String p = Log.program();
                if (dumpPlugin)
                    throw fail("use '" + p + " plugin --dump-plugin' or\n"
                            + "'" + p + " /path/to/plugin.jar --dump-plugin' or\n"
                            + "if you want to find out about the server use --dump-config");
                throw fail("no plugins given on the command line.\n"
                        + "Use '" + p + " --help' or read the nbdkit(1) manual page for documentation.");
            }
            if ("require".equals(tls) && oldstyle)
                throw fail("cannot use oldstyle protocol (-o) and require TLS");
            if ((port != null && unixSocket != null)
                    || (port != null && single)
                    || (unixSocket != null && single)
                    || (single && run != null)
                    || (single && dumpPlugin)
                    || (vsock && unixSocket != null)
                    || (vsock && single)
                    || (vsock && run != null))
                throw fail("--dump-plugin, -p, --run, -s, -U or --vsock options cannot be used in this combination");
            return build(nonOptions);
        }

        Options build(List<String> nonOptions) {
            String plugin = nonOptions.isEmpty() ? null : nonOptions.getFirst();
            List<String> pluginArgs = nonOptions.isEmpty() ? List.of()
                    : List.copyOf(nonOptions.subList(1, nonOptions.size()));
            return new Options(plugin, pluginArgs, List.copyOf(filters), readonly, exportName, threads, python,
                    new Options.Listen(port, ipaddr, ipv4Only, ipv6Only, unixSocket, single, vsock, selinuxLabel,
                            keepalive),
                    new Options.Tls(tls, tlsCertificates, tlsPsk, tlsVerifyPeer),
                    new Options.Protocol(maskHandshake, noSr, oldstyle, noMetaContexts, timeoutNanos),
                    new Options.Execution(foreground, pidFile, run, exitWithParent, user, group, swap, log, verbose,
                            Collections.unmodifiableList(new ArrayList<>(debugFlags)), printUri),
                    new Options.Info(dumpPlugin, dumpConfig, version, help, longOptions, shortOptions));
        }
    }
}
