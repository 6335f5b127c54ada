package io.github.zkrecipes.testing;

import io.github.zkrecipes.Grant;
import io.github.zkrecipes.internal.queue.QueueEntry;

/** A bare {@link Grant} over a queue entry, for testing the engine without a recipe. */
public final class TestGrant extends Grant {
    public TestGrant(QueueEntry entry) {
        super(entry);
    }
}
