package io.github.zkrecipes.groups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.SessionLostException;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.TestTimeouts;
import io.github.zkrecipes.testing.Worker;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.Test;

@ZkTest
class ZkDoubleBarrierTest {
    private static final String PATH = "/barriers/phase";

    private static Duration patience() {
        return TestTimeouts.patience();
    }

    @Test
    void enterWaitsForAllAndLeaveWaitsForAll(ZkTestContext zk) throws Exception {
        ZkDoubleBarrier a = new ZkDoubleBarrier(zk.session(), PATH, 2);
        ZkDoubleBarrier b = new ZkDoubleBarrier(zk.session(), PATH, 2);
        Worker<Boolean> enterA = Worker.start("a", () -> a.enter(patience()));
        Await.until("a's node", () -> childCount(zk) == 1);
        Await.until("a watching the barrier", () -> zk.serverWatchCount() == 1);
        Await.stillFalse("a to pass alone", enterA::isDone, Duration.ofMillis(200));
        assertTrue(b.enter(patience()));
        assertTrue(enterA.result());
        assertEquals(1, a.round());
        assertEquals(1, b.round());

        Worker<Boolean> leaveA = Worker.start("a-leave", () -> a.leave(patience()));
        Await.until("a's node gone", () -> childCount(zk) == 1);
        Await.until("a watching b's node", () -> zk.serverWatchCount() == 1);
        Await.stillFalse("a to finish leaving before b left", leaveA::isDone, Duration.ofMillis(200));
        assertTrue(b.leave(patience()));
        assertTrue(leaveA.result());
        assertEquals(0, childCount(zk));
    }

    @Test
    void aTimedEnterReturnsFalseOnlyAtItsDeadlineAndLeavesNothing(ZkTestContext zk) throws Exception {
        ZkDoubleBarrier a = new ZkDoubleBarrier(zk.session(), PATH, 3);
        Duration timeout = Duration.ofMillis(600);
        long start = System.nanoTime();
        assertFalse(a.enter(timeout));
        assertTrue(System.nanoTime() - start >= timeout.toNanos(), "returned before its deadline");
        assertEquals(0, childCount(zk));
        assertFalse(a.enter(Duration.ZERO));
        assertEquals(0, childCount(zk));
        assertThrows(IllegalStateException.class, () -> a.leave(Duration.ZERO));
    }

    @Test
    void anInterruptedEnterThrowsAndLeavesNothing(ZkTestContext zk) throws Exception {
        ZkDoubleBarrier a = new ZkDoubleBarrier(zk.session(), PATH, 2);
        Worker<Boolean> enter = Worker.start("a", () -> a.enter(patience()));
        Await.until("a watching the barrier", () -> zk.serverWatchCount() == 1 && childCount(zk) == 1);
        enter.interrupt();
        assertInstanceOf(InterruptedException.class, enter.failure());
        Await.until("a's node removed", () -> childCount(zk) == 0);
        assertThrows(IllegalStateException.class, () -> a.leave(Duration.ZERO));
    }

    @Test
    void aTimedLeaveReturnsFalseAtItsDeadlineWhileOthersStay(ZkTestContext zk) throws Exception {
        ZkDoubleBarrier a = new ZkDoubleBarrier(zk.session(), PATH, 2);
        ZkDoubleBarrier b = new ZkDoubleBarrier(zk.session(), PATH, 2);
        Worker<Boolean> enterA = Worker.start("a", () -> a.enter(patience()));
        assertTrue(b.enter(patience()));
        assertTrue(enterA.result());
        Duration timeout = Duration.ofMillis(500);
        long start = System.nanoTime();
        assertFalse(a.leave(timeout));
        assertTrue(System.nanoTime() - start >= timeout.toNanos());
        assertEquals(1, childCount(zk)); // a has left; b is still in
        assertTrue(b.leave(patience()));
        assertEquals(0, childCount(zk));
    }

    @Test
    void badArgumentsAreRejectedByName(ZkTestContext zk) {
        ZkSession s = zk.session();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ZkDoubleBarrier(s, PATH, 0));
        assertTrue(e.getMessage().contains("0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ZkDoubleBarrier(s, "/", 2));
        assertThrows(IllegalArgumentException.class, () -> new ZkDoubleBarrier(s, PATH, 2).enter(null));
    }

    @Test
    void anEntrantBeyondNIsRejectedAndItsNodeRemoved(ZkTestContext zk) throws Exception {
        ZkDoubleBarrier a = new ZkDoubleBarrier(zk.session(), PATH, 2);
        ZkDoubleBarrier b = new ZkDoubleBarrier(zk.session(), PATH, 2);
        Worker<Boolean> enterA = Worker.start("a", () -> a.enter(patience()));
        assertTrue(b.enter(patience()));
        assertTrue(enterA.result());
        ZkDoubleBarrier c = new ZkDoubleBarrier(zk.session(), PATH, 2);
        BarrierFullException full = assertThrows(BarrierFullException.class, () -> c.enter(patience()));
        assertEquals(2, full.parties());
        assertTrue(full.getMessage().contains(PATH), full.getMessage());
        assertEquals(2, childCount(zk));
        // once one has left, the round is still in progress: still refused
        Worker<Boolean> leaveA = Worker.start("a-leave", () -> a.leave(patience()));
        Await.until("a's node gone", () -> childCount(zk) == 1);
        assertThrows(BarrierFullException.class, () -> c.enter(patience()));
        assertTrue(b.leave(patience()));
        assertTrue(leaveA.result());
        assertEquals(0, childCount(zk));
    }

    @Test
    void ofConcurrentEntrantsTheFirstNAreInAndTheRestRefused(ZkTestContext zk) throws Exception {
        int n = 3;
        int entrants = 5;
        CountDownLatch go = new CountDownLatch(1);
        List<ZkDoubleBarrier> barriers = new ArrayList<>();
        List<Worker<Boolean>> workers = new ArrayList<>();
        for (int i = 0; i < entrants; i++) {
            ZkDoubleBarrier b = new ZkDoubleBarrier(zk.session(), PATH, n);
            barriers.add(b);
            workers.add(Worker.start("e" + i, () -> {
                go.await();
                return b.enter(patience());
            }));
        }
        go.countDown();
        List<ZkDoubleBarrier> in = new ArrayList<>();
        int refused = 0;
        for (int i = 0; i < entrants; i++) {
            try {
                assertTrue(workers.get(i).result());
                in.add(barriers.get(i));
            } catch (BarrierFullException e) {
                refused++;
            }
        }
        assertEquals(n, in.size());
        assertEquals(entrants - n, refused);
        assertEquals(n, childCount(zk));
        List<Worker<Boolean>> leaving = new ArrayList<>();
        for (ZkDoubleBarrier b : in) {
            leaving.add(Worker.start("leave", () -> b.leave(patience())));
        }
        for (Worker<Boolean> w : leaving) {
            assertTrue(w.result());
        }
        assertEquals(0, childCount(zk));
    }

    @Test
    void aCrashedParticipantMakesTheSurvivorsTimeOutCleanly(ZkTestContext zk) throws Exception {
        ZkSession victimSession = zk.session();
        ZkDoubleBarrier victim = new ZkDoubleBarrier(victimSession, PATH, 3);
        ZkDoubleBarrier survivor = new ZkDoubleBarrier(zk.session(), PATH, 3);
        Worker<Boolean> v = Worker.start("victim", () -> victim.enter(patience()));
        Await.until("the victim's node", () -> childCount(zk) == 1);
        Duration timeout = Duration.ofSeconds(2);
        long start = System.nanoTime();
        Worker<Boolean> s = Worker.start("survivor", () -> survivor.enter(timeout));
        Await.until("both nodes", () -> childCount(zk) == 2);
        zk.expire(victimSession);
        assertInstanceOf(SessionLostException.class, v.failure());
        assertFalse(s.result());
        assertTrue(System.nanoTime() - start >= timeout.toNanos(), "the survivor gave up before its deadline");
        assertEquals(0, childCount(zk));
    }

    @Test
    void spuriousWakeupsGrantNothing(ZkTestContext zk) throws Exception {
        ZkDoubleBarrier a = new ZkDoubleBarrier(zk.session(), PATH, 2);
        Worker<Boolean> enterA = Worker.start("a", () -> a.enter(patience()));
        Await.until("a's node", () -> childCount(zk) == 1);
        Await.until("a watching the barrier", () -> zk.serverWatchCount() == 1);
        for (int i = 0; i < 20; i++) {
            touchAll(zk.admin(), zk.serverPath(PATH));
            Await.until("a to watch again", () -> zk.serverWatchCount() == 1);
        }
        assertFalse(enterA.isDone(), "a spurious wakeup passed the barrier");
        ZkDoubleBarrier b = new ZkDoubleBarrier(zk.session(), PATH, 2);
        assertTrue(b.enter(patience()));
        assertTrue(enterA.result());
        Worker<Boolean> leaveA = Worker.start("a-leave", () -> a.leave(patience()));
        Await.until("a's node gone", () -> childCount(zk) == 1);
        Await.until("a watching b's node", () -> zk.serverWatchCount() == 1);
        for (int i = 0; i < 20; i++) {
            touchAll(zk.admin(), zk.serverPath(PATH));
            Await.until("a to watch again", () -> zk.serverWatchCount() == 1);
        }
        assertFalse(leaveA.isDone(), "a spurious wakeup finished leaving");
        assertTrue(b.leave(patience()));
        assertTrue(leaveA.result());
    }

    /**
     * 5 participants, 20 rounds, while another client keeps touching the barrier's directory and
     * nodes (same data, new version: a wakeup for whoever watches them). Every participant records
     * how many had called enter (leave) when its enter (leave) returned: always all 5.
     */
    @Test
    void twentyRoundsOfFiveNeverPassEarlyUnderSpuriousNotifies(ZkTestContext zk) throws Exception {
        int parties = 5;
        int rounds = 20;
        AtomicIntegerArray entered = new AtomicIntegerArray(rounds);
        AtomicIntegerArray left = new AtomicIntegerArray(rounds);
        List<String> violations = new java.util.concurrent.CopyOnWriteArrayList<>();
        Set<Long> roundNumbers = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger touches = new AtomicInteger();
        Worker<Void> toucher = Worker.start("toucher", () -> {
            while (!stop.get()) {
                touches.addAndGet(touchAll(zk.admin(), zk.serverPath(PATH)));
                Thread.onSpinWait();
            }
            return null;
        });
        List<Worker<Void>> workers = new ArrayList<>();
        for (int p = 0; p < parties; p++) {
            ZkDoubleBarrier b = new ZkDoubleBarrier(zk.session(), PATH, parties);
            int me = p;
            workers.add(Worker.start("p" + p, () -> {
                for (int r = 0; r < rounds; r++) {
                    entered.incrementAndGet(r);
                    if (!b.enter(patience())) {
                        violations.add("p" + me + " timed out entering round " + r);
                        return null;
                    }
                    int in = entered.get(r);
                    if (in != parties) {
                        violations.add("p" + me + " entered round " + r + " with " + in + " of " + parties);
                    }
                    roundNumbers.add(r * 1000L + b.round());
                    left.incrementAndGet(r);
                    if (!b.leave(patience())) {
                        violations.add("p" + me + " timed out leaving round " + r);
                        return null;
                    }
                    int out = left.get(r);
                    if (out != parties) {
                        violations.add("p" + me + " left round " + r + " with " + out + " of " + parties);
                    }
                }
                return null;
            }));
        }
        try {
            for (Worker<Void> w : workers) {
                w.result();
            }
        } finally {
            stop.set(true);
            toucher.result();
        }
        assertEquals(List.of(), violations);
        assertEquals(rounds, roundNumbers.size(), "participants disagree on a round's number: " + roundNumbers);
        assertTrue(touches.get() > rounds, "the toucher hardly ran: " + touches.get());
        assertEquals(0, childCount(zk));
    }

    /** Rewrites the directory's and every node's data unchanged (version CAS): a pure notification. */
    static int touchAll(ZooKeeper admin, String dir) throws InterruptedException {
        int n = 0;
        try {
            List<String> paths = new ArrayList<>();
            paths.add(dir);
            for (String c : admin.getChildren(dir, false)) {
                paths.add(dir + "/" + c);
            }
            for (String p : paths) {
                try {
                    Stat st = new Stat();
                    byte[] d = admin.getData(p, false, st);
                    admin.setData(p, d, st.getVersion());
                    n++;
                } catch (KeeperException.BadVersionException | KeeperException.NoNodeException raced) {
                    // changed or gone meanwhile: fine
                }
            }
        } catch (KeeperException.NoNodeException gone) {
            // no barrier right now
        } catch (KeeperException e) {
            throw new AssertionError(e);
        }
        return n;
    }

    static int childCount(ZkTestContext zk) {
        try {
            return zk.children(PATH).size();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static final Random RANDOM = new Random();
}
