package dev.jnbdkit.python;

import java.lang.ref.Cleaner;

/**
 * Taking and dropping the GIL from Java threads, each with one persistent Python thread state.
 *
 * <p>{@code PyGILState_Ensure} on a thread that has no thread state creates one, and the matching
 * {@code PyGILState_Release} deletes it: on a server worker that is every request, and it cost
 * 10-20 µs a call (measured, Python 3.11). So the first call on a thread keeps its thread state:
 * that call's {@code PyGILState_Ensure} is never matched by a release (the thread's gilstate
 * counter stays at 1), and it drops the GIL with {@code PyEval_SaveThread}. Later calls are plain
 * {@code PyGILState_Ensure}/{@code PyGILState_Release} pairs that find the thread state and only
 * switch the GIL. Nesting works as with the C API alone.
 *
 * <p>Server workers end with their connection: when a thread that kept a thread state is
 * collected, a {@link Cleaner} clears and deletes that thread state (holding the GIL, from the
 * cleaner's own thread). The thread that initialised Python keeps the main thread state forever.
 */
final class Gil {
    private Gil() {}

    /** Returned by {@link #ensure} for the call that created this thread's persistent state. */
    private static final int KEPT = -1;

    private static final class Cleaners {
        static final Cleaner CLEANER = Cleaner.create(r -> {
            Thread t = new Thread(r, "python-thread-state-cleaner");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The GIL, held on this thread until {@link #close}: {@code try (Gil.Held g = Gil.hold()) {...}}.
     * Nesting works: an inner hold on a thread that already holds the GIL only counts.
     */
    static final class Held implements AutoCloseable {
        private final int state;

        private Held(int state) { this.state = state; }

        @Override public void close() { release(state); }
    }

    /** Take the GIL on this (platform) thread. */
    static Held hold() { return new Held(ensure(NbdkitModule.STATE.get())); }

    /** {@link #hold()} with this thread's call state already at hand. */
    static Held hold(NbdkitModule.CallState st) { return new Held(ensure(st)); }

    private static int ensure(NbdkitModule.CallState st) {
        if (st.threadState != 0) return Py.PyGILState_Ensure();
        Py.PyGILState_Ensure();
        long ts = Py.PyGILState_GetThisThreadState();
        st.threadState = ts;
        Cleaners.CLEANER.register(Thread.currentThread(), () -> delete(ts));
        return KEPT;
    }

    private static void release(int state) {
        if (state == KEPT) Py.PyEval_SaveThread();
        else Py.PyGILState_Release(state);
    }

    /** The initialising thread (GIL held) owns the main thread state, which is never deleted. */
    static void adoptMainThread() {
        NbdkitModule.STATE.get().threadState = Py.PyGILState_GetThisThreadState();
    }

    /** The thread that owned {@code ts} is gone: free its thread state. */
    private static void delete(long ts) {
        try (Held g = hold()) {
            Py.PyThreadState_Clear(ts);
            Py.PyThreadState_Delete(ts);
        }
    }
}
