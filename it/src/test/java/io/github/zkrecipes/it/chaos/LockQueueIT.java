package io.github.zkrecipes.it.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.locks.LockHandle;
import io.github.zkrecipes.locks.ZkLock;
import io.github.zkrecipes.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The lock's queue on the three server JVMs, with clients in the test JVM (twenty client JVMs
 * would not fit two cores): CI rows 22 (stray watch events), 23 (twenty waiters, one woken per
 * release, FIFO) and 25 (container parent deleted between uses).
 */
class LockQueueIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static ServerEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() {
        Preload.jarsOf(io.github.zkrecipes.locks.ZkLock.class, io.github.zkrecipes.ZkSession.class);
        ensemble = new ServerEnsemble("queue-" + Long.toHexString(System.nanoTime())).start();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
        ChaosTable.print("LockQueueIT");
    }

    private static ZkSession session(String namespace, String who) {
        return ZkSession.builder(ensemble.connectString()).namespace(namespace).participantId(who)
                .sessionTimeout(Scenario.T).connectionTimeout(Duration.ofSeconds(30)).connect();
    }

    /** Clients in this JVM queued on one lock, in a known order. */
    private static final class Queue implements AutoCloseable {
        final String namespace = "chaos-queue-" + Long.toHexString(System.nanoTime());
        final ZkSession admin = session(namespace, "admin");
        final List<ZkSession> sessions = new ArrayList<>();
        final ExecutorService pool = Executors.newCachedThreadPool();
        final ConcurrentLinkedQueue<String> grants = new ConcurrentLinkedQueue<>();

        ZkLock lock(String who) {
            ZkSession s = session(namespace, who);
            sessions.add(s);
            return new ZkLock(s, "/lock");
        }

        /** Starts waiter {@code who}; returns once it is visibly queued; it releases at once when granted. */
        CompletableFuture<Long> waiter(String who) throws InterruptedException {
            ZkLock lock = lock(who);
            int before = new ZkLock(admin, "/lock").queue().size();
            CompletableFuture<Long> granted = CompletableFuture.supplyAsync(() -> {
                try (LockHandle h = lock.acquire()) {
                    grants.add(who);
                    return h.fence();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, pool);
            ZkLock view = new ZkLock(admin, "/lock");
            Await.until(who + " to be queued", () -> {
                try {
                    return view.queue().size() == before + 1;
                } catch (InterruptedException e) {
                    return false;
                }
            }, PATIENCE);
            return granted;
        }

        @Override
        public void close() {
            pool.shutdownNow();
            sessions.forEach(ZkSession::close);
            admin.close();
        }
    }

    @Test
    void row23_twentyWaitersAreGrantedOneAtATimeInArrivalOrderEachWatchingOneNode() throws Exception {
        try (Queue q = new Queue()) {
            LockHandle holder = q.lock("holder").acquire();
            int baseline = ensemble.watches();
            List<String> order = new ArrayList<>();
            List<CompletableFuture<Long>> waiters = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                order.add("w" + i);
                waiters.add(q.waiter("w" + i));
            }
            Await.until("every waiter to watch its predecessor", () -> ensemble.watches() - baseline >= 20, PATIENCE);
            int watches = ensemble.watches() - baseline;
            assertTrue(waiters.stream().noneMatch(CompletableFuture::isDone), "nobody granted while held");
            long fence = holder.fence();
            holder.close();
            List<Long> fences = new ArrayList<>();
            for (CompletableFuture<Long> w : waiters) {
                fences.add(w.get(PATIENCE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS));
            }
            List<String> v = new ArrayList<>();
            if (!new ArrayList<>(q.grants).equals(order)) {
                v.add("grant order " + q.grants + " is not arrival order " + order);
            }
            for (long f : fences) {
                if (f <= fence) {
                    v.add("fence " + f + " after " + fence);
                }
                fence = f;
            }
            if (watches != 20) {
                v.add(watches + " watches for 20 waiters (want one each)");
            }
            ChaosTable.add(new ChaosTable.Row("23", "lock: 20 waiters, holder releases", 21, 0, v.size(),
                    watches + " watches for 20 waiters; FIFO"));
            assertEquals(List.of(), v);
        }
    }

    @Test
    void row22_strayWatchEventsGrantNothingEarly() throws Exception {
        try (Queue q = new Queue()) {
            LockHandle holder = q.lock("holder").acquire();
            List<CompletableFuture<Long>> waiters = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                waiters.add(q.waiter("w" + i));
            }
            int strays = 0;
            for (int round = 0; round < 20; round++) {
                for (String child : q.admin.curator().getChildren().forPath("/lock")) {
                    try {
                        q.admin.curator().setData().forPath("/lock/" + child, ("stray" + round).getBytes(StandardCharsets.UTF_8));
                        strays++;
                    } catch (org.apache.zookeeper.KeeperException.NoNodeException gone) {
                        // raced with nothing: nobody releases here
                    }
                }
                q.admin.curator().create().withMode(CreateMode.EPHEMERAL).forPath("/lock/stray-" + round);
                q.admin.curator().delete().forPath("/lock/stray-" + round);
                strays += 2;
            }
            q.admin.curator().setData().forPath("/lock", "stray".getBytes(StandardCharsets.UTF_8));
            strays++;
            assertTrue(holder.isHeld(), "the holder is unaffected");
            List<String> v = new ArrayList<>();
            if (waiters.stream().anyMatch(CompletableFuture::isDone)) {
                v.add("a waiter was granted while the lock was held: " + q.grants);
            }
            assertEquals(4, new ZkLock(q.admin, "/lock").queue().size(), "everyone still queued once");
            holder.close();
            for (CompletableFuture<Long> w : waiters) {
                w.get(PATIENCE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            }
            if (!new ArrayList<>(q.grants).equals(List.of("w0", "w1", "w2"))) {
                v.add("order after stray events: " + q.grants);
            }
            ChaosTable.add(new ChaosTable.Row("22", "lock: stray data/child watch events on every node", 4, strays,
                    v.size(), "nothing granted early"));
            assertEquals(List.of(), v);
        }
    }

    @Test
    void row25_deletingTheContainerParentBetweenUsesKeepsFencesIncreasing() throws Exception {
        try (Queue q = new Queue()) {
            ZkLock a = q.lock("a");
            ZkLock b = q.lock("b");
            long last = Long.MIN_VALUE;
            List<String> v = new ArrayList<>();
            int deletions = 0;
            for (int round = 0; round < 10; round++) {
                ZkLock lock = round % 2 == 0 ? a : b;
                try (LockHandle h = lock.acquire()) {
                    if (h.fence() <= last) {
                        v.add("round " + round + ": fence " + h.fence() + " after " + last);
                    }
                    last = h.fence();
                } catch (RuntimeException e) {
                    v.add("round " + round + ": " + e);
                }
                // The admin session may be on a follower that has not applied the release yet
                // (reads and writes of other sessions are not linearizable): retry until it has.
                Await.until("the empty directory to be deleted", () -> {
                    try {
                        q.admin.curator().delete().forPath("/lock");
                        return true;
                    } catch (org.apache.zookeeper.KeeperException.NotEmptyException notYet) {
                        return false;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, PATIENCE);
                deletions++;
            }
            assertFalse(q.admin.curator().checkExists().forPath("/lock") != null);
            ChaosTable.add(new ChaosTable.Row("25", "lock: container parent deleted between uses", 10, deletions,
                    v.size(), "fences still increase"));
            assertEquals(List.of(), v);
        }
    }
}
