package dev.jnbdkit.log;

import dev.jnbdkit.posix.ProcessCalls;

/** {@code --log=syslog}, and the default for a server in the background: LOG_DAEMON, tagged with the program name. */
public final class SyslogSink implements LogSink {
    @Override
    public void write(Level level, String line) {
        int priority = switch (level) {
            case ERROR -> 3;   // LOG_ERR
            case WARNING -> 4; // LOG_WARNING
            case DEBUG -> 7;   // LOG_DEBUG
        };
        // syslog adds "program[pid]: ", so drop ours.
        String prefix = Log.program() + ": ";
        ProcessCalls.syslog(Log.program(), priority, line.startsWith(prefix) ? line.substring(prefix.length()) : line);
    }
}
