package dev.jnbdkit.plugins;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the tmpdisk and ondemand plugins make a new disk file: {@code command=} (a shell fragment)
 * or, by default, {@code truncate} to {@code size=} and {@code mkfs -t TYPE} with the options
 * that let each mkfs write to a plain file without asking ({@code -F} for ext2/3/4, {@code -I}
 * for FAT, {@code -Q -F} and {@code -n} for the label for NTFS, {@code -f} for XFS). The command
 * runs under {@code /bin/sh} with the shell variables {@code $disk}, {@code $size} (in bytes),
 * {@code $type} and {@code $label} (when given) and one for every other {@code key=value}; its
 * stdin and stdout are /dev/null (with {@code -s} they are the client), stderr is the server's.
 */
public final class DiskRecipe {
    /** The default command: nbdkit's behaviour for {@code type=} and {@code label=}, in our words. */
    private static final String MKFS = """
            labelopt=-L
            extra=
            case "$type" in
                ext?) extra=-F ;;
                *fat|msdos) extra=-I ;;
                ntfs) extra='-Q -F'; labelopt=-n ;;
                xfs) extra=-f ;;
            esac
            truncate -s "$size" "$disk" || exit 1
            if [ -z "$label" ]; then
                mkfs -t "$type" $extra "$disk"
            else
                mkfs -t "$type" $extra $labelopt "$label" "$disk"
            fi
            """;

    private String command;
    /** Null: not given; the default command then makes ext4, a command= sees no {@code $type}. */
    private String type;
    private String label;
    private long size = -1;
    private final Map<String, String> variables = new LinkedHashMap<>();

    /**
     * One parameter: {@code command}, {@code type}, {@code label}, {@code size} or any other
     * (a shell variable for the command). {@code disk} is refused: the plugin sets it.
     */
    public void config(String key, String value) {
        switch (key) {
            case "command" -> command = value;
            case "label" -> label = value.isEmpty() ? null : value;
            case "type" -> type = value;
            case "size" -> size = Sizes.parse(value);
            case "disk" -> throw new PluginException(Errno.EINVAL, "'disk' parameter cannot be set on the command line");
            default -> variables.put(key, value);
        }
    }

    public boolean hasSize() { return size >= 0; }

    public long size() { return size; }

    /** Runs the command to create {@code disk}; fails with the command's exit status. */
    public void create(Path disk) {
        StringBuilder sh = new StringBuilder();
        assign(sh, "disk", disk.toString());
        if (label != null) assign(sh, "label", label);
        sh.append("size=").append(size).append('\n');
        if (type != null) assign(sh, "type", type);
        else if (command == null) assign(sh, "type", "ext4");
        variables.forEach((k, v) -> assign(sh, k, v));
        sh.append('\n').append(command != null ? command : MKFS);
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", sh.toString())
                .redirectInput(new File("/dev/null"))
                .redirectOutput(new File("/dev/null"))
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        int status;
        try {
            status = pb.start().waitFor();
        } catch (IOException e) {
            throw new PluginException(Errno.EIO, "command: /bin/sh: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PluginException(4 /* EINTR */, "command: interrupted");
        }
        if (status != 0) {
            Nbdkit.debug("command: " + sh);
            throw new PluginException(Errno.EIO, status > 128
                    ? "command killed by signal " + (status - 128)
                    : "command exited with code " + status);
        }
    }

    private static void assign(StringBuilder sh, String name, String value) {
        sh.append(name).append("='").append(value.replace("'", "'\\''")).append("'\n");
    }
}
