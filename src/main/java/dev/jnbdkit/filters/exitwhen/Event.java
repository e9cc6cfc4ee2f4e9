package dev.jnbdkit.filters.exitwhen;

import dev.jnbdkit.log.Log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** One {@code exit-when-*} event; {@link #happened} checks it now. */
sealed interface Event {
    boolean happened();

    record FileCreated(Path file) implements Event {
        @Override public boolean happened() {
            boolean yes = Files.exists(file, LinkOption.NOFOLLOW_LINKS);
            if (yes) Log.debug("exit-when-file-created: detected " + file + " created");
            return yes;
        }
    }

    record FileDeleted(Path file) implements Event {
        @Override public boolean happened() {
            boolean yes = !Files.exists(file, LinkOption.NOFOLLOW_LINKS);
            if (yes) Log.debug("exit-when-file-deleted: detected " + file + " deleted");
            return yes;
        }
    }

    record PipeClosed(int fd) implements Event {
        @Override public boolean happened() {
            boolean yes = Poll.hungUp(fd);
            if (yes) Log.debug("exit-when-pipe-closed: detected pipe closed");
            return yes;
        }
    }

    record ProcessExits(long pid) implements Event {
        @Override public boolean happened() {
            boolean yes = ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
            if (yes) Log.debug("exit-when-process-exits: detected process " + pid + " exited");
            return yes;
        }
    }

    /** A command run by /bin/sh: exit status 88 means the event happened. */
    record Script(String command) implements Event {
        @Override public boolean happened() {
            try {
                Process p = new ProcessBuilder("/bin/sh", "-c", command)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD) // the server's stdout once configured: /dev/null, as nbdkit's
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
                int status = p.waitFor();
                if (status == 88) {
                    Log.debug("exit-when-script: detected scripted event");
                    return true;
                }
                if (status != 0) Log.error("exit-when-script: script exited with code " + status);
                return false;
            } catch (IOException e) {
                Log.error("exit-when-script: " + command + ": " + e.getMessage());
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
