package dev.jnbdkit.cli;

import dev.jnbdkit.backend.PluginRegistry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A plugin written in a scripting language and installed in a plugin directory as
 * {@code nbdkit-NAME-plugin} (nbdkit-plugin(3), "WRITING PLUGINS IN OTHER PROGRAMMING LANGUAGES"):
 * executable, with a shebang line naming the language plugin, such as
 * {@code #!/usr/sbin/nbdkit python}. nbdkit re-executes such a script, so that the kernel starts
 * {@code nbdkit LANGUAGE SCRIPT ARGS...}; jnbdkit cannot do that (the shebang names nbdkit's
 * binary, not ours), so it reads the language from the shebang and runs the script through its own
 * language plugin in this process, with the same arguments.
 *
 * <p>Directories searched, in order: jnbdkit's plugin directory, then nbdkit's (both in
 * {@code --dump-config}: {@code plugindir} and {@code nbdkit_plugindir}). A built-in plugin's
 * name is never looked up as a script.
 *
 * @param path     the script
 * @param language the language plugin its shebang names (python: the one built-in plugin that loads a
 *                 script as code)
 */
record PluginScript(Path path, String language) {

    /** nbdkit's is_short_name: a plugin name without a dot or a slash is looked up, not opened. */
    static boolean isShortName(String name) {
        return name.indexOf('.') < 0 && name.indexOf('/') < 0;
    }

    /**
     * The options with the plugin rewritten when {@code o.plugin()} names a script in a plugin
     * directory: {@code NAME ARGS...} becomes {@code LANGUAGE SCRIPT ARGS...}. Unchanged otherwise.
     */
    static Options resolve(Options o) {
        String name = o.plugin();
        if (name == null || !isShortName(name) || PluginRegistry.builtinNames().contains(name)) return o;
        Optional<Path> script = find(name, VersionInfo.pluginDirs());
        if (script.isEmpty()) return o;
        PluginScript s = of(name, script.get());
        List<String> args = new ArrayList<>(o.pluginArgs().size() + 1);
        args.add(s.path().toString());
        args.addAll(o.pluginArgs());
        return o.withPlugin(s.language(), args);
    }

    /** The first executable {@code nbdkit-NAME-plugin} (a regular file) in {@code dirs}. */
    static Optional<Path> find(String name, List<Path> dirs) {
        for (Path d : dirs) {
            Path p = d.resolve("nbdkit-" + name + "-plugin");
            // nbdkit: stat() succeeds and the owner's execute bit is set
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** The script at {@code path} (plugin {@code name}) with the language its shebang names. */
    static PluginScript of(String name, Path path) {
        String first;
        try (InputStream in = Files.newInputStream(path)) {
            first = firstLine(in.readNBytes(4096));
        } catch (IOException e) {
            throw new Main.Fatal("cannot open plugin '" + name + "': " + path + ": " + e.getMessage());
        }
        String language = language(first);
        if (language == null) {
            throw new Main.Fatal("cannot open plugin '" + name + "': " + path
                    + ": not a plugin script: its first line must name nbdkit and a language plugin,"
                    + " as in #!/usr/sbin/nbdkit python");
        }
        if (language.equals("sh") || language.equals("eval")) {
            // the sh plugin executes its script, so the kernel would start the shebang's nbdkit
            // again with the same script: under nbdkit that recursion never ends
            throw new Main.Fatal("cannot open plugin '" + name + "': " + path + " is written for nbdkit's " + language
                    + " plugin, which executes its script through the shebang line, and that line names nbdkit:"
                    + " run it as '" + language + " SCRIPT' with an interpreter in its first line instead");
        }
        if (!PluginRegistry.builtinNames().contains(language) || !SCRIPT_LANGUAGES.contains(language)) {
            throw new Main.Fatal("cannot open plugin '" + name + "': " + path + " is written for nbdkit's "
                    + language + " plugin, which jnbdkit does not have (it runs plugin scripts written in Python)");
        }
        return new PluginScript(path, language);
    }

    /** The built-in plugins that load a plugin script as code (sh executes it instead: see {@link #of}). */
    static final Set<String> SCRIPT_LANGUAGES = Set.of("python");

    private static String firstLine(byte[] head) {
        int end = 0;
        while (end < head.length && head[end] != '\n') end++;
        return new String(head, 0, end, StandardCharsets.UTF_8);
    }

    /**
     * The language plugin a shebang line names, or null if it names none. As the kernel reads it:
     * {@code #!}, the interpreter, then the rest of the line as one argument. The interpreter must
     * be nbdkit (any path, jnbdkit too), and the argument a plugin's short name:
     * {@code #!/usr/sbin/nbdkit python}. {@code #!/usr/bin/env nbdkit python} and
     * {@code #!/usr/bin/env -S nbdkit python} name the same.
     */
    static String language(String line) {
        if (!line.startsWith("#!")) return null;
        String rest = line.substring(2).strip();
        int sp = indexOfBlank(rest);
        String interpreter = sp < 0 ? rest : rest.substring(0, sp);
        String arg = sp < 0 ? "" : rest.substring(sp).strip();
        String base = interpreter.substring(interpreter.lastIndexOf('/') + 1);
        List<String> words = new ArrayList<>(List.of(arg.split("[ \t]+")));
        words.removeIf(String::isEmpty);
        if (base.equals("env")) {
            if (!words.isEmpty() && words.getFirst().equals("-S")) words.removeFirst();
            if (words.isEmpty()) return null;
            String prog = words.removeFirst();
            base = prog.substring(prog.lastIndexOf('/') + 1);
        }
        if (!base.contains("nbdkit") || words.size() != 1) return null;
        String language = words.getFirst();
        return isShortName(language) && !language.startsWith("-") ? language : null;
    }

    private static int indexOfBlank(String s) {
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == ' ' || s.charAt(i) == '\t') return i;
        return -1;
    }
}
