package dev.jnbdkit.spi;

/**
 * What a plugin may know when a client opens an export.
 *
 * @param readonly   true if the export must be read-only (server {@code -r})
 * @param exportName the export name the client asked for (after default_export resolution);
 *                   client-supplied, so not to be trusted
 * @param isTls      true if the connection is protected by TLS
 */
public record OpenContext(boolean readonly, String exportName, boolean isTls) {}
