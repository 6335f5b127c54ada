package io.github.zkrecipes.samples;

import io.github.zkrecipes.Grant;
import io.github.zkrecipes.internal.queue.QueueEntry;

/**
 * The demo's lock handle: a bare {@link Grant} over the queue entry the engine granted. It adds
 * nothing; fence, state, {@code whenLost()}, guarded writes and release all come from {@code
 * Grant}. (The real lock recipe and its handle belong to the locks module.)
 */
final class DemoGrant extends Grant {
    DemoGrant(QueueEntry entry) {
        super(entry);
    }
}
