package dev.jnbdkit.plugins.ssh;

import com.jcraft.jsch.Logger;
import dev.jnbdkit.spi.Nbdkit;

/**
 * {@code -D ssh.log=N}: JSch's messages as debug lines ({@code -v} shows them). Level 1 shows
 * JSch's informational messages (its protocol steps: algorithms, host key, authentication),
 * warnings and errors; 2 and more add its debug messages. JSch has no packet or function
 * tracing, so 3 and 4 show what 2 shows.
 */
record JschDebugLog(int level) implements Logger {
    @Override
    public boolean isEnabled(int jschLevel) {
        if (level <= 0) return false;
        return level >= 2 || jschLevel >= Logger.INFO;
    }

    @Override
    public void log(int jschLevel, String message) {
        if (isEnabled(jschLevel)) Nbdkit.debug("ssh: " + message);
    }
}
