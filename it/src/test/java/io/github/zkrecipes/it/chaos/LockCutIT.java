package io.github.zkrecipes.it.chaos;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.locks.ZkLock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CI row 5, swept ({@link CutSweep}): an uncontended acquire and release through a {@link
 * CuttingRelay} that cuts the connection at each of their requests in turn, once dropping the
 * request and once applying it and swallowing the reply ("create applied, reply lost"). After
 * every cut: the acquire completes without self-deadlock, exactly one node of the session exists
 * while holding, none after release, and another client then acquires at once.
 */
class LockCutIT {
    private static ServerEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() {
        Preload.jarsOf(ZkLock.class, ZkSession.class);
        ensemble = new ServerEnsemble("cut-" + Long.toHexString(System.nanoTime())).start();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
        ChaosTable.print("LockCutIT");
    }

    @Test
    void row5_aCutAtAnyRequestOfAnAcquireLeavesNoOrphanAndNoDeadlock() throws Exception {
        CutSweep.sweep(ensemble, "5", "lock: acquire + release", "/lock", (cut, other, admin, v) -> {
            CutSweep.holdOnce(new ZkLock(cut, "/lock").tryAcquire(Duration.ofSeconds(20)),
                    "acquire did not complete on a free lock (self-deadlock)", admin, "/lock", "nodes while holding (orphan)", v);
            CutSweep.awaitEmpty(admin, "/lock", "", v);
            CutSweep.holdOnce(new ZkLock(other, "/lock").tryAcquire(Duration.ofSeconds(10)),
                    "another client could not acquire after the cut", admin, "/lock", null, v);
        });
    }
}
