package io.github.zkrecipes.it.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.locks.LockHandle;
import io.github.zkrecipes.locks.ZkLock;
import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CI row 5, swept: an uncontended acquire and release through a {@link CuttingRelay} that cuts the connection
 * at each of their requests in turn, once dropping the request and once applying it and
 * swallowing the reply ("create applied, reply lost"). After every cut: the acquire completes (or
 * fails cleanly) without self-deadlock, at most one node of the session exists, none after
 * release, and another client then acquires at once.
 */
class LockCutIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static ServerEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() {
        Preload.jarsOf(io.github.zkrecipes.locks.ZkLock.class, io.github.zkrecipes.ZkSession.class);
        ensemble = new ServerEnsemble("cut-" + Long.toHexString(System.nanoTime())).start();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
        ChaosTable.print("LockCutIT");
    }

    private static ZkSession session(String connect, String namespace) {
        return ZkSession.builder(connect).namespace(namespace).sessionTimeout(Scenario.T)
                .connectionTimeout(Duration.ofSeconds(30)).connect();
    }

    private static int nodes(ZkSession admin) {
        try {
            admin.curator().sync().forPath("/lock");
            return admin.curator().getChildren().forPath("/lock").size();
        } catch (KeeperException.NoNodeException e) {
            return 0;
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void row5_aCutAtAnyRequestOfAnAcquireLeavesNoOrphanAndNoDeadlock() throws Exception {
        String namespace = "chaos-row5-" + Long.toHexString(System.nanoTime());
        int server = Math.max(0, ensemble.follower());
        try (CuttingRelay relay = new CuttingRelay(ensemble.clientPort(server), "/" + namespace + "/lock");
                ZkSession client = session("127.0.0.1:" + relay.port(), namespace);
                ZkSession other = session(ensemble.connectString(), namespace);
                ZkSession admin = session(ensemble.connectString(), namespace)) {
            ZkLock lock = new ZkLock(client, "/lock");
            ZkLock otherLock = new ZkLock(other, "/lock");
            relay.arm(0, CuttingRelay.Mode.DROP_REQUEST);
            lock.acquire().close();
            relay.arm(0, CuttingRelay.Mode.DROP_REQUEST);
            lock.acquire().close();
            Await.until("the release to be applied", () -> nodes(admin) == 0, PATIENCE);
            // Requests of one uncontended acquire and its release (3 or 4 here, depending on timing),
            // plus one more position in case this run makes more.
            int requests = relay.counted() + 1;
            assertTrue(requests >= 2, "an acquire and release make requests under the lock's path");

            List<String> v = new ArrayList<>();
            int cuts = 0;
            int sweeps = 0;
            for (CuttingRelay.Mode mode : CuttingRelay.Mode.values()) {
                for (int k = 1; k <= requests; k++) {
                    sweeps++;
                    String at = mode + " at request " + k + "/" + requests;
                    relay.arm(k, mode);
                    Optional<LockHandle> got;
                    try {
                        got = lock.tryAcquire(Duration.ofSeconds(20));
                    } catch (RuntimeException e) {
                        got = Optional.empty();
                        v.add(at + ": acquire threw " + e);
                    }
                    if (got.isEmpty()) {
                        v.add(at + ": acquire did not complete on a free lock (self-deadlock)");
                    } else {
                        int n = nodes(admin);
                        if (n != 1) {
                            v.add(at + ": " + n + " nodes while holding (orphan)");
                        }
                        got.get().close();
                    }
                    try {
                        Await.until("no node left", () -> nodes(admin) == 0, Scenario.T.plusSeconds(10));
                    } catch (AssertionError e) {
                        v.add(at + ": nodes left after release: " + nodes(admin));
                    }
                    cuts += relay.fired() ? 1 : 0;
                    if (k <= 2 && !relay.fired()) {
                        v.add(at + ": the cut did not fire (the create is always among the first two requests)");
                    }
                    Optional<LockHandle> next = otherLock.tryAcquire(Duration.ofSeconds(10));
                    if (next.isEmpty()) {
                        v.add(at + ": another client could not acquire after the cut");
                    } else {
                        next.get().close();
                    }
                }
            }
            ChaosTable.add(new ChaosTable.Row("5", "lock: connection cut at each request of an acquire "
                    + "(dropped / applied-reply-lost)", sweeps, cuts, v.size(), (requests - 1) + "(+1) request positions, each cut both ways; " + cuts + " cuts fired"));
            assertEquals(List.of(), v);
        }
    }
}
