package dev.jnbdkit.pyconf;

import dev.jnbdkit.it.Server.Impl;
import dev.jnbdkit.pyconf.Servers.Spec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Thread models, by timing (coarse bounds only): four reads in flight on one connection, each
 * sleeping one second in the plugin. PARALLEL overlaps them (< 3 s); SERIALIZE_ALL_REQUESTS
 * runs them one after another (>= 3.5 s). The same on both servers.
 */
class PyThreadsIT extends PyConfBase {
    static double elapsed(Obs o) {
        String line = o.client().lines().filter(l -> l.startsWith("elapsed=")).findFirst().orElseThrow(
                () -> new AssertionError(o.client() + "\n" + o.log()));
        return Double.parseDouble(line.substring(8));
    }

    @Test
    void parallelSleeps() throws Exception {
        for (Impl impl : Impl.values()) {
            Obs o = observe(impl, new Spec("sleep.py").env("PYCONF_THREAD", "PARALLEL"), s -> Servers.run(s,
                    List.of(Servers.CLIENT_PYTHON, Servers.client("parallel.py").toString(), s.socket().toString(), "4")).out());
            assertTrue(elapsed(o) < 3.0, impl + " PARALLEL: " + o.client());
        }
    }

    @Test
    void serializeAllRequestsSleeps() throws Exception {
        for (Impl impl : Impl.values()) {
            Obs o = observe(impl, new Spec("sleep.py").env("PYCONF_THREAD", "SERIALIZE_ALL_REQUESTS"), s -> Servers.run(s,
                    List.of(Servers.CLIENT_PYTHON, Servers.client("parallel.py").toString(), s.socket().toString(), "4")).out());
            assertTrue(elapsed(o) >= 3.5, impl + " SERIALIZE_ALL_REQUESTS: " + o.client());
        }
    }
}
