package dev.jnbdkit.cli;

import java.util.List;

/**
 * Everything the command line said, parsed but not yet acted on (nbdkit(1) option names), in
 * groups by what they decide. Plugin arguments stay raw ({@code key=value} or bare words): which
 * key a bare word belongs to is the plugin's to say, once it is loaded.
 *
 * @param plugin     plugin name, path to a plugin jar, or null if none was given
 * @param pluginArgs arguments after the plugin, in order, unparsed
 * @param filters    --filter=FILTER, in command-line order (outermost first)
 * @param readonly   -r
 * @param exportName -e EXPORTNAME, or null
 * @param threads    -t THREADS, or 0 for the default (16)
 * @param python     --python=INTERPRETER (jnbdkit only), or null
 * @param listen     where clients come from
 * @param tls        TLS
 * @param protocol   what the handshake offers
 * @param execution  how the server process runs: foreground, logs, --run, users
 * @param info       the informational options that print and exit
 */
public record Options(
        String plugin,
        List<String> pluginArgs,
        List<String> filters,
        boolean readonly,
        String exportName,
        int threads,
        String python,
        Listen listen,
        Tls tls,
        Protocol protocol,
        Execution execution,
        Info info) {

    public static final int DEFAULT_THREADS = 16;

    public int effectiveThreads() { return threads > 0 ? threads : DEFAULT_THREADS; }

    /** The same options serving another plugin (a plugin script runs through its language plugin). */
    public Options withPlugin(String otherPlugin, List<String> otherArgs) {
        return new Options(otherPlugin, List.copyOf(otherArgs), filters, readonly, exportName, threads, python,
                listen, tls, protocol, execution, info);
    }

    /**
     * Where clients come from.
     *
     * @param port         -p PORT, or null (default 10809)
     * @param ipaddr       -i IPADDR, or null (all addresses)
     * @param ipv4Only     -4
     * @param ipv6Only     -6
     * @param unixSocket   -U PATH; "-" asks for a private socket; null for TCP
     * @param single       -s / --single / --stdin
     * @param vsock        --vsock
     * @param selinuxLabel --selinux-label=LABEL, or null
     * @param keepalive    --keepalive (nbdkit 1.44): SO_KEEPALIVE on TCP client sockets
     */
    public record Listen(String port, String ipaddr, boolean ipv4Only, boolean ipv6Only, String unixSocket,
                         boolean single, boolean vsock, String selinuxLabel, boolean keepalive) {}

    /**
     * TLS.
     *
     * @param mode         --tls=off|on|require as given (normalised to "off", "on" or "require"), or null
     * @param certificates --tls-certificates=DIR, or null
     * @param psk          --tls-psk=FILE, or null
     * @param verifyPeer   --tls-verify-peer
     */
    public record Tls(String mode, String certificates, String psk, boolean verifyPeer) {}

    /**
     * What the handshake offers.
     *
     * @param maskHandshake --mask-handshake=MASK, or -1 when not given
     * @param noSr          --no-sr
     * @param oldstyle      -o (false: newstyle, the default, also -n)
     * @param noMetaContexts --no-mc / --no-meta-contexts (nbdkit 1.44)
     * @param timeoutNanos  --timeout (nbdkit 1.44): handshake deadline in nanoseconds, or -1 for the default
     */
    public record Protocol(int maskHandshake, boolean noSr, boolean oldstyle, boolean noMetaContexts,
                           long timeoutNanos) {}

    /**
     * How the server process runs.
     *
     * @param foreground     -f / --foreground / --no-fork
     * @param pidFile        -P PIDFILE, or null
     * @param run            --run COMMAND, or null
     * @param exitWithParent --exit-with-parent
     * @param user           -u USER, or null
     * @param group          -g GROUP, or null
     * @param swap           --swap
     * @param log            --log=stderr|syslog|null|/absolute/path, or null for the default
     * @param verbose        -v
     * @param debugFlags     -D NAME.FLAG=N, raw, in order
     * @param printUri       --print-uri (nbdkit 1.44)
     */
    public record Execution(boolean foreground, String pidFile, String run, boolean exitWithParent, String user,
                            String group, boolean swap, String log, boolean verbose, List<String> debugFlags,
                            boolean printUri) {}

    /**
     * The options that print something and exit.
     *
     * @param dumpPlugin   --dump-plugin
     * @param dumpConfig   --dump-config
     * @param version      -V / --version
     * @param help         --help
     * @param longOptions  --long-options (undocumented, for shell completion): list long options and exit
     * @param shortOptions --short-options (undocumented, for shell completion): list short options and exit
     */
    public record Info(boolean dumpPlugin, boolean dumpConfig, boolean version, boolean help,
                       boolean longOptions, boolean shortOptions) {}
}
