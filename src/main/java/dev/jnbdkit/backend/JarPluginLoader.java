package dev.jnbdkit.backend;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Loads a user's plugin or filter from a jar: {@code jnbdkit ./my-plugin.jar key=value},
 * {@code jnbdkit --filter=./my-filter.jar ...}.
 *
 * <p>The jar names its class in {@code META-INF/services/dev.jnbdkit.spi.Plugin} (or
 * {@code ...spi.Filter}), as {@link ServiceLoader} expects; exactly one provider must be there. The jar gets its own class
 * loader whose parent is jnbdkit's, so the plugin sees the SPI ({@code dev.jnbdkit.spi}) and the
 * JDK, plus whatever else is in the jar (shade dependencies into it, or list them in the jar
 * manifest's {@code Class-Path}).
 */
public final class JarPluginLoader {
    static final String SERVICE = "META-INF/services/" + Plugin.class.getName();

    private JarPluginLoader() {}

    /** True if the command-line plugin argument names a jar rather than a built-in plugin. */
    public static boolean isJarPath(String plugin) {
        return plugin != null && plugin.endsWith(".jar");
    }

    /** Load and instantiate the one plugin provided by {@code jar}. Errors are PluginException. */
    public static Plugin load(Path jar) {
        return load(jar, Plugin.class.getClassLoader());
    }

    static Plugin load(Path jar, ClassLoader parent) {
        return load(jar, parent, Plugin.class, "plugin");
    }

    /** Load and instantiate the one filter provided by {@code jar}. Errors are PluginException. */
    public static Filter loadFilter(Path jar) {
        return load(jar, Filter.class.getClassLoader(), Filter.class, "filter");
    }

    private static <T> T load(Path jar, ClassLoader parent, Class<T> api, String kind) {
        String service = "META-INF/services/" + api.getName();
        String name = jar.toString();
        if (!Files.exists(jar)) {
            throw new PluginException(Errno.ENOENT, "cannot open " + kind + " jar " + name + ": No such file or directory");
        }
        if (!Files.isRegularFile(jar) || !Files.isReadable(jar)) {
            throw new PluginException(Errno.EINVAL, "cannot open " + kind + " jar " + name + ": not a readable file");
        }
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            if (zip.getEntry(service) == null) {
                throw new PluginException(Errno.EINVAL, name + ": no " + kind + " found: the jar has no " + service
                        + " naming the class that implements " + api.getName());
            }
        } catch (ZipException e) {
            throw new PluginException(Errno.EINVAL, name + ": not a jar file (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new PluginException(Errno.EIO, "cannot open " + kind + " jar " + name + ": " + e.getMessage());
        }

        URL url;
        try {
            url = jar.toAbsolutePath().toUri().toURL();
        } catch (MalformedURLException e) {
            throw new PluginException(Errno.EINVAL, name + ": " + e.getMessage());
        }
        // Never closed: the plugin's classes are in use until the server exits.
        URLClassLoader loader = new URLClassLoader(kind + ":" + jar.getFileName(), new URL[] {url}, parent);
        List<ServiceLoader.Provider<T>> providers;
        try {
            providers = ServiceLoader.load(api, loader).stream()
                    // only the jar's own providers, not ones the parent can see
                    .filter(p -> p.type().getClassLoader() == loader)
                    .toList();
        } catch (ServiceConfigurationError e) {
            throw new PluginException(Errno.EINVAL, name + ": bad " + kind + " service entry: " + rootMessage(e), e);
        }
        if (providers.isEmpty()) {
            throw new PluginException(Errno.EINVAL, name + ": no " + kind + " found: " + service
                    + " lists no class of this jar");
        }
        if (providers.size() > 1) {
            throw new PluginException(Errno.EINVAL, name + ": the jar provides "
                    + providers.size() + " " + kind + "s (" + String.join(", ",
                    providers.stream().map(p -> p.type().getName()).toList())
                    + "); a " + kind + " jar must provide exactly one");
        }
        ServiceLoader.Provider<T> provider = providers.getFirst();
        try {
            return provider.get();
        } catch (ServiceConfigurationError e) {
            throw new PluginException(Errno.EINVAL, name + ": cannot instantiate " + provider.type().getName()
                    + ": " + rootMessage(e), e);
        } catch (RuntimeException | LinkageError e) {
            throw new PluginException(Errno.EINVAL, name + ": cannot instantiate " + provider.type().getName()
                    + ": " + e, e);
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) c = c.getCause();
        String m = c == t ? t.getMessage() : t.getMessage() + ": " + c;
        return m;
    }
}
