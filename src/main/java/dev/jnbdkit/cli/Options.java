package dev.jnbdkit.cli;

import java.util.List;

/**
 * Everything the command line said, parsed but not yet acted on (nbdkit(1) option names).
 * Plugin arguments stay raw ({@code key=value} or bare words): which key a bare word belongs to
 * is the plugin's to say, once it is loaded.
 *
 * @param plugin         plugin name, path to a plugin jar, or null if none was given
 * @param pluginArgs     arguments after the plugin, in order, unparsed
 * @param port           -p PORT, or null (default 10809)
 * @param ipaddr         -i IPADDR, or null (all addresses)
 * @param ipv4Only       -4
 * @param ipv6Only       -6
 * @param unixSocket     -U PATH; "-" asks for a private socket; null for TCP
 * @param single         -s / --single / --stdin
 * @param foreground     -f / --foreground / --no-fork
 * @param pidFile        -P PIDFILE, or null
 * @param readonly       -r
 * @param exportName     -e EXPORTNAME, or null
 * @param threads        -t THREADS, or 0 for the default (16)
 * @param verbose        -v
 * @param debugFlags     -D NAME.FLAG=N, raw, in order
 * @param run            --run COMMAND, or null
 * @param exitWithParent --exit-with-parent
 * @param dumpPlugin     --dump-plugin
 * @param dumpConfig     --dump-config
 * @param version        -V / --version
 * @param help           --help
 * @param log            --log=stderr|syslog|null, or null for the default
 * @param maskHandshake  --mask-handshake=MASK, or -1 when not given
 * @param noSr           --no-sr
 * @param oldstyle       -o (false: newstyle, the default, also -n)
 * @param user           -u USER, or null
 * @param group          -g GROUP, or null
 * @param swap           --swap
 * @param python         --python=INTERPRETER (jnbdkit only), or null
 * @param filters        --filter=FILTER, in command-line order (outermost first)
 * @param tls            --tls=off|on|require as given (normalised to "off", "on" or "require"), or null
 * @param tlsCertificates --tls-certificates=DIR, or null
 * @param tlsPsk         --tls-psk=FILE, or null
 * @param tlsVerifyPeer  --tls-verify-peer
 * @param selinuxLabel   --selinux-label=LABEL, or null
 * @param vsock          --vsock
 * @param longOptions    --long-options (undocumented, for shell completion): list long options and exit
 * @param shortOptions   --short-options (undocumented, for shell completion): list short options and exit
 */
public record Options(
        String plugin,
        List<String> pluginArgs,
        String port,
        String ipaddr,
        boolean ipv4Only,
        boolean ipv6Only,
        String unixSocket,
        boolean single,
        boolean foreground,
        String pidFile,
        boolean readonly,
        String exportName,
        int threads,
        boolean verbose,
        List<String> debugFlags,
        String run,
        boolean exitWithParent,
        boolean dumpPlugin,
        boolean dumpConfig,
        boolean version,
        boolean help,
        String log,
        int maskHandshake,
        boolean noSr,
        boolean oldstyle,
        String user,
        String group,
        boolean swap,
        String python,
        List<String> filters,
        String tls,
        String tlsCertificates,
        String tlsPsk,
        boolean tlsVerifyPeer,
        String selinuxLabel,
        boolean vsock,
        boolean longOptions,
        boolean shortOptions) {

    public static final int DEFAULT_THREADS = 16;

    public int effectiveThreads() { return threads > 0 ? threads : DEFAULT_THREADS; }
}
