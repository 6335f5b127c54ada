package io.github.zkrecipes.locks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.Worker;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

@ZkTest
class ZkLockTest {
    private static final String PATH = "/locks/job";

    @Test
    void manyClientsNeverHoldTheLockAtOnceAndFencesGrowFromHolderToHolder(ZkTestContext zk) throws Exception {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger violations = new AtomicInteger();
        List<Long> fences = Collections.synchronizedList(new ArrayList<>());
        List<Worker<Void>> workers = new ArrayList<>();
        for (int c = 0; c < 6; c++) {
            ZkSession s = zk.session();
            for (int t = 0; t < 2; t++) {
                workers.add(Worker.start("client-" + c + "-" + t, () -> {
                    ZkLock lock = new ZkLock(s, PATH);
                    for (int i = 0; i < 8; i++) {
                        try (LockHandle h = lock.acquire()) {
                            if (inside.incrementAndGet() != 1) {
                                violations.incrementAndGet();
                            }
                            fences.add(h.fence());
                            inside.decrementAndGet();
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
        assertEquals(96, fences.size());
        for (int i = 1; i < fences.size(); i++) {
            assertTrue(fences.get(i) > fences.get(i - 1), "fence order broken at " + i + ": " + fences);
        }
        zk.awaitNoChildren(PATH);
    }

    @Test
    void waitersAreGrantedInArrivalOrder(ZkTestContext zk) throws Exception {
        LockHandle held = new ZkLock(zk.session(), PATH).acquire();
        List<Integer> order = new CopyOnWriteArrayList<>();
        List<Worker<Void>> waiters = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int n = i;
            ZkLock lock = new ZkLock(zk.session(), PATH);
            waiters.add(Worker.start("waiter-" + i, () -> {
                try (LockHandle h = lock.acquire()) {
                    order.add(n);
                }
                return null;
            }));
            awaitQueued(zk, i + 2);
        }
        held.close();
        for (Worker<Void> w : waiters) {
            w.result();
        }
        assertEquals(List.of(0, 1, 2, 3, 4), order);
    }

    @Test
    void theOwnerThreadReentersWithTheSameFenceAndTheLastCloseReleases(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        ZkLock lock = new ZkLock(session, PATH);
        ZkLock sameLockOtherObject = new ZkLock(session, PATH);
        QueueMetrics.Snapshot before;
        try (LockHandle outer = lock.acquire()) {
            before = QueueMetrics.snapshot();
            try (LockHandle inner = sameLockOtherObject.acquire()) {
                assertEquals(outer.fence(), inner.fence());
                assertEquals(2, inner.holdCount());
                assertEquals(0, QueueMetrics.snapshot().minus(before).creates(), "reentry costs no round trip");
            }
            assertTrue(outer.isHeld());
            assertTrue(lock.isHeldByCurrentThread());
            assertEquals(1, zk.children(PATH).size());
        }
        assertFalse(lock.isHeldByCurrentThread());
        zk.awaitNoChildren(PATH);
    }

    @Test
    void anotherThreadCannotReleaseTheLock(ZkTestContext zk) throws Exception {
        LockHandle held = new ZkLock(zk.session(), PATH).acquire();
        Worker<Void> intruder = Worker.start("intruder", () -> {
            held.close();
            return null;
        });
        IllegalMonitorStateException e = assertInstanceOf(IllegalMonitorStateException.class, intruder.failure());
        assertTrue(e.getMessage().contains("intruder") && e.getMessage().contains(PATH), e.getMessage());
        assertTrue(held.isHeld());
        held.close();
        held.close();
        assertEquals(GrantState.RELEASED, held.state());
    }

    @Test
    void aTimedAcquireReportsTheTimeoutByReturnValueAndLeavesNothing(ZkTestContext zk) throws Exception {
        LockHandle held = new ZkLock(zk.session(), PATH).acquire();
        ZkLock other = new ZkLock(zk.session(), PATH);
        long start = System.nanoTime();
        assertTrue(other.tryAcquire(Duration.ofMillis(250)).isEmpty());
        assertTrue((System.nanoTime() - start) / 1_000_000 >= 250);
        assertTrue(other.tryAcquire(Duration.ZERO).isEmpty());
        assertTrue(other.tryAcquire(Duration.ofSeconds(-1)).isEmpty());
        assertEquals(1, zk.children(PATH).size());
        held.close();
        try (LockHandle h = other.tryAcquire(Duration.ZERO).orElseThrow()) {
            assertTrue(h.isHeld());
        }
    }

    @Test
    void anInterruptedAcquireThrowsAndLeavesNothing(ZkTestContext zk) throws Exception {
        LockHandle held = new ZkLock(zk.session(), PATH).acquire();
        ZkLock other = new ZkLock(zk.session(), PATH);
        Worker<LockHandle> waiter = Worker.start("waiter", other::acquire);
        awaitQueued(zk, 2);
        waiter.interrupt();
        assertInstanceOf(InterruptedException.class, waiter.failure());
        awaitQueued(zk, 1);

        QueueMetrics.Snapshot before = QueueMetrics.snapshot();
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, other::acquire);
        assertEquals(0, QueueMetrics.snapshot().minus(before).creates(), "an already interrupted caller sends nothing");
        held.close();
    }

    @Test
    void interruptsAtRandomPointsNeverLeaveANodeBehind(ZkTestContext zk) throws Exception {
        ZkSession holderSession = zk.session();
        ZkLock lock = new ZkLock(zk.session(), PATH);
        long t0 = System.nanoTime();
        lock.acquire().close();
        long uncontendedNanos = Math.max(System.nanoTime() - t0, 1_000_000);
        Random random = new Random(42);
        int interrupted = 0;
        int acquired = 0;
        for (int i = 0; i < 40; i++) {
            boolean contended = i % 2 == 0;
            LockHandle blocker = contended ? new ZkLock(holderSession, PATH).acquire() : null;
            Worker<Boolean> w = Worker.start("sweep-" + i, () -> {
                lock.acquire().close(); // released by its owner thread, interrupt or not
                return true;
            });
            long delay = (long) (random.nextDouble() * 1.2 * uncontendedNanos);
            java.util.concurrent.locks.LockSupport.parkNanos(delay);
            w.interrupt();
            try {
                w.result();
                acquired++;
            } catch (InterruptedException e) {
                interrupted++;
            }
            if (blocker != null) {
                blocker.close();
            }
            awaitQueued(zk, 0);
        }
        assertTrue(interrupted > 0, "the sweep interrupted nothing");
        assertEquals(40, interrupted + acquired);
    }

    @Test
    void sessionExpiryWhileHoldingLosesTheLockVisiblyAndRejectsTheStaleWrite(ZkTestContext zk) throws Exception {
        ZkSession holder = zk.session();
        holder.curator().create().forPath("/data", "v0".getBytes());
        LockHandle held = new ZkLock(holder, PATH).acquire();
        ZkSession otherSession = zk.session();
        Worker<Long> next = Worker.start("next", () -> {
            try (LockHandle h = new ZkLock(otherSession, PATH).acquire()) {
                h.guarded(otherSession.curator().transactionOp().setData().forPath("/data", "new".getBytes()));
                return h.fence();
            }
        });
        awaitQueued(zk, 2);

        zk.expire(holder);

        Await.result("whenLost", held.whenLost());
        assertEquals(GrantState.LOST, held.state());
        assertTrue(next.result() > held.fence());
        assertThrows(OwnershipLostException.class,
                () -> held.guarded(holder.curator().transactionOp().setData().forPath("/data", "stale".getBytes())));
        assertArrayEquals("new".getBytes(), otherSession.curator().getData().forPath("/data"));
        held.close(); // a lost lock needs no release
        otherSession.curator().delete().forPath("/data");
    }

    @Test
    void manyThreadsOfOneSessionOnOneLockWakeOnePerRelease(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        ZkLock lock = new ZkLock(session, PATH);
        LockHandle first = lock.acquire();
        int threads = 30;
        AtomicInteger done = new AtomicInteger();
        List<Worker<Void>> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            workers.add(Worker.start("t" + i, () -> {
                lock.acquire().close();
                done.incrementAndGet();
                return null;
            }));
        }
        awaitQueued(zk, threads + 1);
        Await.until("every waiter to watch its predecessor", () -> zk.serverWatchCount() == threads);
        QueueMetrics.Snapshot before = QueueMetrics.snapshot();
        first.close();
        for (Worker<Void> w : workers) {
            w.result();
        }
        QueueMetrics.Snapshot cost = QueueMetrics.snapshot().minus(before);
        assertEquals(threads, cost.wakeups(), "one wakeup per release");
        assertTrue(cost.listings() <= threads - 1, "at most one listing (a read) per handover: " + cost);
        assertEquals(0, cost.watches(), "no probing of nodes that are gone: " + cost);
        assertEquals(threads, done.get());
    }

    @Test
    void introspectionShowsTheHolderAndTheWaitersInOrder(ZkTestContext zk) throws Exception {
        ZkSession a = zk.session(b -> b.participantId("alice"));
        LockHandle held = new ZkLock(a, PATH).acquire();
        ZkSession b = zk.session(bb -> bb.participantId("bob"));
        java.util.concurrent.CountDownLatch inspected = new java.util.concurrent.CountDownLatch(1);
        Worker<Void> waiter = Worker.start("bob-worker", () -> {
            try (LockHandle h = new ZkLock(b, PATH).acquire()) {
                inspected.await();
            }
            return null;
        });
        awaitQueued(zk, 2);
        ZkLock view = new ZkLock(zk.session(), PATH);
        RecipeNode holder = view.holder().orElseThrow();
        assertEquals("alice", holder.owner().id());
        assertEquals(Thread.currentThread().getName(), holder.owner().thread());
        assertEquals(held.fence(), holder.fence());
        assertEquals(a.sessionId(), holder.sessionId());
        List<RecipeNode> waiters = view.waiters();
        assertEquals(1, waiters.size());
        assertEquals("bob", waiters.get(0).owner().id());
        assertEquals("bob-worker", waiters.get(0).owner().thread());
        held.close();
        Await.until("bob to hold", () -> {
            try {
                return view.holder().map(n -> n.owner().id().equals("bob")).orElse(false);
            } catch (InterruptedException e) {
                return false;
            }
        });
        inspected.countDown();
        waiter.result();
        assertTrue(view.holder().isEmpty());
    }

    @Test
    void aReleaseDuringAConnectionLossNeverLeavesTheLockUnusable(ZkTestContext zk) throws Exception {
        ZkSession holder = zk.session();
        ZkSession other = zk.session();
        ZkLock lock = new ZkLock(holder, PATH);
        LockHandle held = lock.acquire();
        zk.server().stop(0);
        ZkTestContext.awaitState(holder, io.github.zkrecipes.SessionState.SUSPENDED);
        held.close(); // no exception, no wait for the connection
        assertEquals(GrantState.RELEASED, held.state());
        assertFalse(lock.isHeldByCurrentThread());
        zk.server().restart(0);
        ZkTestContext.awaitState(holder, io.github.zkrecipes.SessionState.RECONNECTED);
        try (LockHandle h = new ZkLock(other, PATH).acquire()) { // granted once the background delete lands
            assertTrue(h.fence() > held.fence());
        }
        try (LockHandle again = lock.acquire()) { // and the old holder's thread takes it afresh
            assertTrue(again.isHeld());
            assertEquals(1, again.holdCount());
        }
        awaitQueued(zk, 0);
    }

    @Test
    void spuriousNotificationsOnTheWatchedNodeGrantNothing(ZkTestContext zk) throws Exception {
        LockHandle held = new ZkLock(zk.session(), PATH).acquire();
        ZkLock other = new ZkLock(zk.session(), PATH);
        Worker<Long> waiter = Worker.start("waiter", () -> {
            try (LockHandle h = other.acquire()) {
                return h.fence();
            }
        });
        awaitQueued(zk, 2);
        Await.until("the waiter to watch the holder", () -> zk.serverWatchCount() == 1);
        String holderNode = zk.serverPath(PATH) + "/" + held.path().substring(held.path().lastIndexOf('/') + 1);
        for (int i = 0; i < 3; i++) {
            zk.admin().setData(holderNode, ("poke" + i).getBytes(), -1); // fires the waiter's data watch
            Await.until("the waiter to watch again", () -> zk.serverWatchCount() == 1);
        }
        Await.stillFalse("the waiter granted by a data change", waiter::isDone, Duration.ofMillis(200));
        assertTrue(held.isHeld());
        held.close();
        assertTrue(waiter.result() > held.fence());
    }

    @Test
    void closingTheSessionUnderABlockedAcquireFailsItClearlyAndLeavesNothing(ZkTestContext zk) throws Exception {
        LockHandle held = new ZkLock(zk.session(), PATH).acquire();
        ZkSession s = zk.session();
        Worker<LockHandle> waiter = Worker.start("waiter", () -> new ZkLock(s, PATH).acquire());
        awaitQueued(zk, 2);
        s.close();
        Throwable failure = waiter.failure();
        assertInstanceOf(io.github.zkrecipes.SessionLostException.class, failure);
        assertTrue(failure.getMessage().contains("closed"), failure.getMessage());
        awaitQueued(zk, 1);
        held.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new ZkLock(s, PATH).acquire());
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void lockingEverNewPathsKeepsNoRecordOfThemInTheJvm(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        for (int i = 0; i < 50; i++) {
            ZkLock lock = new ZkLock(session, PATH + "-" + i);
            try (LockHandle h = lock.acquire()) {
                assertTrue(lock.isHeldByCurrentThread());
                assertEquals(1 + i, Holds.size(session), "this lock, and the earlier rounds' held ones");
            }
            assertFalse(lock.isHeldByCurrentThread());
            ZkReadWriteLock rw = new ZkReadWriteLock(session, PATH + "-rw-" + i);
            try (LockHandle w = rw.acquireWrite(); LockHandle r = rw.acquireRead()) {
                assertEquals(2 + i, Holds.size(session), "the write record and this thread's read record");
            }
            assertTrue(new ZkLock(session, PATH + "-t-" + i).tryAcquire(Duration.ZERO).orElseThrow() != null);
        }
        // Only the 50 locks still held by this thread (the tryAcquire ones, never closed) are recorded.
        assertEquals(50, Holds.size(session));
        session.close();
    }

    @Test
    void badArgumentsAreRejectedNamingTheValue(ZkTestContext zk) throws Exception {
        ZkSession s = zk.session();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ZkLock(s, "locks/x"));
        assertTrue(e.getMessage().contains("'locks/x'"), e.getMessage());
        ZkLock lock = new ZkLock(s, PATH);
        e = assertThrows(IllegalArgumentException.class, () -> lock.tryAcquire(null));
        assertTrue(e.getMessage().contains("timeout"), e.getMessage());
        assertEquals(Optional.empty(), Optional.ofNullable(zk.stat(PATH)));
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
}
