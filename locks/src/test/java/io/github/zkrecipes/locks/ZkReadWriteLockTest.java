package io.github.zkrecipes.locks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.GrantState;
import io.github.zkrecipes.OwnershipLostException;
import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.queue.QueueMetrics;
import io.github.zkrecipes.internal.queue.QueueNode;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.Worker;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

@ZkTest
class ZkReadWriteLockTest {
    private static final String PATH = "/locks/catalog";

    @Test
    void readersShareWritersExcludeEveryoneAndFencesGrowAcrossWriters(ZkTestContext zk) throws Exception {
        AtomicInteger readers = new AtomicInteger();
        AtomicInteger writers = new AtomicInteger();
        AtomicInteger violations = new AtomicInteger();
        AtomicInteger maxReaders = new AtomicInteger();
        List<Long> writeFences = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Worker<Void>> workers = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            ZkSession s = zk.session();
            for (int t = 0; t < 2; t++) {
                int id = c * 2 + t;
                workers.add(Worker.start("client-" + id, () -> {
                    ZkReadWriteLock rw = new ZkReadWriteLock(s, PATH);
                    for (int i = 0; i < 10; i++) {
                        if ((i + id) % 3 == 0) {
                            try (LockHandle h = rw.acquireWrite()) {
                                if (writers.incrementAndGet() != 1 || readers.get() != 0) {
                                    violations.incrementAndGet();
                                }
                                writeFences.add(h.fence());
                                writers.decrementAndGet();
                            }
                        } else {
                            try (LockHandle h = rw.acquireRead()) {
                                int r = readers.incrementAndGet();
                                maxReaders.accumulateAndGet(r, Math::max);
                                if (writers.get() != 0) {
                                    violations.incrementAndGet();
                                }
                                Thread.onSpinWait();
                                readers.decrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
        }
        for (Worker<Void> w : workers) {
            w.result();
        }
        assertEquals(0, violations.get());
        assertTrue(writeFences.size() >= 20, "writes: " + writeFences.size());
        for (int i = 1; i < writeFences.size(); i++) {
            assertTrue(writeFences.get(i) > writeFences.get(i - 1), "write fences out of order: " + writeFences);
        }
        zk.awaitNoChildren(PATH);
    }

    @Test
    void readersHoldTogetherWithoutWaiting(ZkTestContext zk) throws Exception {
        Held first = Held.read(new ZkReadWriteLock(zk.session(), PATH));
        ZkReadWriteLock other = new ZkReadWriteLock(zk.session(), PATH);
        QueueMetrics.Snapshot before = QueueMetrics.snapshot();
        try (LockHandle second = other.tryAcquireRead(Duration.ZERO).orElseThrow()) {
            assertTrue(second.isHeld());
            assertEquals(2, other.holders().size());
            QueueMetrics.Snapshot cost = QueueMetrics.snapshot().minus(before);
            assertEquals(1, cost.creates());
            assertEquals(0, cost.watches(), "a compatible reader watches nothing");
        }
        first.release();
        zk.awaitNoChildren(PATH);
    }

    @Test
    void aWaitingWriterIsNotStarvedByLaterReaders(ZkTestContext zk) throws Exception {
        ZkReadWriteLock rw = new ZkReadWriteLock(zk.session(), PATH);
        Held reader = Held.read(rw);
        Worker<Long> writer = Worker.start("writer", () -> {
            try (LockHandle w = new ZkReadWriteLock(zk.session(), PATH).acquireWrite()) {
                return w.fence();
            }
        });
        awaitQueued(zk, 2);
        ZkReadWriteLock late = new ZkReadWriteLock(zk.session(), PATH);
        assertTrue(late.tryAcquireRead(Duration.ofMillis(200)).isEmpty(),
                "a reader arriving after a waiting writer queues behind it");
        assertEquals(2, zk.children(PATH).size(), "the timed-out reader left nothing");
        Worker<Void> lateReader = Worker.start("late-reader", () -> {
            late.acquireRead().close();
            return null;
        });
        awaitQueued(zk, 3);
        assertFalse(writer.isDone());
        reader.release();
        assertTrue(writer.result() > 0);
        lateReader.result();
        awaitQueued(zk, 0);
    }

    @Test
    void aReaderWaitsOnlyOnTheLastWriterAheadAndNobodyWatchesALaterNode(ZkTestContext zk) throws Exception {
        ZkReadWriteLock rw = new ZkReadWriteLock(zk.session(), PATH);
        Held w1 = Held.write(rw);
        List<Worker<Void>> waiters = new ArrayList<>();
        Held w2Holder = new Held();
        waiters.add(w2Holder.start(new ZkReadWriteLock(zk.session(), PATH), true));
        awaitQueued(zk, 2);
        waiters.add(waiter("r3", zk, false));
        awaitQueued(zk, 3);
        waiters.add(waiter("r4", zk, false));
        awaitQueued(zk, 4);
        waiters.add(waiter("w5", zk, true));
        awaitQueued(zk, 5);
        Await.until("four watches", () -> zk.serverWatchCount() == 4);

        List<String> nodes = zk.children(PATH).stream().map(QueueNode::parse).sorted(QueueNode.ORDER)
                .map(QueueNode::name).toList();
        Set<String> watched = zk.serverWatchedPaths();
        String w2 = nodes.get(1);
        String r4 = nodes.get(3);
        // w2 watches w1; r3 and r4 both watch w2 (the last writer ahead, not their predecessor); w5 watches r4.
        assertEquals(Set.of(PATH + "/" + nodes.get(0), PATH + "/" + w2, PATH + "/" + r4), watched);
        for (String path : watched) {
            QueueNode watchedNode = QueueNode.parse(path.substring(path.lastIndexOf('/') + 1));
            assertTrue(watchedNode.sequence() < QueueNode.parse(nodes.get(4)).sequence());
        }

        QueueMetrics.Snapshot before = QueueMetrics.snapshot();
        w1.release();
        Await.until("w2 to hold", w2Holder::isHeld);
        List<RecipeNode> holders = rw.holders();
        assertEquals(1, holders.size());
        assertTrue(holders.get(0).path().endsWith("/" + w2), holders.toString());
        assertEquals(1, QueueMetrics.snapshot().minus(before).wakeups(), "only w2 woke for w1's release");
        assertEquals(4, zk.children(PATH).size(), "r3, r4 and w5 still wait");
        w2Holder.release();
        for (Worker<Void> w : waiters) {
            w.result();
        }
        awaitQueued(zk, 0);
    }

    @Test
    void theOwnerReentersReadsAndWritesWithTheSameFenceAtNoCost(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        ZkReadWriteLock rw = new ZkReadWriteLock(session, PATH);
        try (LockHandle write = rw.acquireWrite()) {
            QueueMetrics.Snapshot before = QueueMetrics.snapshot();
            try (LockHandle again = new ZkReadWriteLock(session, PATH).acquireWrite()) {
                assertEquals(write.fence(), again.fence());
                assertEquals(2, again.holdCount());
            }
            assertEquals(0, QueueMetrics.snapshot().minus(before).creates());
            assertTrue(write.isHeld());
        }
        try (LockHandle read = rw.acquireRead()) {
            QueueMetrics.Snapshot before = QueueMetrics.snapshot();
            try (LockHandle again = rw.acquireRead()) {
                assertEquals(read.fence(), again.fence());
                assertEquals(2, again.holdCount());
            }
            assertEquals(0, QueueMetrics.snapshot().minus(before).creates());
            assertEquals(1, zk.children(PATH).size());
        }
        zk.awaitNoChildren(PATH);
    }

    @Test
    void aReadToWriteUpgradeIsRefusedAndCreatesNothing(ZkTestContext zk) throws Exception {
        ZkReadWriteLock rw = new ZkReadWriteLock(zk.session(), PATH);
        try (LockHandle read = rw.acquireRead()) {
            QueueMetrics.Snapshot before = QueueMetrics.snapshot();
            IllegalStateException e = assertThrows(IllegalStateException.class, rw::acquireWrite);
            assertTrue(e.getMessage().contains(PATH) && e.getMessage().contains("upgrad"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> rw.tryAcquireWrite(Duration.ofSeconds(1)));
            assertEquals(0, QueueMetrics.snapshot().minus(before).creates());
            assertEquals(1, zk.children(PATH).size());
            assertTrue(read.isHeld());
        }
        try (LockHandle write = rw.acquireWrite()) { // after releasing the read lock, fine
            assertTrue(write.isHeld());
        }
    }

    @Test
    void aDowngradeLetsQueuedReadersInWhileAQueuedWriterKeepsWaiting(ZkTestContext zk) throws Exception {
        ZkReadWriteLock rw = new ZkReadWriteLock(zk.session(), PATH);
        CountDownLatch downgraded = new CountDownLatch(1);
        CountDownLatch writeReleased = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        Worker<long[]> owner = Worker.start("owner", () -> {
            LockHandle write = rw.acquireWrite();
            downgraded.await();
            LockHandle read = rw.acquireRead(); // the downgrade
            long[] fences = {write.fence(), read.fence()};
            write.close();
            writeReleased.countDown();
            finish.await();
            assertTrue(read.isHeld());
            read.close();
            return fences;
        });
        awaitQueued(zk, 1);
        // A writer right behind the write node (watching it), then a reader behind that writer.
        ZkSession other = zk.session();
        Worker<Void> writer = Worker.start("writer", () -> {
            new ZkReadWriteLock(other, PATH).acquireWrite().close();
            return null;
        });
        awaitQueued(zk, 2);
        Held reader = new Held();
        Worker<Void> readerWorker = reader.start(new ZkReadWriteLock(zk.session(), PATH), false);
        awaitQueued(zk, 3);
        Await.until("two waiters watching", () -> zk.serverWatchCount() == 2);

        downgraded.countDown();
        Await.latch("the write lock released after the downgrade", writeReleased);
        // The writer woke when the write node went, found the inserted read node and waits on it.
        Await.until("the writer to watch the owner's read node", () -> zk.serverWatchedPaths().stream()
                .anyMatch(p -> p.contains("/read_")));
        List<RecipeNode> holders = rw.holders();
        assertEquals(1, holders.size(), "only the owner's read node holds: " + holders);
        assertEquals("read", holders.get(0).kind());
        assertFalse(writer.isDone(), "a writer queued before the downgrade keeps waiting");
        assertFalse(reader.isHeld(), "the reader queued behind that writer waits for it");

        finish.countDown();
        long[] fences = owner.result();
        assertTrue(fences[1] > fences[0], "the read node is a node of its own");
        writer.result();
        reader.release();
        readerWorker.result();
        awaitQueued(zk, 0);
    }

    @Test
    void aDowngradeGrantsReadersThatQueuedBehindTheWriteLock(ZkTestContext zk) throws Exception {
        ZkReadWriteLock rw = new ZkReadWriteLock(zk.session(), PATH);
        Held writeHolder = Held.write(rw);
        Held reader = new Held();
        Worker<Void> readerWorker = reader.start(new ZkReadWriteLock(zk.session(), PATH), false);
        awaitQueued(zk, 2);
        assertFalse(reader.isHeld());
        LockHandle read = writeHolder.onOwner(rw::acquireRead);
        writeHolder.onOwner(() -> {
            writeHolder.handle.close(); // the write lock goes; the owner keeps the read lock
            return null;
        });
        Await.until("the queued reader to hold beside the downgraded owner", reader::isHeld);
        assertEquals(2, rw.holders().size());
        assertTrue(read.isHeld());
        writeHolder.onOwner(() -> {
            read.close();
            return null;
        });
        writeHolder.release();
        reader.release();
        readerWorker.result();
        awaitQueued(zk, 0);
    }

    @Test
    void timedOutAndInterruptedWaitersLeaveNothing(ZkTestContext zk) throws Exception {
        ZkReadWriteLock rw = new ZkReadWriteLock(zk.session(), PATH);
        Held writer = Held.write(rw);
        ZkReadWriteLock other = new ZkReadWriteLock(zk.session(), PATH);
        assertEquals(Optional.empty(), other.tryAcquireRead(Duration.ofMillis(100)));
        assertEquals(Optional.empty(), other.tryAcquireWrite(Duration.ofMillis(100)));
        assertEquals(Optional.empty(), other.tryAcquireWrite(Duration.ZERO));
        assertEquals(1, zk.children(PATH).size());
        Worker<LockHandle> r = Worker.start("reader", other::acquireRead);
        Worker<LockHandle> w = Worker.start("writer", other::acquireWrite);
        awaitQueued(zk, 3);
        r.interrupt();
        w.interrupt();
        assertInstanceOf(InterruptedException.class, r.failure());
        assertInstanceOf(InterruptedException.class, w.failure());
        awaitQueued(zk, 1);
        writer.release();
        awaitQueued(zk, 0);
        Await.until("no watches left", () -> zk.serverWatchCount() == 0);
    }

    @Test
    void aReadLockIsLostVisiblyWhenTheSessionExpires(ZkTestContext zk) throws Exception {
        ZkSession holder = zk.session();
        LockHandle read = new ZkReadWriteLock(holder, PATH).acquireRead();
        Worker<Void> writer = Worker.start("writer", () -> {
            new ZkReadWriteLock(zk.session(), PATH).acquireWrite().close();
            return null;
        });
        awaitQueued(zk, 2);
        zk.expire(holder);
        Await.result("whenLost", read.whenLost());
        assertEquals(GrantState.LOST, read.state());
        assertThrows(OwnershipLostException.class, read::ensureHeld);
        writer.result();
        read.close();
        try (LockHandle again = new ZkReadWriteLock(holder, PATH).acquireRead()) {
            assertTrue(again.isHeld(), "the thread starts afresh on the new session");
        }
    }

    @Test
    void badArgumentsAreRejectedNamingTheValue(ZkTestContext zk) {
        ZkSession s = zk.session();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ZkReadWriteLock(s, "/a//b"));
        assertTrue(e.getMessage().contains("'/a//b'"), e.getMessage());
        ZkReadWriteLock rw = new ZkReadWriteLock(s, PATH);
        assertThrows(IllegalArgumentException.class, () -> rw.tryAcquireRead(null));
        assertThrows(IllegalArgumentException.class, () -> rw.tryAcquireWrite(null));
    }

    private static Worker<Void> waiter(String name, ZkTestContext zk, boolean write) {
        ZkReadWriteLock rw = new ZkReadWriteLock(zk.session(), PATH);
        return Worker.start(name, () -> {
            (write ? rw.acquireWrite() : rw.acquireRead()).close();
            return null;
        });
    }

    static void awaitQueued(ZkTestContext zk, int n) {
        Await.until(n + " nodes under " + PATH, () -> {
            try {
                return zk.children(PATH).size() == n;
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** A lock held by a thread of its own (handles belong to their thread), released on request. */
    static final class Held {
        private final CountDownLatch release = new CountDownLatch(1);
        private final java.util.concurrent.BlockingQueue<java.util.concurrent.Callable<?>> tasks =
                new java.util.concurrent.LinkedBlockingQueue<>();
        volatile LockHandle handle;

        static Held read(ZkReadWriteLock rw) throws Exception {
            return started(rw, false);
        }

        static Held write(ZkReadWriteLock rw) throws Exception {
            return started(rw, true);
        }

        private static Held started(ZkReadWriteLock rw, boolean write) throws Exception {
            Held h = new Held();
            h.start(rw, write);
            Await.until("the lock to be held", h::isHeld);
            return h;
        }

        Worker<Void> start(ZkReadWriteLock rw, boolean write) {
            return Worker.start(write ? "write-holder" : "read-holder", () -> {
                handle = write ? rw.acquireWrite() : rw.acquireRead();
                while (release.getCount() > 0) {
                    java.util.concurrent.Callable<?> task = tasks.poll(5, java.util.concurrent.TimeUnit.MILLISECONDS);
                    if (task != null) {
                        task.call();
                    }
                }
                handle.close();
                return null;
            });
        }

        boolean isHeld() {
            LockHandle h = handle;
            return h != null && h.isHeld();
        }

        /** Runs {@code call} on the owner thread and returns its result. */
        <T> T onOwner(java.util.concurrent.Callable<T> call) throws Exception {
            java.util.concurrent.CompletableFuture<T> result = new java.util.concurrent.CompletableFuture<>();
            tasks.add(() -> {
                try {
                    result.complete(call.call());
                } catch (Exception e) {
                    result.completeExceptionally(e);
                }
                return null;
            });
            return Await.result("a task on the owner thread", result);
        }

        void release() {
            release.countDown();
            Await.until("the lock to be released", () -> handle != null && !handle.isHeld());
        }
    }
}
