package io.github.zkrecipes.locks;

import io.github.zkrecipes.Grant;
import io.github.zkrecipes.internal.queue.QueueEntry;

/**
 * Permits held from a {@link ZkSemaphore}: close it to return them. A lease is a {@link Grant}:
 * it has a fence, a state ({@code HELD}, {@code UNCERTAIN}, {@code LOST}, {@code RELEASED}) and
 * guarded writes. Leases are not owned by a thread; any thread may close one. Closing twice is
 * harmless; a lease whose session was lost is already returned.
 */
public final class Lease extends Grant {
    Lease(QueueEntry entry) {
        super(entry);
    }

    /** How many permits this lease holds. */
    public int permits() {
        return weight();
    }

    private int weight() {
        String name = path().substring(path().lastIndexOf('/') + 1);
        int dot = name.indexOf('.');
        int underscore = name.indexOf('_');
        return dot >= 0 && dot < underscore ? Integer.parseInt(name.substring(dot + 1, underscore)) : 1;
    }
}
