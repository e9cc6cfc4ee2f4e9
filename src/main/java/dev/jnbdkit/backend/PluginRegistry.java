package dev.jnbdkit.backend;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The plugins and filters that ship with jnbdkit, by the name typed on the command line. Classes
 * are named rather than referenced so that only the chosen ones load (start-up time).
 */
public final class PluginRegistry {
    // Every start names its plugin and filters here (or builds a Stack) before any of their code
    // runs: the SPI's log and password calls reach the server from then on.
    static { ServerHost.install(); }

    private static final Map<String, String> BUILTIN = Map.ofEntries(
            Map.entry("curl", "dev.jnbdkit.plugins.curl.CurlPlugin"),
            Map.entry("data", "dev.jnbdkit.plugins.data.DataPlugin"),
            Map.entry("eval", "dev.jnbdkit.plugins.sh.EvalPlugin"),
            Map.entry("file", "dev.jnbdkit.plugins.file.FilePlugin"),
            Map.entry("full", "dev.jnbdkit.plugins.full.FullPlugin"),
            Map.entry("info", "dev.jnbdkit.plugins.info.InfoPlugin"),
            Map.entry("memory", "dev.jnbdkit.plugins.memory.MemoryPlugin"),
            Map.entry("nbd", "dev.jnbdkit.plugins.nbd.NbdPlugin"),
            Map.entry("null", "dev.jnbdkit.plugins.nullplugin.NullPlugin"),
            Map.entry("partitioning", "dev.jnbdkit.plugins.partitioning.PartitioningPlugin"),
            Map.entry("ondemand", "dev.jnbdkit.plugins.ondemand.OndemandPlugin"),
            Map.entry("pattern", "dev.jnbdkit.plugins.pattern.PatternPlugin"),
            Map.entry("python", "dev.jnbdkit.python.PythonPlugin"),
            Map.entry("random", "dev.jnbdkit.plugins.random.RandomPlugin"),
            Map.entry("sh", "dev.jnbdkit.plugins.sh.ShPlugin"),
            Map.entry("sparse-random", "dev.jnbdkit.plugins.random.SparseRandomPlugin"),
            Map.entry("split", "dev.jnbdkit.plugins.split.SplitPlugin"),
            Map.entry("ssh", "dev.jnbdkit.plugins.ssh.SshPlugin"),
            Map.entry("tmpdisk", "dev.jnbdkit.plugins.tmpdisk.TmpdiskPlugin"),
            Map.entry("zero", "dev.jnbdkit.plugins.zero.ZeroPlugin"));

    private static final Map<String, String> FILTERS = Map.ofEntries(
            Map.entry("blocksize", "dev.jnbdkit.filters.blocksize.BlocksizeFilter"),
            Map.entry("blocksize-policy", "dev.jnbdkit.filters.blocksizepolicy.BlocksizePolicyFilter"),
            Map.entry("cache", "dev.jnbdkit.filters.cache.CacheFilter"),
            Map.entry("cacheextents", "dev.jnbdkit.filters.cacheextents.CacheExtentsFilter"),
            Map.entry("checkwrite", "dev.jnbdkit.filters.checkwrite.CheckWriteFilter"),
            Map.entry("cow", "dev.jnbdkit.filters.cow.CowFilter"),
            Map.entry("ddrescue", "dev.jnbdkit.filters.ddrescue.DdrescueFilter"),
            Map.entry("delay", "dev.jnbdkit.filters.delay.DelayFilter"),
            Map.entry("error", "dev.jnbdkit.filters.error.ErrorFilter"),
            Map.entry("exitlast", "dev.jnbdkit.filters.exitlast.ExitLastFilter"),
            Map.entry("exitwhen", "dev.jnbdkit.filters.exitwhen.ExitWhenFilter"),
            Map.entry("exportname", "dev.jnbdkit.filters.exportname.ExportNameFilter"),
            Map.entry("ext2", "dev.jnbdkit.filters.ext2.Ext2Filter"),
            Map.entry("extentlist", "dev.jnbdkit.filters.extentlist.ExtentListFilter"),
            Map.entry("fua", "dev.jnbdkit.filters.fua.FuaFilter"),
            Map.entry("gzip", "dev.jnbdkit.filters.gzip.GzipFilter"),
            Map.entry("ip", "dev.jnbdkit.filters.ip.IpFilter"),
            Map.entry("limit", "dev.jnbdkit.filters.limit.LimitFilter"),
            Map.entry("log", "dev.jnbdkit.filters.log.LogFilter"),
            Map.entry("luks", "dev.jnbdkit.filters.luks.LuksFilter"),
            Map.entry("multi-conn", "dev.jnbdkit.filters.multiconn.MultiConnFilter"),
            Map.entry("nocache", "dev.jnbdkit.filters.nocache.NoCacheFilter"),
            Map.entry("noextents", "dev.jnbdkit.filters.noextents.NoExtentsFilter"),
            Map.entry("nofilter", "dev.jnbdkit.filters.nofilter.NoFilter"),
            Map.entry("noparallel", "dev.jnbdkit.filters.noparallel.NoParallelFilter"),
            Map.entry("nozero", "dev.jnbdkit.filters.nozero.NoZeroFilter"),
            Map.entry("offset", "dev.jnbdkit.filters.offset.OffsetFilter"),
            Map.entry("partition", "dev.jnbdkit.filters.partition.PartitionFilter"),
            Map.entry("pause", "dev.jnbdkit.filters.pause.PauseFilter"),
            Map.entry("protect", "dev.jnbdkit.filters.protect.ProtectFilter"),
            Map.entry("rate", "dev.jnbdkit.filters.rate.RateFilter"),
            Map.entry("readahead", "dev.jnbdkit.filters.readahead.ReadaheadFilter"),
            Map.entry("retry", "dev.jnbdkit.filters.retry.RetryFilter"),
            Map.entry("retry-request", "dev.jnbdkit.filters.retryrequest.RetryRequestFilter"),
            Map.entry("scan", "dev.jnbdkit.filters.scan.ScanFilter"),
            Map.entry("stats", "dev.jnbdkit.filters.stats.StatsFilter"),
            Map.entry("swab", "dev.jnbdkit.filters.swab.SwabFilter"),
            Map.entry("tar", "dev.jnbdkit.filters.tar.TarFilter"),
            Map.entry("tls-fallback", "dev.jnbdkit.filters.tlsfallback.TlsFallbackFilter"),
            Map.entry("truncate", "dev.jnbdkit.filters.truncate.TruncateFilter"),
            Map.entry("xz", "dev.jnbdkit.filters.xz.XzFilter"));

    private PluginRegistry() {}

    public static Set<String> builtinNames() { return new TreeSet<>(BUILTIN.keySet()); }

    public static Set<String> filterNames() { return new TreeSet<>(FILTERS.keySet()); }

    /** A new instance of the built-in plugin {@code name}, or null if there is none. */
    public static Plugin builtin(String name) {
        return instantiate(BUILTIN.get(name), "plugin", name, Plugin.class);
    }

    /** The single plugin a user's jar provides through {@link java.util.ServiceLoader}. */
    public static Plugin fromJar(Path jar) {
        return JarPluginLoader.load(jar);
    }

    /**
     * The filter {@code --filter=NAME} names: a built-in one, or the one a jar provides
     * ({@code --filter=./x.jar}). Throws PluginException with nbdkit's message when there is none.
     */
    public static Filter filter(String name) {
        if (JarPluginLoader.isJarPath(name)) return JarPluginLoader.loadFilter(Path.of(name));
        Filter f = instantiate(FILTERS.get(name), "filter", name, Filter.class);
        if (f == null && NbdkitFilters.NAMES.contains(name)) {
            throw new PluginException(Errno.ENOENT, "cannot open filter '" + name + "': nbdkit's " + name
                    + " filter is not in jnbdkit yet");
        }
        if (f == null) {
            throw new PluginException(Errno.ENOENT, "cannot open filter '" + name
                    + "': no such built-in filter or filter jar\n"
                    + "Use '" + Log.program() + " --help' or read the nbdkit(1) manual page for documentation.");
        }
        return f;
    }

    private static <T> T instantiate(String cls, String kind, String name, Class<T> type) {
        if (cls == null) return null;
        try {
            return type.cast(Class.forName(cls).getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("built-in " + kind + " " + name + " is missing from this build: " + e, e);
        }
    }
}
