package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Export listing and naming (NBD_OPT_LIST through nbdinfo --list, and GO by name). */
class ExportsIT extends ItBase {

    @Test
    void listMemory() {
        Server s = unix("memory", "1G");
        Json j = nbdinfoJson("--list", s.uri());
        assertEquals("newstyle-fixed", j.get("protocol").asString());
        assertEquals(1, j.get("exports").size(), j.toString());
        Json e = j.get("exports").at(0);
        assertEquals("", e.get("export-name").asString());
        assertEquals(1L << 30, e.get("export-size").asLong());
        assertTrue(e.get("contexts").items().stream().anyMatch(c -> c.asString().equals("base:allocation")),
                e.toString());
    }

    @Test
    void listFileAndNull() {
        Path img = file("disk.img", 16L << 20);
        Server f = Server.unix(sock("f"), "file", img.toString());
        Json j = nbdinfoJson("--list", f.uri());
        assertEquals(16L << 20, j.get("exports").at(0).get("export-size").asLong());
        Server n = Server.unix(sock("n"), "null", "size=1M");
        assertEquals(1L << 20, nbdinfoJson("--list", n.uri()).get("exports").at(0).get("export-size").asLong());
    }

    /** Plugins that do not tell exports apart serve the same disk under any name. */
    @Test
    void anyExportNameReachesTheMemoryDisk() {
        Server s = unix("memory", "1G");
        DataIntegrityIT.qemuIo(s.uri(), "write -P 0x44 0 64k").ok();
        DataIntegrityIT.qemuIo(s.uri("foo"), "read -P 0x44 0 64k").ok();
        Json j = nbdinfoJson(s.uri("foo"));
        assertEquals(1L << 30, j.get("exports").at(0).get("export-size").asLong());
    }

    @Test
    void listOverTcp() {
        Server s = tcp("memory", "1G");
        Json j = nbdinfoJson("--list", s.uri());
        assertEquals(1L << 30, j.get("exports").at(0).get("export-size").asLong());
    }
}
