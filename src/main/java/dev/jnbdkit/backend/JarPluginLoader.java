package dev.jnbdkit.backend;

import dev.jnbdkit.spi.Errno;
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
 * Loads a user's plugin from a jar: {@code jnbdkit ./my-plugin.jar key=value}.
 *
 * <p>The jar names its plugin class in {@code META-INF/services/dev.jnbdkit.spi.Plugin}, as
 * {@link ServiceLoader} expects; exactly one provider must be there. The jar gets its own class
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
        String name = jar.toString();
        if (!Files.exists(jar)) {
            throw new PluginException(Errno.ENOENT, "cannot open plugin jar " + name + ": No such file or directory");
        }
        if (!Files.isRegularFile(jar) || !Files.isReadable(jar)) {
            throw new PluginException(Errno.EINVAL, "cannot open plugin jar " + name + ": not a readable file");
        }
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            if (zip.getEntry(SERVICE) == null) {
                throw new PluginException(Errno.EINVAL, name + ": no plugin found: the jar has no " + SERVICE
                        + " naming the class that implements " + Plugin.class.getName());
            }
        } catch (ZipException e) {
            throw new PluginException(Errno.EINVAL, name + ": not a jar file (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new PluginException(Errno.EIO, "cannot open plugin jar " + name + ": " + e.getMessage());
        }

        URL url;
        try {
            url = jar.toAbsolutePath().toUri().toURL();
        } catch (MalformedURLException e) {
            throw new PluginException(Errno.EINVAL, name + ": " + e.getMessage());
        }
        // Never closed: the plugin's classes are in use until the server exits.
        URLClassLoader loader = new URLClassLoader("plugin:" + jar.getFileName(), new URL[] {url}, parent);
        List<ServiceLoader.Provider<Plugin>> providers;
        try {
            providers = ServiceLoader.load(Plugin.class, loader).stream()
                    // only the jar's own providers, not ones the parent can see
                    .filter(p -> p.type().getClassLoader() == loader)
                    .toList();
        } catch (ServiceConfigurationError e) {
            throw new PluginException(Errno.EINVAL, name + ": bad plugin service entry: " + rootMessage(e), e);
        }
        if (providers.isEmpty()) {
            throw new PluginException(Errno.EINVAL, name + ": no plugin found: " + SERVICE
                    + " lists no class of this jar");
        }
        if (providers.size() > 1) {
            throw new PluginException(Errno.EINVAL, name + ": the jar provides "
                    + providers.size() + " plugins (" + String.join(", ",
                    providers.stream().map(p -> p.type().getName()).toList())
                    + "); a plugin jar must provide exactly one");
        }
        ServiceLoader.Provider<Plugin> provider = providers.getFirst();
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
