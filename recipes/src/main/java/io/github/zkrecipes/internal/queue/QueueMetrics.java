package io.github.zkrecipes.internal.queue;

import java.util.concurrent.atomic.LongAdder;

/**
 * JVM-wide counters of what the queue engine asked of ZooKeeper and how often waiters were woken.
 * For tests and benchmarks ("one wakeup per release", "round trips per acquire"); cheap enough to
 * be always on.
 */
public final class QueueMetrics {
    static final LongAdder CREATES = new LongAdder();
    static final LongAdder LISTINGS = new LongAdder();
    static final LongAdder WATCHES = new LongAdder();
    static final LongAdder WAKEUPS = new LongAdder();
    static final LongAdder DELETES = new LongAdder();
    static final LongAdder RECOVERIES = new LongAdder();

    private QueueMetrics() {}

    /** A snapshot of the counters. */
    public static Snapshot snapshot() {
        return new Snapshot(CREATES.sum(), LISTINGS.sum(), WATCHES.sum(), WAKEUPS.sum(), DELETES.sum(), RECOVERIES.sum());
    }

    /**
     * Counter values.
     *
     * @param creates node creates sent
     * @param listings getChildren requests sent
     * @param watches watches set (exists or getChildren with a watcher)
     * @param wakeups watch events delivered to waiters
     * @param deletes deletes sent
     * @param recoveries creates whose reply was lost and that looked for their node by its id
     */
    public record Snapshot(long creates, long listings, long watches, long wakeups, long deletes, long recoveries) {
        /** The counts since {@code earlier}. */
        public Snapshot minus(Snapshot earlier) {
            return new Snapshot(creates - earlier.creates, listings - earlier.listings, watches - earlier.watches,
                    wakeups - earlier.wakeups, deletes - earlier.deletes, recoveries - earlier.recoveries);
        }
    }
}
