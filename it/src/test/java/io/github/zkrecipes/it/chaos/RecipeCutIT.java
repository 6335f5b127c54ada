package io.github.zkrecipes.it.chaos;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.election.Candidacy;
import io.github.zkrecipes.election.ZkElection;
import io.github.zkrecipes.groups.GroupView;
import io.github.zkrecipes.groups.Membership;
import io.github.zkrecipes.groups.ZkDoubleBarrier;
import io.github.zkrecipes.groups.ZkGroup;
import io.github.zkrecipes.locks.LockHandle;
import io.github.zkrecipes.locks.ZkLock;
import io.github.zkrecipes.locks.ZkReadWriteLock;
import io.github.zkrecipes.locks.ZkSemaphore;
import io.github.zkrecipes.testing.Worker;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CI row 5 ({@link CutSweep}) for the recipes other than the lock ({@link LockCutIT}): a group join and leave (one
 * transaction each: the member node with its id claim), a semaphore acquire and release, a
 * double-barrier round, an election term, a read then a write lock, and a lock acquire that waits
 * behind a holder (its watch and its listing after the wakeup), each through a {@link CuttingRelay} that cuts the
 * connection at each of their requests in turn, once dropping the request and once applying it
 * and swallowing the reply. After every cut: the call completes on the cut session without
 * self-deadlock, the session has exactly the nodes it should, nothing is left after close, and
 * another client proceeds at once.
 */
class RecipeCutIT {
    private static final Duration CALL = Duration.ofSeconds(20);
    private static ServerEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() {
        Preload.jarsOf(ZkGroup.class, ZkSemaphore.class, ZkElection.class, ZkSession.class);
        ensemble = new ServerEnsemble("recipe-cut-" + Long.toHexString(System.nanoTime())).start();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
        ChaosTable.print("RecipeCutIT");
    }

    @Test
    void row5g_aCutAtAnyRequestOfAGroupJoinOrLeaveMakesOneMemberAndLeavesNothing() throws Exception {
        CutSweep.sweep(ensemble, "5g", "group join + leave", "/group", (cut, other, admin, v) -> {
            try (GroupView view = new ZkGroup(other, "/group").view()) {
                try (Membership m = new ZkGroup(cut, "/group").join("m", "data")) {
                    if (!view.await(ms -> ms.containsKey("m"), CALL)) {
                        v.add("the join was never seen by another client");
                    }
                    List<String> nodes = CutSweep.children(admin, "/group");
                    if (nodes.size() != 2) {
                        v.add("expected one member node and one id claim, found " + nodes);
                    }
                    if (!m.node().startsWith("/group/")) {
                        v.add("membership reports node " + m.node());
                    }
                }
                if (!view.await(ms -> ms.isEmpty(), CALL)) {
                    v.add("the leave was never seen by another client");
                }
            }
            CutSweep.awaitEmpty(admin, "/group", "", v);
            // The id is free: another client joins with it at once.
            try (Membership again = new ZkGroup(other, "/group").join("m", "again")) {
                again.node();
            }
            CutSweep.awaitEmpty(admin, "/group", "", v);
        });
    }

    @Test
    void row5s_aCutAtAnyRequestOfASemaphoreAcquireTakesOnePermitAndLeavesNothing() throws Exception {
        CutSweep.sweep(ensemble, "5s", "semaphore(1) acquire + release", "/sem", (cut, other, admin, v) -> {
            CutSweep.holdOnce(new ZkSemaphore(cut, "/sem", 1).tryAcquire(CALL),
                    "acquire did not complete on a free semaphore (self-deadlock)", admin, "/sem",
                    "lease nodes while holding one permit", v);
            CutSweep.awaitEmpty(admin, "/sem", "", v);
            CutSweep.holdOnce(new ZkSemaphore(other, "/sem", 1).tryAcquire(Duration.ofSeconds(10)),
                    "another client could not acquire after the cut", admin, "/sem", null, v);
        });
    }

    @Test
    void row5b_aCutAtAnyRequestOfABarrierRoundPassesTheRoundOnceAndLeavesNothing() throws Exception {
        CutSweep.sweep(ensemble, "5b", "barrier(2) enter + leave", "/barrier", (cut, other, admin, v) -> {
            ZkDoubleBarrier mine = new ZkDoubleBarrier(cut, "/barrier", 2);
            ZkDoubleBarrier theirs = new ZkDoubleBarrier(other, "/barrier", 2);
            Worker<Boolean> enter = Worker.start("other-enter", () -> theirs.enter(CALL));
            if (!mine.enter(CALL)) {
                v.add("enter did not pass with both parties present");
            }
            if (!enter.result()) {
                v.add("the other party's enter did not pass");
            }
            int n = CutSweep.children(admin, "/barrier").size();
            if (n != 2) {
                v.add(n + " barrier nodes in a round of 2");
            }
            Worker<Boolean> leave = Worker.start("other-leave", () -> theirs.leave(CALL));
            if (!mine.leave(CALL)) {
                v.add("leave did not pass");
            }
            if (!leave.result()) {
                v.add("the other party's leave did not pass");
            }
            CutSweep.awaitEmpty(admin, "/barrier", "", v);
        });
    }

    @Test
    void row5e_aCutAtAnyRequestOfAnElectionTermMakesOneLeaderAndLeavesNothing() throws Exception {
        CutSweep.sweep(ensemble, "5e", "election join + resign", "/election", (cut, other, admin, v) -> {
            try (Candidacy me = new ZkElection(cut, "/election").join()) {
                if (me.awaitLeadership(CALL).isEmpty()) {
                    v.add("the only candidate was not elected");
                }
                int n = CutSweep.children(admin, "/election").size();
                if (n != 1) {
                    v.add(n + " candidate nodes for one candidate");
                }
            }
            CutSweep.awaitEmpty(admin, "/election", "", v);
            try (Candidacy next = new ZkElection(other, "/election").join()) {
                if (next.awaitLeadership(Duration.ofSeconds(10)).isEmpty()) {
                    v.add("another candidate was not elected after the cut");
                }
            }
            CutSweep.awaitEmpty(admin, "/election", "", v);
        });
    }
    @Test
    void row5r_aCutAtAnyRequestOfAReadThenAWriteLockLeavesNothing() throws Exception {
        CutSweep.sweep(ensemble, "5r", "read-write lock: read + write", "/rw", (cut, other, admin, v) -> {
            ZkReadWriteLock rw = new ZkReadWriteLock(cut, "/rw");
            CutSweep.holdOnce(rw.tryAcquireRead(CALL), "read acquire did not complete on a free lock (self-deadlock)",
                    admin, "/rw", null, v);
            CutSweep.holdOnce(rw.tryAcquireWrite(CALL), "write acquire did not complete on a free lock (self-deadlock)",
                    admin, "/rw", "nodes while holding the write lock (orphan)", v);
            CutSweep.awaitEmpty(admin, "/rw", "", v);
            CutSweep.holdOnce(new ZkReadWriteLock(other, "/rw").tryAcquireWrite(Duration.ofSeconds(10)),
                    "another client could not take the write lock after the cut", admin, "/rw", null, v);
        });
    }

    /**
     * The waiting path: another client holds the lock, the cut session queues behind it (create,
     * listing, watch), is woken by the release and lists again; each of those requests is cut.
     */
    @Test
    void row5w_aCutAtAnyRequestOfAWaitingAcquireIsGrantedOnceTheHolderLeaves() throws Exception {
        CutSweep.sweep(ensemble, "5w", "lock: wait behind a holder, then acquire", "/wait", (cut, other, admin, v) -> {
            LockHandle held = new ZkLock(other, "/wait").acquire();
            // The lock is owned by the thread that acquired it: the waiter checks and releases it.
            Worker<String> waiter = Worker.start("cut-waiter", () -> {
                Optional<LockHandle> got = new ZkLock(cut, "/wait").tryAcquire(CALL);
                if (got.isEmpty()) {
                    return "the waiter was not granted after the holder left";
                }
                int n = CutSweep.children(admin, "/wait").size();
                got.get().close();
                return n == 1 ? null : n + " nodes while the waiter holds the lock (orphan)";
            });
            io.github.zkrecipes.testing.Await.until("the cut session to queue behind the holder",
                    () -> waiter.isDone() || CutSweep.children(admin, "/wait").size() == 2);
            held.close();
            String violation = waiter.result();
            if (violation != null) {
                v.add(violation);
            }
            CutSweep.awaitEmpty(admin, "/wait", "", v);
        });
    }
}
