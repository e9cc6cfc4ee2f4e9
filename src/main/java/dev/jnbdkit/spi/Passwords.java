package dev.jnbdkit.spi;

import dev.jnbdkit.posix.FileCalls;
import dev.jnbdkit.posix.ProcessCalls;
import dev.jnbdkit.posix.TerminalCalls;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * nbdkit_read_password(3) for any plugin or filter (the python plugin's
 * {@code nbdkit.read_password}, the ssh plugin's {@code password=}, the luks filter's
 * {@code passphrase=}), as nbdkit 1.32 behaves (checked against it): {@code VALUE} is the
 * password; {@code -} reads one line from stdin, which must be a terminal, with echo off and a
 * {@code password: } prompt on stdout (refused under {@code -s}); {@code -FD} reads the first
 * line of an inherited descriptor (not 0, 1 or 2) and closes it; {@code +FILE} reads the first
 * line of a file. One trailing newline is dropped; an empty file is an empty password. Errors
 * are nbdkit's messages.
 *
 * <p>Shared by the python plugin's {@code nbdkit.read_password} and the plugins with password
 * parameters (curl's {@code password=}, {@code proxy-password=} and {@code cookie=}, ssh's
 * {@code password=}).
 */
public final class Passwords {
    private Passwords() {}

    public static byte[] read(String value) {
        if (value.equals("-")) return fromTerminal();
        if (value.startsWith("-")) {
            int fd = parseFd(value.substring(1));
            if (fd == 0 || fd == 1 || fd == 2) {
                throw new PluginException(Errno.EINVAL, "cannot use password -FD for stdin/stdout/stderr");
            }
            return firstLine(value.substring(1), fd);
        }
        if (value.startsWith("+")) {
            String path = value.substring(1);
            int fd = FileCalls.open(path, FileCalls.O_RDONLY | FileCalls.O_CLOEXEC);
            if (fd < 0) throw new PluginException(FileCalls.errno(), "open " + path + ": " + FileCalls.strerror(FileCalls.errno()));
            return firstLine(path, fd);
        }
        return value.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] fromTerminal() {
        if (!Nbdkit.stdioSafe()) throw new PluginException(Errno.EINVAL, "stdin is not available for reading password");
        if (!TerminalCalls.isatty(0)) {
            throw new PluginException(Errno.EINVAL, "stdin is not a tty, cannot read password interactively");
        }
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        // Echo off first, then the prompt: what is typed after the prompt is never echoed.
        try (AutoCloseable echo = TerminalCalls.echoOff(0); Arena a = Arena.ofConfined()) {
            System.out.print("password: ");
            System.out.flush();
            MemorySegment one = a.allocate(1);
            while (true) {
                long n = ProcessCalls.read(0, one, 1);
                if (n <= 0) break;
                byte b = one.get(JAVA_BYTE, 0);
                if (b == '\n') break;
                line.write(b);
            }
            one.fill((byte) 0);
        } catch (Exception e) {
            throw new PluginException(Errno.EIO, "could not read password from stdin: " + e.getMessage());
        } finally {
            System.out.println();
            System.out.flush();
        }
        return line.toByteArray();
    }

    /** The descriptor number as nbdkit_parse_int reads it. */
    private static int parseFd(String s) {
        return Numbers.parseInt("password file descriptor", s);
    }

    /** The first line of {@code fd} without its newline; closes {@code fd}. */
    private static byte[] firstLine(String what, int fd) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(4096);
            outer:
            while (true) {
                long n = ProcessCalls.read(fd, buf, buf.byteSize());
                if (n <= 0) break;
                for (long i = 0; i < n; i++) {
                    byte b = buf.get(JAVA_BYTE, i);
                    if (b == '\n') break outer;
                    line.write(b);
                }
            }
            buf.fill((byte) 0);
        } catch (ProcessCalls.PosixException e) {
            throw new PluginException(e.errno(), (e.errno() == Errno.EBADF ? "fdopen " : "could not read password from ")
                    + what + ": " + FileCalls.strerror(e.errno()));
        } finally {
            FileCalls.close(fd);
        }
        return line.toByteArray();
    }
}
