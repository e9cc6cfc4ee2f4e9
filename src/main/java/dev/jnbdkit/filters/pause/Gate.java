package dev.jnbdkit.filters.pause;

/**
 * Holds requests while paused: {@link #enter} waits while paused and counts the request in;
 * {@link #pause} closes the gate and waits until every request already inside has left.
 */
final class Gate {
    private boolean paused;
    private int inside;

    synchronized void enter() {
        boolean interrupted = false;
        while (paused) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        inside++;
        if (interrupted) Thread.currentThread().interrupt();
    }

    synchronized void leave() {
        inside--;
        notifyAll();
    }

    /** Closes the gate and returns once no request is in flight. */
    synchronized void pause() throws InterruptedException {
        paused = true;
        while (inside > 0) wait();
    }

    synchronized void resume() {
        paused = false;
        notifyAll();
    }
}
