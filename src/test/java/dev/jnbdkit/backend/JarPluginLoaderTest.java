package dev.jnbdkit.backend;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class JarPluginLoaderTest {
    @TempDir Path tmp;

    static final String HELLO = """
            package demo;
            import dev.jnbdkit.spi.*;
            public class Hello implements Plugin {
                public String name() { return "hello"; }
                public Handle open(OpenContext c) {
                    return new Handle() {
                        public long getSize() { return 512; }
                        public void pread(IoBuffer b, long o, int f) { b.segment().fill((byte) 'h'); }
                    };
                }
            }
            """;
    static final String OTHER = """
            package demo;
            public class Other extends Hello { public String name() { return "other"; } }
            """;
    static final String NOT_A_PLUGIN = """
            package demo;
            public class NotAPlugin {}
            """;
    static final String BROKEN = """
            package demo;
            public class Broken extends Hello {
                public Broken() { throw new IllegalStateException("no config file"); }
            }
            """;

    /** Compile {@code sources} (class name -> source) and jar them with the given services file. */
    private Path jar(String name, Map<String, String> sources, String services) throws IOException {
        Path src = Files.createTempDirectory(tmp, "src");
        Path out = Files.createTempDirectory(tmp, "classes");
        List<String> args = new ArrayList<>(List.of("-d", out.toString(),
                "-cp", System.getProperty("java.class.path"), "-proc:none"));
        for (var e : sources.entrySet()) {
            Path f = src.resolve(e.getKey() + ".java");
            Files.writeString(f, e.getValue());
            args.add(f.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertEquals(0, javac.run(null, null, null, args.toArray(String[]::new)), "compilation failed");
        Path jar = tmp.resolve(name);
        try (JarOutputStream jos = new JarOutputStream(Files.newOutputStream(jar));
             Stream<Path> files = Files.walk(out)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                jos.putNextEntry(new JarEntry(out.relativize(p).toString().replace('\\', '/')));
                jos.write(Files.readAllBytes(p));
                jos.closeEntry();
            }
            if (services != null) {
                jos.putNextEntry(new JarEntry(JarPluginLoader.SERVICE));
                jos.write(services.getBytes(StandardCharsets.UTF_8));
                jos.closeEntry();
            }
        }
        return jar;
    }

    @Test
    void loadsTheOneProvider() throws Exception {
        Path jar = jar("hello.jar", Map.of("Hello", HELLO), "# the plugin\ndemo.Hello\n");
        Plugin p = JarPluginLoader.load(jar);
        assertEquals("hello", p.name());
        assertEquals("demo.Hello", p.getClass().getName());
        assertNotSame(getClass().getClassLoader(), p.getClass().getClassLoader());
        var h = p.open(new OpenContext(false, "", false));
        assertEquals(512, h.getSize());
        assertTrue(JarPluginLoader.isJarPath("./hello.jar"));
        assertFalse(JarPluginLoader.isJarPath("memory"));
    }

    @Test
    void missingFile() {
        PluginException e = assertThrows(PluginException.class, () -> JarPluginLoader.load(tmp.resolve("nope.jar")));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
    }

    @Test
    void notAJar() throws IOException {
        Path f = tmp.resolve("plugin.jar");
        Files.writeString(f, "#!/bin/sh\necho not a jar\n");
        PluginException e = assertThrows(PluginException.class, () -> JarPluginLoader.load(f));
        assertTrue(e.getMessage().contains("not a jar file"), e.getMessage());
        assertThrows(PluginException.class, () -> JarPluginLoader.load(tmp));
    }

    @Test
    void noServiceFile() throws Exception {
        Path jar = jar("none.jar", Map.of("Hello", HELLO), null);
        PluginException e = assertThrows(PluginException.class, () -> JarPluginLoader.load(jar));
        assertTrue(e.getMessage().contains("no plugin found"), e.getMessage());
        assertTrue(e.getMessage().contains("META-INF/services/dev.jnbdkit.spi.Plugin"), e.getMessage());
    }

    @Test
    void emptyServiceFile() throws Exception {
        Path jar = jar("empty.jar", Map.of("Hello", HELLO), "# nothing\n");
        PluginException e = assertThrows(PluginException.class, () -> JarPluginLoader.load(jar));
        assertTrue(e.getMessage().contains("no plugin found"), e.getMessage());
    }

    @Test
    void twoProviders() throws Exception {
        Path jar = jar("two.jar", Map.of("Hello", HELLO, "Other", OTHER), "demo.Hello\ndemo.Other\n");
        PluginException e = assertThrows(PluginException.class, () -> JarPluginLoader.load(jar));
        assertTrue(e.getMessage().contains("provides 2 plugins (demo.Hello, demo.Other)"), e.getMessage());
    }

    @Test
    void badEntries() throws Exception {
        Path missing = jar("missing.jar", Map.of("Hello", HELLO), "demo.Missing\n");
        PluginException e = assertThrows(PluginException.class, () -> JarPluginLoader.load(missing));
        assertTrue(e.getMessage().contains("demo.Missing"), e.getMessage());

        Path wrong = jar("wrong.jar", Map.of("NotAPlugin", NOT_A_PLUGIN), "demo.NotAPlugin\n");
        e = assertThrows(PluginException.class, () -> JarPluginLoader.load(wrong));
        assertTrue(e.getMessage().contains("demo.NotAPlugin"), e.getMessage());

        Path broken = jar("broken.jar", Map.of("Hello", HELLO, "Broken", BROKEN), "demo.Broken\n");
        e = assertThrows(PluginException.class, () -> JarPluginLoader.load(broken));
        assertTrue(e.getMessage().contains("cannot instantiate demo.Broken"), e.getMessage());
        assertTrue(e.getMessage().contains("no config file"), e.getMessage());
    }
}
