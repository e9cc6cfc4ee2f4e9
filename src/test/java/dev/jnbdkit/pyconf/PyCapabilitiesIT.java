package dev.jnbdkit.pyconf;

import dev.jnbdkit.pyconf.Servers.Spec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every can_* callback (and is_rotational) returning true and false, and absent (the defaults,
 * which depend on which data callbacks exist), through libnbd: the flags the client sees, what
 * happens to each kind of request, and which callbacks the plugin receives, compared with nbdkit.
 */
class PyCapabilitiesIT extends PyConfBase {
    /** libnbd in strict mode: it sends only what the server advertised. */
    static final String[] OPS = {"strict", "info", "write:0:4096:1", "write:4096:4096:2:fua", "flush",
            "trim:0:512", "trim:512:512:fua", "zero:8192:4096", "zero:12288:4096:nohole",
            "zero:16384:4096:fua+fast", "cache:0:4096", "extents:0:32768", "extents:0:32768:reqone",
            "read:0:20480"};

    /** {@code caps=...;omit=...} as in conf.py's PYCONF_CAPS and PYCONF_OMIT. */
    static Spec spec(String c) {
        Spec s = new Spec("conf.py", "size=64k");
        for (String part : c.split(";")) {
            if (part.startsWith("caps=")) s.env("PYCONF_CAPS", part.substring(5));
            else if (part.startsWith("omit=")) s.env("PYCONF_OMIT", part.substring(5));
            else if (!part.equals("defaults")) throw new IllegalArgumentException(part);
        }
        return s;
    }

    @ParameterizedTest
    @ValueSource(strings = {
            // absent: the defaults follow which data callbacks exist
            "defaults",
            "omit=pwrite", "omit=flush", "omit=trim", "omit=zero", "omit=cache", "omit=extents",
            "omit=pwrite,flush,trim,zero,cache,extents",
            // every can_* true at once, then each false on its own
            "caps=can_write=1,can_flush=1,can_trim=1,can_zero=1,can_fast_zero=1,can_multi_conn=1,is_rotational=1,can_extents=1",
            "caps=can_write=0", "caps=can_flush=0", "caps=can_trim=0", "caps=can_zero=0",
            "caps=can_fast_zero=0", "caps=can_multi_conn=0", "caps=is_rotational=0", "caps=can_extents=0",
            "caps=can_fua=none", "caps=can_fua=emulate", "caps=can_fua=native",
            "caps=can_cache=none", "caps=can_cache=emulate", "caps=can_cache=native",
            // FUA emulation needs a flush function, not can_flush (nbdkit-plugin(3), .can_fua)
            "caps=can_fua=emulate;omit=flush",
            "caps=can_zero=1,can_fast_zero=1;omit=zero",
            "caps=can_write=0,can_flush=1,can_trim=1,can_zero=1,can_fua=native,can_cache=native",
    })
    void capability(String c) throws Exception {
        sameWithTrace(spec(c), s -> Servers.probe(s, "-", OPS));
    }

    /** The same matrix through nbdinfo --json (the flags and sizes nbdinfo reports). */
    @ParameterizedTest
    @ValueSource(strings = {
            "defaults", "omit=pwrite,flush,trim,zero,cache,extents",
            "caps=can_write=0,can_flush=0,can_trim=0,can_zero=0,can_fast_zero=0,can_multi_conn=0,is_rotational=0,can_extents=0,can_fua=none,can_cache=none",
            "caps=can_write=1,can_flush=1,can_trim=1,can_zero=1,can_fast_zero=1,can_multi_conn=1,is_rotational=1,can_extents=1,can_fua=native,can_cache=native",
    })
    void nbdinfoJson(String c) throws Exception {
        same(spec(c), s -> Servers.run(s, java.util.List.of("nbdinfo", "--json", s.uri())).out());
    }

    /**
     * Known difference (deliberate): jnbdkit takes any truthy value from a can_* callback as
     * true (here 7 and "yes"), and falsy ones (0, "") as false. nbdkit 1.32.5 wants True itself.
     */
    @Test
    void truthyCapabilities() throws Exception {
        Obs j = observe(dev.jnbdkit.it.Server.Impl.JNBDKIT, spec("caps=can_write=7,can_trim='yes',can_multi_conn=0,is_rotational=''"),
                s -> Servers.probe(s, "-", "info", "write:0:512:1", "trim:0:512"));
        assertContains(j.client(), "is_read_only=0 can_flush=1 can_fua=1 can_trim=1");
        assertContains(j.client(), "can_multi_conn=0");
        assertContains(j.client(), "is_rotational=0");
        assertLine(j.client(), "write:0:512:1 -> ok");
        assertLine(j.client(), "trim:0:512 -> ok");
    }
}
