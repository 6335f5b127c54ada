package io.github.zkrecipes.samples;

import io.github.zkrecipes.Participant;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.queue.Deadline;
import io.github.zkrecipes.internal.queue.NodeKind;
import io.github.zkrecipes.internal.queue.QueueEntry;
import io.github.zkrecipes.internal.queue.SequentialQueue;
import io.github.zkrecipes.internal.queue.SequentialQueue.NodeInfo;
import io.github.zkrecipes.internal.queue.WaitRule;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * One participant's view of a fair exclusive lock, built directly on the queue engine: just
 * enough for the demo, not the locks module's recipe. Each node carries the session's {@link
 * Participant} as data, so that {@link #describe()} can name who is queued.
 */
final class DemoLock {
    private final ZkSession session;
    private final SequentialQueue queue;

    DemoLock(ZkSession session, String path) {
        this.session = session;
        this.queue = new SequentialQueue(session, path);
    }

    /** Who this is: the session's participant id. */
    String who() {
        return session.participantId();
    }

    /**
     * Joins the queue and waits on this thread until granted.
     *
     * @throws TimeoutException if not granted within {@code timeout} (nothing is left queued)
     */
    DemoGrant acquire(Duration timeout) throws InterruptedException, TimeoutException {
        return new DemoGrant(queue.join(NodeKind.LOCK, 1, Participant.current(session).encode(), WaitRule.EXCLUSIVE,
                Deadline.after(timeout)).orElseThrow(() -> notGranted(timeout)));
    }

    /**
     * Takes a place in the queue now, on this thread, and waits for the grant on a thread of its
     * own. {@code join} would do both on one thread, and gives the caller no sign of when the node
     * exists; splitting it lets the demo queue bob before carol, deterministically.
     *
     * @return completes with the grant, or with the failure (a {@link TimeoutException} after
     *     {@code timeout}; then nothing is left queued)
     */
    CompletableFuture<DemoGrant> queueUp(Duration timeout) throws InterruptedException, TimeoutException {
        Deadline deadline = Deadline.after(timeout);
        QueueEntry entry = queue.enter(NodeKind.LOCK, 1, Participant.current(session).encode(), deadline);
        if (entry == null) {
            throw notGranted(timeout);
        }
        CompletableFuture<DemoGrant> grant = new CompletableFuture<>();
        Thread waiter = new Thread(() -> {
            boolean granted = false;
            try {
                granted = queue.await(entry, WaitRule.EXCLUSIVE, deadline);
                if (granted) {
                    grant.complete(new DemoGrant(entry));
                } else {
                    grant.completeExceptionally(notGranted(timeout));
                }
            } catch (InterruptedException | RuntimeException e) {
                grant.completeExceptionally(e);
            } finally {
                if (!granted) {
                    queue.remove(entry);
                }
            }
        }, who() + "-waiter");
        waiter.setDaemon(true); // a waiter must never keep the JVM alive after a failure
        waiter.start();
        return grant;
    }

    /** The queue in order, each node with its data (the participant) and stat (czxid = fence). */
    List<NodeInfo> describe() throws InterruptedException {
        return queue.describe();
    }

    private TimeoutException notGranted(Duration timeout) {
        return new TimeoutException("[" + who() + "] was not granted " + queue.path() + " within "
                + timeout.toSeconds() + " s");
    }
}
