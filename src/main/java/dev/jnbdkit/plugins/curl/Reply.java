package dev.jnbdkit.plugins.curl;

import java.net.http.HttpHeaders;

/**
 * What one HTTP exchange gave back, whichever transport made it: the status, the headers, and
 * the body's fate: how many bytes landed in the buffer the caller chose for it, -1 if the server
 * sent more than fits there, 0 where the caller asked for no body.
 */
record Reply(int status, HttpHeaders headers, long body) {}
