package io.github.zkrecipes.it.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.election.Candidacy;
import io.github.zkrecipes.election.ZkElection;
import io.github.zkrecipes.groups.GroupView;
import io.github.zkrecipes.groups.Membership;
import io.github.zkrecipes.groups.ZkDoubleBarrier;
import io.github.zkrecipes.groups.ZkGroup;
import io.github.zkrecipes.locks.Lease;
import io.github.zkrecipes.locks.ZkSemaphore;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CI row 5 for the recipes other than the lock ({@link LockCutIT}): a group join and leave (one
 * transaction each: the member node with its id claim), a semaphore acquire and release, a
 * double-barrier round and an election term, each through a {@link CuttingRelay} that cuts the
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

    /** One operation through the cut session; adds what went wrong to {@code v}. */
    @FunctionalInterface
    interface Round {
        void run(ZkSession cut, ZkSession other, ZkSession admin, List<String> v) throws Exception;
    }

    private static ZkSession session(String connect, String namespace) {
        return ZkSession.builder(connect).namespace(namespace).sessionTimeout(Scenario.T)
                .connectionTimeout(Duration.ofSeconds(30)).connect();
    }

    static List<String> children(ZkSession admin, String path) {
        try {
            admin.curator().sync().forPath(path);
            return admin.curator().getChildren().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        } catch (Exception e) {
            return List.of("(cannot list: " + e + ")");
        }
    }

    static void awaitEmpty(ZkSession admin, String path, String at, List<String> v) {
        try {
            Await.until("nothing left in " + path, () -> children(admin, path).isEmpty(), Scenario.T.plusSeconds(10));
        } catch (AssertionError e) {
            v.add(at + ": left in " + path + ": " + children(admin, path));
        }
    }

    /** Runs {@code round} once uncut to count its requests, then cut at each one, both ways. */
    private static void sweep(String row, String title, String path, Round round) throws Exception {
        String namespace = "chaos-cut-" + Long.toHexString(System.nanoTime());
        int server = Math.max(0, ensemble.follower());
        try (CuttingRelay relay = new CuttingRelay(ensemble.clientPort(server), "/" + namespace + path);
                ZkSession cut = session("127.0.0.1:" + relay.port(), namespace);
                ZkSession other = session(ensemble.connectString(), namespace);
                ZkSession admin = session(ensemble.connectString(), namespace)) {
            List<String> v = new ArrayList<>();
            relay.arm(0, CuttingRelay.Mode.DROP_REQUEST);
            round.run(cut, other, admin, v); // creates the directories: the counted run is a steady one
            relay.arm(0, CuttingRelay.Mode.DROP_REQUEST);
            round.run(cut, other, admin, v);
            int requests = relay.counted() + 1; // one more position in case a run makes more
            assertTrue(requests >= 2, "the operation makes requests under " + path);
            assertEquals(List.of(), v, "uncut runs");
            int cuts = 0;
            int sweeps = 0;
            for (CuttingRelay.Mode mode : CuttingRelay.Mode.values()) {
                for (int k = 1; k <= requests; k++) {
                    sweeps++;
                    String at = mode + " at request " + k + "/" + requests;
                    relay.arm(k, mode);
                    int before = v.size();
                    try {
                        round.run(cut, other, admin, v);
                    } catch (Exception | AssertionError e) {
                        v.add(at + ": threw " + e);
                    }
                    for (int i = before; i < v.size(); i++) {
                        if (!v.get(i).startsWith(at)) {
                            v.set(i, at + ": " + v.get(i));
                        }
                    }
                    cuts += relay.fired() ? 1 : 0;
                    if (k == 1 && !relay.fired()) {
                        v.add(at + ": the cut did not fire");
                    }
                }
            }
            ChaosTable.add(new ChaosTable.Row(row, title + ": connection cut at each request (dropped / applied-reply-lost)",
                    sweeps, cuts, v.size(), (requests - 1) + "(+1) request positions, each cut both ways; " + cuts + " cuts fired"));
            assertEquals(List.of(), v);
        }
    }

    @Test
    void row5g_aCutAtAnyRequestOfAGroupJoinOrLeaveMakesOneMemberAndLeavesNothing() throws Exception {
        sweep("5g", "group join + leave", "/group", (cut, other, admin, v) -> {
            try (GroupView view = new ZkGroup(other, "/group").view()) {
                try (Membership m = new ZkGroup(cut, "/group").join("m", "data")) {
                    if (!view.await(ms -> ms.containsKey("m"), CALL)) {
                        v.add("the join was never seen by another client");
                    }
                    List<String> nodes = children(admin, "/group");
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
            awaitEmpty(admin, "/group", "", v);
            // The id is free: another client joins with it at once.
            try (Membership again = new ZkGroup(other, "/group").join("m", "again")) {
                again.node();
            }
            awaitEmpty(admin, "/group", "", v);
        });
    }

    @Test
    void row5s_aCutAtAnyRequestOfASemaphoreAcquireTakesOnePermitAndLeavesNothing() throws Exception {
        sweep("5s", "semaphore(1) acquire + release", "/sem", (cut, other, admin, v) -> {
            Optional<Lease> lease = new ZkSemaphore(cut, "/sem", 1).tryAcquire(CALL);
            if (lease.isEmpty()) {
                v.add("acquire did not complete on a free semaphore (self-deadlock)");
            } else {
                int n = children(admin, "/sem").size();
                if (n != 1) {
                    v.add(n + " lease nodes while holding one permit");
                }
                lease.get().close();
            }
            awaitEmpty(admin, "/sem", "", v);
            Optional<Lease> next = new ZkSemaphore(other, "/sem", 1).tryAcquire(Duration.ofSeconds(10));
            if (next.isEmpty()) {
                v.add("another client could not acquire after the cut");
            } else {
                next.get().close();
            }
        });
    }

    @Test
    void row5b_aCutAtAnyRequestOfABarrierRoundPassesTheRoundOnceAndLeavesNothing() throws Exception {
        sweep("5b", "barrier(2) enter + leave", "/barrier", (cut, other, admin, v) -> {
            ZkDoubleBarrier mine = new ZkDoubleBarrier(cut, "/barrier", 2);
            ZkDoubleBarrier theirs = new ZkDoubleBarrier(other, "/barrier", 2);
            Worker<Boolean> enter = Worker.start("other-enter", () -> theirs.enter(CALL));
            if (!mine.enter(CALL)) {
                v.add("enter did not pass with both parties present");
            }
            if (!enter.result()) {
                v.add("the other party's enter did not pass");
            }
            int n = children(admin, "/barrier").size();
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
            awaitEmpty(admin, "/barrier", "", v);
        });
    }

    @Test
    void row5e_aCutAtAnyRequestOfAnElectionTermMakesOneLeaderAndLeavesNothing() throws Exception {
        sweep("5e", "election join + resign", "/election", (cut, other, admin, v) -> {
            try (Candidacy me = new ZkElection(cut, "/election").join()) {
                if (me.awaitLeadership(CALL).isEmpty()) {
                    v.add("the only candidate was not elected");
                }
                int n = children(admin, "/election").size();
                if (n != 1) {
                    v.add(n + " candidate nodes for one candidate");
                }
            }
            awaitEmpty(admin, "/election", "", v);
            try (Candidacy next = new ZkElection(other, "/election").join()) {
                if (next.awaitLeadership(Duration.ofSeconds(10)).isEmpty()) {
                    v.add("another candidate was not elected after the cut");
                }
            }
            awaitEmpty(admin, "/election", "", v);
        });
    }
}
