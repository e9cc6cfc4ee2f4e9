package dev.jnbdkit.cli;

import dev.jnbdkit.log.Log;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns the raw arguments after the plugin name into the {@code (key, value)} pairs the plugin's
 * {@code config} callback receives, with nbdkit's rules:
 * <ul>
 * <li>{@code key=value} splits at the first {@code =}, provided the key is a config key (an ASCII
 *     letter, then letters, digits, {@code .}, {@code _} or {@code -}); otherwise the whole word is
 *     a bare value ({@code =x}, {@code 1a=x} and {@code a b=x} are bare).</li>
 * <li>A bare value belongs to the plugin's magic config key, wherever it appears and however many
 *     there are.</li>
 * <li>A plugin without a magic config key (the scripting plugins, python among them) takes a bare
 *     <em>first</em> argument as {@code script=VALUE}; a bare value anywhere else is an error.</li>
 * </ul>
 */
public final class PluginArgs {
    private PluginArgs() {}

    /** The key a bare first argument gets when the plugin has no magic config key. */
    public static final String SCRIPT_KEY = "script";

    /** One configuration parameter. */
    public record KeyValue(String key, String value) {
        @Override public String toString() { return key + "=" + value; }
    }

    /** All arguments, in order. Fails at the first argument nbdkit would refuse. */
    public static List<KeyValue> parse(List<String> raw, String magicKey) throws UsageException {
        List<KeyValue> out = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) out.add(interpret(raw.get(i), i, magicKey));
        return out;
    }

    /**
     * One argument at position {@code index} (0 = the first after the plugin name). Call it in
     * order between {@code config} calls to fail at the same point nbdkit does.
     */
    public static KeyValue interpret(String arg, int index, String magicKey) throws UsageException {
        int eq = arg.indexOf('=');
        if (eq >= 0 && isConfigKey(arg, eq)) return new KeyValue(arg.substring(0, eq), arg.substring(eq + 1));
        if (magicKey != null) return new KeyValue(magicKey, arg);
        if (index == 0) return new KeyValue(SCRIPT_KEY, arg);
        throw new UsageException(Log.line("expecting key=value on the command line but got: " + arg));
    }

    /** Whether {@code s.substring(0, len)} is a valid config key. */
    public static boolean isConfigKey(String s, int len) {
        if (len == 0 || !isAsciiLetter(s.charAt(0))) return false;
        for (int i = 1; i < len; i++) {
            char c = s.charAt(i);
            if (!isAsciiLetter(c) && !(c >= '0' && c <= '9') && c != '.' && c != '_' && c != '-') return false;
        }
        return true;
    }

    /** Whether the whole string is a valid config key. */
    public static boolean isConfigKey(String key) { return isConfigKey(key, key.length()); }

    private static boolean isAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
}
