package dev.jnbdkit.protocol;

/** The peer broke the protocol in a way that ends the connection (no reply can be framed). */
public class ProtocolException extends RuntimeException {
    public ProtocolException(String message) { super(message); }
}
