package dev.jnbdkit.posix;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SelfProcessTest {
    @Test
    void pidAndParentPidAreTheJdksAnswers() {
        assertEquals(ProcessHandle.current().pid(), SelfProcess.pid());
        assertEquals(ProcessHandle.current().parent().orElseThrow().pid(), SelfProcess.parentPid());
    }

    @Test
    void aCommandNameWithSpacesAndParenthesesDoesNotShiftTheFields() {
        String stat = "4242 (a) b (c) S 17 4242 4242 0 -1 4194560 100 0 0 0\n";
        assertEquals(4242, SelfProcess.field(stat, 0));
        assertEquals(17, SelfProcess.field(stat, 3));
    }
}
