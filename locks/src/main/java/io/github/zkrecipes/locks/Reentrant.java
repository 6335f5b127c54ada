package io.github.zkrecipes.locks;

import io.github.zkrecipes.Participant;
import io.github.zkrecipes.SessionLostException;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.queue.Deadline;
import io.github.zkrecipes.internal.queue.NodeKind;
import io.github.zkrecipes.internal.queue.QueueEntry;
import io.github.zkrecipes.internal.queue.SequentialQueue;
import io.github.zkrecipes.internal.queue.WaitRule;
import java.util.Optional;

/** The acquire path shared by the thread-owned locks: re-enter locally, or join the queue. */
final class Reentrant {
    private Reentrant() {}

    /** Re-enters if the calling thread holds {@code holds}; null otherwise. No I/O. */
    static LockHandle reenter(Holds holds) {
        Thread me = Thread.currentThread();
        synchronized (holds) {
            HeldGrant mine = holds.heldBy(me);
            if (mine == null) {
                return null;
            }
            holds.count++;
            return new LockHandle(holds, mine, me);
        }
    }

    /** Joins {@code queue} with {@code rule} and records the calling thread as owner. */
    static Optional<LockHandle> join(ZkSession session, SequentialQueue queue, Holds holds, NodeKind kind,
            WaitRule rule, Deadline deadline) throws InterruptedException {
        Optional<QueueEntry> entry = queue.join(kind, 1, Participant.current(session).encode(), rule, deadline);
        return entry.isEmpty() ? Optional.empty() : Optional.of(own(holds, new HeldGrant(entry.get())));
    }

    /** Records the calling thread as owner of {@code grant}. */
    static LockHandle own(Holds holds, HeldGrant grant) {
        if (grant.state().isTerminal()) {
            throw new SessionLostException("session lost as the lock was granted", grant.path(), grant.sessionId(), null);
        }
        Thread me = Thread.currentThread();
        synchronized (holds) {
            holds.set(me, grant);
        }
        return new LockHandle(holds, grant, me);
    }

    static void checkInterrupt(String path) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted before acquiring " + path);
        }
    }
}
