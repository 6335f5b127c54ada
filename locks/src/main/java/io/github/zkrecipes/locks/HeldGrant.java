package io.github.zkrecipes.locks;

import io.github.zkrecipes.Grant;
import io.github.zkrecipes.internal.queue.QueueEntry;

/** The one grant behind every handle of a hold. */
final class HeldGrant extends Grant {
    private final QueueEntry entry;

    HeldGrant(QueueEntry entry) {
        super(entry);
        this.entry = entry;
    }

    QueueEntry entry() {
        return entry;
    }
}
