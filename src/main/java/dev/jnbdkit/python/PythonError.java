package dev.jnbdkit.python;

/**
 * What a Python callback raised, in one line ({@code pread: RuntimeError: boom}): the cause of the
 * {@link dev.jnbdkit.spi.PluginException} a connection-time callback fails with. The full
 * traceback has already been logged the way nbdkit logs it, so the PluginException itself carries
 * no message (the server then logs nothing more and tells the client only "pread failed").
 */
public final class PythonError extends RuntimeException {
    public PythonError(String summary) {
        super(summary, null, false, false);
    }
}
