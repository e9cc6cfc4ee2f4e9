package dev.jnbdkit.filters.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class LogEntryTest {
    @Test
    void enterLeaveAndPrint() {
        assertEquals("connection=2 Read id=5 offset=0x200 count=0x1000 ...",
                new LogEntry("Read", 2, LogEntry.Type.ENTER, 5L).hex("offset", 512).hex("count", 4096).line());
        assertEquals("connection=2 ...Read id=5 return=-1 error=EIO",
                new LogEntry("Read", 2, LogEntry.Type.LEAVE, 5L).num("return", -1).raw("error", "EIO").line());
        assertEquals("Ready thread_model=3", new LogEntry("Ready", 0, LogEntry.Type.PRINT, null).num("thread_model", 3).line());
    }

    @Test
    void quotingAndLists() {
        LogEntry e = new LogEntry("ListExports", 0, LogEntry.Type.LEAVE, 1L)
                .list("exports", List.of(new LogEntry.Str(""), new LogEntry.Str("a\"b$c\\d`e"), new LogEntry.Str("disk-1.img,x")));
        assertEquals("...ListExports id=1 exports=(\"\" \"a\\\"b\\$c\\\\d\\`e\" disk-1.img,x)", e.line());
        assertEquals("act=ListExports\ntype=LEAVE\nid=1\nexports=('' 'a\"b$c\\d`e' 'disk-1.img,x')\n", e.scriptVariables());
        assertEquals("'it'\\''s'", LogEntry.shellQuote("it's"));
    }
}
