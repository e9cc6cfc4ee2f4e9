package dev.jnbdkit.plugins.sh;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * {@code sh}: a plugin written as one script (or any executable), nbdkit-sh-plugin(1).
 * {@code script=PATH} must come first (it is the magic key: {@code jnbdkit sh ./disk.sh}); each
 * later {@code key=value} goes to the script's config method, a bare value to the key the
 * script's magic_config_key method names. {@code script=-} reads an inline script from stdin.
 */
public final class ShPlugin extends ScriptPlugin {
    private String script;
    private String scriptMagicKey;

    public ShPlugin() {}

    @Override public String name() { return "sh"; }


    @Override public String configHelp() {
        return "script=<FILENAME>     (required) The shell script to run.\n"
                + "[other arguments may be used by the plugin that you load]";
    }

    @Override public String magicConfigKey() { return "script"; }

    @Override String scriptFor(String method) { return script; }

    /** The sh plugin cannot see which methods a script has: every missing can_* is false. */
    @Override boolean definedDefault(String canMethod) { return false; }

    @Override
    public void config(String key, String value) {
        if (script == null) {
            if (!key.equals("script")) throw configError("the first parameter must be script=/path/to/script");
            script = value.equals("-") ? inlineScript() : realpath(value);
            noAnswer("load");
            scriptMagicKey = askMagicConfigKey();
            return;
        }
        // A bare value arrives as script=VALUE (the plugin's magic key): it belongs to the script's key.
        if (key.equals("script")) {
            if (scriptMagicKey == null) {
                throw configError(script + ": expecting key=value on the command line but got: " + value);
            }
            key = scriptMagicKey;
        }
        ScriptCalls.Reply r = calls().call(script, "config", key, value);
        switch (r.answer()) {
            case OK -> { }
            case MISSING -> throw configError(script + ": this plugin does not need command line configuration");
            case FALSE -> throw ScriptCalls.unexpectedFalse(script, "config");
        }
    }

    @Override
    public void configComplete() {
        if (script == null) throw configError("missing script parameter");
        super.configComplete();
    }

    /**
     * {@code script=-}: the script is read from stdin into {@code $tmpdir/inline-script.sh}. With
     * {@code -s} stdin is the client, so this is refused.
     */
    private String inlineScript() {
        if (!StdioSafety.stdinIsOurs()) throw configError("inline script is incompatible with -s");
        Path file = tmpdir().resolve("inline-script.sh");
        try {
            byte[] text = System.in.readAllBytes();
            Files.write(file, text);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new PluginException(Errno.EIO, "inline script: " + file + ": " + e.getMessage());
        }
        return file.toString();
    }

    /** nbdkit_realpath: the script keeps working if the server changes directory. */
    private static String realpath(String value) {
        try {
            return Path.of(value).toRealPath().toString();
        } catch (NoSuchFileException e) {
            throw configError("realpath: " + value + ": No such file or directory");
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw configError("realpath: " + value + ": " + e.getMessage());
        }
    }
}
