package io.github.zkrecipes.locks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.GrantState;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.queue.QueueMetrics;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.Worker;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

@ZkTest
class ZkSemaphoreTest {
    private static final String PATH = "/semaphores/db";

    @Test
    void neverMoreThanNPermitsAreHeldAtOnce(ZkTestContext zk) throws Exception {
        AtomicInteger held = new AtomicInteger();
        AtomicInteger maxHeld = new AtomicInteger();
        List<long[]> intervals = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Worker<Void>> workers = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            ZkSemaphore sem = new ZkSemaphore(zk.session(), PATH, 3);
            int k = c % 3 == 0 ? 2 : 1;
            workers.add(Worker.start("client-" + c, () -> {
                for (int i = 0; i < 8; i++) {
                    try (Lease lease = sem.acquire(k)) {
                        long from = System.nanoTime();
                        int now = held.addAndGet(k);
                        maxHeld.accumulateAndGet(now, Math::max);
                        held.addAndGet(-k);
                        intervals.add(new long[] {from, System.nanoTime(), k});
                    }
                }
                return null;
            }));
        }
        for (Worker<Void> w : workers) {
            w.result();
        }
        assertTrue(maxHeld.get() <= 3, "more than N permits held at once: " + maxHeld.get());
        // Sweep line over the hold intervals (each inside its lease's real hold): never above N.
        List<long[]> events = new ArrayList<>();
        for (long[] iv : intervals) {
            events.add(new long[] {iv[0], iv[2]});
            events.add(new long[] {iv[1], -iv[2]});
        }
        events.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1])); // ends first
        long level = 0;
        for (long[] e : events) {
            level += e[1];
            assertTrue(level <= 3, "sweep line: " + level + " permits held at once");
        }
        assertEquals(64, intervals.size());
        assertTrue(maxHeld.get() >= 2, "the test never overlapped holders: " + maxHeld.get());
        zk.awaitNoChildren(PATH);
    }

    @Test
    void leasesAreGrantedInOrderAllOrNothingWithoutBarging(ZkTestContext zk) throws Exception {
        ZkSemaphore sem = new ZkSemaphore(zk.session(), PATH, 5);
        Lease a = sem.acquire(3);
        ZkSemaphore semB = new ZkSemaphore(zk.session(), PATH, 5);
        Worker<Lease> b = Worker.start("b", () -> semB.acquire(3));
        awaitQueued(zk, 2);
        ZkSemaphore semC = new ZkSemaphore(zk.session(), PATH, 5);
        Worker<Lease> c = Worker.start("c", () -> semC.acquire(1));
        awaitQueued(zk, 3);
        // Two permits are free, enough for c, but b came first and needs three: c must not barge.
        Await.stillFalse("c to barge ahead of b", c::isDone, Duration.ofMillis(300));
        assertEquals(1, sem.holders().size());
        assertEquals(2, sem.waiters().size());
        a.close();
        Lease lb = b.result();
        Lease lc = c.result(); // 3 + 1 fits in 5: the baton passed from b to c
        assertEquals(3, lb.permits());
        assertEquals(1, lc.permits());
        assertTrue(lb.fence() < lc.fence());
        lb.close();
        lc.close();
    }

    @Test
    void aPermitFreedByAnyHolderGoesAtOnceToTheHeadWaiter(ZkTestContext zk) throws Exception {
        ZkSemaphore sem = new ZkSemaphore(zk.session(), PATH, 2);
        Lease first = sem.acquire();
        Lease second = sem.acquire();
        ZkSemaphore other = new ZkSemaphore(zk.session(), PATH, 2);
        Worker<Lease> waiter = Worker.start("waiter", other::acquire);
        awaitQueued(zk, 3);
        Await.until("the head waiter to watch both holders and N", () -> zk.serverWatchCount() == 3);
        second.close(); // not the oldest holder
        Lease got = waiter.result();
        assertTrue(first.isHeld());
        got.close();
        first.close();
    }

    @Test
    void aReleaseWakesOnlyTheHeadWaiterAndTheBatonWakesOnlyTheNext(ZkTestContext zk) throws Exception {
        ZkSemaphore sem = new ZkSemaphore(zk.session(), PATH, 2);
        List<Lease> holders = new ArrayList<>(List.of(sem.acquire(), sem.acquire()));
        int waiters = 10;
        List<Worker<Void>> workers = new ArrayList<>();
        AtomicInteger granted = new AtomicInteger();
        java.util.concurrent.CountDownLatch finish = new java.util.concurrent.CountDownLatch(1);
        for (int i = 0; i < waiters; i++) {
            ZkSemaphore s = new ZkSemaphore(zk.session(), PATH, 2);
            workers.add(Worker.start("w" + i, () -> {
                try (Lease l = s.acquire()) {
                    granted.incrementAndGet();
                    finish.await();
                }
                return null;
            }));
            awaitQueued(zk, i + 3);
        }
        // The head waiter watches both holders and N; each of the others its predecessor.
        Await.until("all waiters watching", () -> zk.serverWatchCount() == 2 + 1 + (waiters - 1));
        QueueMetrics.Snapshot before = QueueMetrics.snapshot();
        holders.remove(0).close();
        Await.until("one waiter granted", () -> granted.get() == 1);
        // The baton (the new holder's data change) woke the next waiter, which is the head now.
        Await.until("the next waiter to become the head", () -> QueueMetrics.snapshot().minus(before).wakeups() >= 2
                && zk.serverWatchCount() == 2 + 1 + (waiters - 2));
        QueueMetrics.Snapshot cost = QueueMetrics.snapshot().minus(before);
        assertEquals(2, cost.wakeups(), "wakeups for one release with " + waiters + " waiters: " + cost);
        // The holders' data versions (their own batons) are no reason to list again: one listing.
        assertEquals(1, cost.listings(), "listings to make the next waiter the head: " + cost);
        finish.countDown();
        holders.get(0).close();
        for (Worker<Void> w : workers) {
            w.result();
        }
        assertEquals(waiters, granted.get());
    }

    /**
     * The round trips a contended acquisition makes, counted (8 clients, 3 permits, no hold time):
     * one listing with the create, then at most one more per wait (the head waiter's promotion by
     * the baton), and about one wakeup. A regression here is a slower semaphore.
     */
    @Test
    void aContendedAcquisitionListsAtMostTwiceAndIsWokenAboutOnce(ZkTestContext zk) throws Exception {
        int clients = 8;
        int rounds = 40;
        List<ZkSemaphore> sems = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            sems.add(new ZkSemaphore(zk.session(), PATH, 3));
        }
        sems.get(0).acquire().close(); // defines N and the directory before counting
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        List<Worker<Void>> workers = new ArrayList<>();
        QueueMetrics.Snapshot before = QueueMetrics.snapshot();
        for (ZkSemaphore sem : sems) {
            workers.add(Worker.start("client", () -> {
                start.await();
                for (int i = 0; i < rounds; i++) {
                    sem.acquire().close();
                }
                return null;
            }));
        }
        start.countDown();
        for (Worker<Void> w : workers) {
            w.result();
        }
        QueueMetrics.Snapshot cost = QueueMetrics.snapshot().minus(before);
        double acquisitions = clients * rounds;
        String perAcquisition = String.format(java.util.Locale.ROOT,
                "per acquisition: %.2f creates, %.2f listings, %.2f watches, %.2f wakeups, %.2f deletes",
                cost.creates() / acquisitions, cost.listings() / acquisitions, cost.watches() / acquisitions,
                cost.wakeups() / acquisitions, cost.deletes() / acquisitions);
        System.out.println("contended semaphore, 8 clients, 3 permits, " + perAcquisition);
        // The directory is a container: if it empties between rounds, the test server's reaper may
        // remove it, and the next acquire repeats its create and listing (seen: 1.03 creates, 2.01
        // listings). Hence a margin; a regression to 3 listings is still far outside it.
        assertTrue(cost.creates() >= acquisitions && cost.creates() <= 1.1 * acquisitions, perAcquisition);
        assertTrue(cost.listings() <= 2.2 * acquisitions, perAcquisition);
        assertTrue(cost.wakeups() <= 1.5 * acquisitions, perAcquisition);
    }

    @Test
    void permitsComeBackWhenTheHoldersSessionExpires(ZkTestContext zk) throws Exception {
        ZkSession holderSession = zk.session();
        Lease lease = new ZkSemaphore(holderSession, PATH, 1).acquire();
        ZkSemaphore other = new ZkSemaphore(zk.session(), PATH, 1);
        Worker<Lease> waiter = Worker.start("waiter", other::acquire);
        awaitQueued(zk, 2);
        zk.expire(holderSession);
        Await.result("whenLost", lease.whenLost());
        assertEquals(GrantState.LOST, lease.state());
        Lease got = waiter.result();
        assertTrue(got.fence() > lease.fence());
        got.close();
        lease.close();
    }

    @Test
    void interruptedAndTimedOutAcquiresNeverOrphanALease(ZkTestContext zk) throws Exception {
        ZkSemaphore sem = new ZkSemaphore(zk.session(), PATH, 1);
        long t0 = System.nanoTime();
        sem.acquire().close();
        long uncontended = Math.max(System.nanoTime() - t0, 1_000_000);
        Lease blocker = new ZkSemaphore(zk.session(), PATH, 1).acquire();
        Random random = new Random(11);
        int interrupted = 0;
        for (int i = 0; i < 30; i++) {
            Worker<Lease> w = Worker.start("sweep-" + i, sem::acquire);
            LockSupport.parkNanos((long) (random.nextDouble() * 1.2 * uncontended));
            w.interrupt();
            Throwable t = w.failure();
            assertInstanceOf(InterruptedException.class, t);
            interrupted++;
            awaitQueued(zk, 1);
        }
        assertTrue(sem.tryAcquire(Duration.ofMillis(100)).isEmpty());
        awaitQueued(zk, 1);
        blocker.close();
        // Nothing orphaned: the semaphore is free at once.
        try (Lease l = sem.tryAcquire(Duration.ZERO).orElseThrow()) {
            assertTrue(l.isHeld());
        }
        assertEquals(30, interrupted);
    }

    @Test
    void nIsStoredWithTheSemaphoreAndAChangeIsSeenByWaiters(ZkTestContext zk) throws Exception {
        ZkSemaphore sem = new ZkSemaphore(zk.session(), PATH, 1);
        Lease held = sem.acquire();
        assertEquals(1, sem.permits());
        ZkSemaphore disagrees = new ZkSemaphore(zk.session(), PATH, 4);
        IllegalStateException e = assertThrows(IllegalStateException.class, disagrees::acquire);
        assertTrue(e.getMessage().contains("has 1 permits") && e.getMessage().contains("declared 4"), e.getMessage());
        assertEquals(1, zk.children(PATH).size(), "the refused participant created nothing");

        ZkSemaphore waiterSem = new ZkSemaphore(zk.session(), PATH, 1);
        Worker<Lease> waiter = Worker.start("waiter", waiterSem::acquire);
        awaitQueued(zk, 2);
        Await.until("the head waiter to watch the holder and N", () -> zk.serverWatchCount() == 2);
        sem.setPermits(2);
        Lease second = waiter.result(); // granted by the change, while the first lease is still held
        assertTrue(held.isHeld());
        assertEquals(2, sem.permits());
        IllegalStateException stale = assertThrows(IllegalStateException.class, () -> waiterSem.acquire());
        assertTrue(stale.getMessage().contains("has 2 permits"), stale.getMessage());
        assertThrows(IllegalStateException.class, () -> waiterSem.setPermits(5), "CAS from a stale N fails");
        second.close();
        held.close();
    }

    @Test
    void badArgumentsAreRejectedNamingTheValueAndCreateNothing(ZkTestContext zk) throws Exception {
        ZkSession s = zk.session();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ZkSemaphore(s, PATH, 0));
        assertTrue(e.getMessage().contains("was 0"), e.getMessage());
        ZkSemaphore sem = new ZkSemaphore(s, PATH, 3);
        e = assertThrows(IllegalArgumentException.class, () -> sem.acquire(4));
        assertTrue(e.getMessage().contains("asked for 4") && e.getMessage().contains("has 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> sem.acquire(-1));
        assertTrue(e.getMessage().contains("was -1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> sem.tryAcquire(null));
        assertEquals(null, zk.stat(PATH));
    }

    @Test
    void aLeaseCarriesAFenceAndGuardedWrites(ZkTestContext zk) throws Exception {
        ZkSession s = zk.session();
        s.curator().create().forPath("/data", "v0".getBytes());
        try (Lease lease = new ZkSemaphore(s, PATH, 2).acquire(2)) {
            assertEquals(zk.stat(lease.path()).getCzxid(), lease.fence());
            lease.guarded(s.curator().transactionOp().setData().forPath("/data", "v1".getBytes()));
        }
        assertEquals("v1", new String(s.curator().getData().forPath("/data")));
        s.curator().delete().forPath("/data");
        assertFalse(zk.children(PATH).size() > 0);
    }

    static void awaitQueued(ZkTestContext zk, int n) {
        Await.until(n + " leases under " + PATH, () -> {
            try {
                return zk.children(PATH).size() == n;
            } catch (Exception e) {
                return false;
            }
        });
    }
}
