package dev.jnbdkit.plugins.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The real {@link DataEvaluator.Sources}: files from the file system, scripts run by
 * {@code /bin/sh -c}, variables from the plugin's other parameters first, then the environment.
 */
final class SystemSources implements DataEvaluator.Sources {
    private final Map<String, String> parameters;

    SystemSources(Map<String, String> parameters) { this.parameters = parameters; }

    @Override
    public byte[] file(String path, long limit) {
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            return readUpTo(in, limit);
        } catch (NoSuchFileException e) {
            throw DataParser.error(path + ": No such file or directory");
        } catch (AccessDeniedException e) {
            throw DataParser.error(path + ": Permission denied");
        } catch (IOException e) {
            throw DataParser.error(path + ": " + (Files.isDirectory(Path.of(path)) ? "Is a directory" : e.getMessage()));
        }
    }

    @Override
    public byte[] script(String script, long limit) {
        Process p;
        try {
            p = new ProcessBuilder("/bin/sh", "-c", script)
                    .redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
        } catch (IOException e) {
            throw DataParser.error("popen: " + e.getMessage());
        }
        try (InputStream in = p.getInputStream()) {
            byte[] out = readUpTo(in, limit);
            if (limit >= 0 && out.length == limit) {
                // The slice has what it needs; a script that writes for ever is stopped here.
                p.destroy();
                return out;
            }
            if (p.waitFor() != 0) throw DataParser.error("pclose: external command failed");
            return out;
        } catch (IOException e) {
            p.destroy();
            throw DataParser.error("fread: " + e.getMessage());
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw DataParser.error("pclose: interrupted");
        }
    }

    @Override
    public String variable(String name) {
        String v = parameters.get(name);
        return v != null ? v : System.getenv(name);
    }

    private static byte[] readUpTo(InputStream in, long limit) throws IOException {
        if (limit < 0) return in.readAllBytes();
        if (limit > Integer.MAX_VALUE - 8) throw DataParser.error("data parameter: slice of more than 2 GiB of a file or script");
        return in.readNBytes((int) limit);
    }
}
