package io.github.zkrecipes.internal.queue;

import io.github.zkrecipes.Participant;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.ZkTestContext;
import java.time.Duration;
import java.util.Optional;

/** Shorthands for the engine tests: an exclusive queue (a bare lock) on one directory. */
final class QueueTesting {
    static final String DIR = "/q";

    private QueueTesting() {}

    static Optional<QueueEntry> join(ZkSession session, Duration timeout) throws InterruptedException {
        return new SequentialQueue(session, DIR).join(NodeKind.LOCK, 1, Participant.current(session).encode(),
                WaitRule.EXCLUSIVE, timeout == null ? Deadline.none() : Deadline.after(timeout));
    }

    static QueueEntry joinNow(ZkSession session) throws InterruptedException {
        return join(session, null).orElseThrow();
    }

    static void awaitQueued(ZkTestContext zk, int nodes) {
        Await.until(nodes + " nodes queued in " + DIR, () -> {
            try {
                return zk.children(DIR).size() == nodes;
            } catch (Exception e) {
                return false;
            }
        });
    }
}
