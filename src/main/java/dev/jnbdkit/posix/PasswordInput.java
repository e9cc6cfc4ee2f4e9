package dev.jnbdkit.posix;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The reading behind nbdkit_read_password's {@code -}, {@code -FD} and {@code +FILE} forms
 * (spi/Passwords tells the forms apart), as nbdkit 1.32 does it: one line, its newline dropped,
 * the buffers wiped; errors are nbdkit's messages.
 */
public final class PasswordInput {
    private PasswordInput() {}

    /** One line from stdin, a terminal, with echo off after a {@code password: } prompt on stdout. */
    public static byte[] fromTerminal() {
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

    /** The first line of the file {@code path}. */
    public static byte[] firstLineOfFile(String path) {
        int fd = FileCalls.open(path, FileCalls.O_RDONLY | FileCalls.O_CLOEXEC);
        if (fd < 0) throw new PluginException(FileCalls.errno(), "open " + path + ": " + FileCalls.strerror(FileCalls.errno()));
        return firstLine(path, fd);
    }

    /** The first line of {@code fd} without its newline; closes {@code fd}. */
    public static byte[] firstLine(String what, int fd) {
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
