package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import org.junit.jupiter.api.Test;

/**
 * nbdkit-ip-filter: its rules are parsed as nbdkit parses them (same messages), no rules means no
 * filtering, and a refused client is dropped before the handshake.
 *
 * <p>Not here yet: allow/deny decided by the client's address or Unix credentials. The server does
 * not tell filters who the peer is, so jnbdkit refuses every client when rules are given (the
 * rules' matching is covered by RulesTest); see docs/filters.md.
 */
class IpFilterIT extends FilterItBase {
    @Test
    void noRulesNoFiltering() {
        same(args("--filter=ip", "memory", "1M"), s -> info(s));
        same(args("--filter=ip", "memory", "1M", "allow=", "deny="), s -> info(s));
    }

    @Test
    void refusedBeforeTheHandshake() {
        for (Impl impl : Impl.values()) {
            Server s = start(impl, args("--filter=ip", "memory", "1M", "deny=all"));
            Cmd.of("nbdinfo", s.uri()).fails();
            String msgs = String.join("\n", errors(s));
            String want = impl == Impl.NBDKIT
                    ? "error: client not permitted to connect because of source address restriction"
                    : "error: ip: the client's address is not known";
            assertTrue(msgs.contains(want), impl + "\n" + msgs);
            s.stop();
        }
    }

    @Test
    void badRules() {
        badParameter("don't know how to parse rule: allow=foo", "--filter=ip", "memory", "1M", "allow=foo");
        badParameter("cannot parse address \"1.2.3.4\" from allow=1.2.3.4/33", "--filter=ip", "memory", "1M", "allow=1.2.3.4/33");
        badParameter("cannot parse address \"10.0.0.1\" from deny=10.0.0.1/8", "--filter=ip", "memory", "1M", "deny=10.0.0.1/8");
        badParameter("cannot parse address \"::1\" from allow=::1/129", "--filter=ip", "memory", "1M", "allow=::1/129");
        badParameter("allow: empty string where we expected a number", "--filter=ip", "memory", "1M", "allow=1.2.3.4/x");
        badParameter("uid:: empty string where we expected a number", "--filter=ip", "memory", "1M", "allow=uid:x");
        badParameter("pid: parameter out of range", "--filter=ip", "memory", "1M", "allow=pid:-1");
        badParameter("don't know how to parse rule: allow=1.2.3", "--filter=ip", "memory", "1M", "allow=1.2.3");
        // security: rules are a later nbdkit's; 1.34's page (and 1.32) have none
        badParameter("don't know how to parse rule: allow=security:foo", "--filter=ip", "memory", "1M", "allow=security:foo");
    }
}
