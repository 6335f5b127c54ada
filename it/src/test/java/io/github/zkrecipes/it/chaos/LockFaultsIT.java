package io.github.zkrecipes.it.chaos;

import static io.github.zkrecipes.it.chaos.Nemesis.after;
import static io.github.zkrecipes.it.chaos.Nemesis.by;
import static io.github.zkrecipes.it.chaos.Nemesis.fence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The lock under the client-side and server-crash rows of FAULTS.md marked CI (1, 2, 3, 4, 9, 10,
 * 11): three worker JVMs contend for one {@code ZkLock}, each operation a read-modify-write of the
 * fenced resource and of a ZooKeeper counter, against three server JVMs; one fault per row, aimed
 * at the current holder; then every lock check over the whole history.
 */
class LockFaultsIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static ServerEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() {
        ensemble = new ServerEnsemble("lock-" + Long.toHexString(System.nanoTime())).start();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
        ChaosTable.print("LockFaultsIT");
    }

    private static Scenario scenario(String row, String title) {
        return new Scenario(row, title, ensemble, "/lock", 7_000 + Integer.parseInt(row));
    }

    /** Starts the victim w1 (long holds) and two contenders, and returns w1's first grant. */
    private static Event startWorkers(Scenario s, String victimHoldMs, String... victimConf) {
        String[] conf = new String[4 + victimConf.length];
        conf[0] = "holdMinMs";
        conf[1] = victimHoldMs;
        conf[2] = "holdMaxMs";
        conf[3] = victimHoldMs;
        System.arraycopy(victimConf, 0, conf, 4, victimConf.length);
        s.worker("w1", "lock", conf);
        s.worker("w2", "lock");
        s.worker("w3", "lock");
        s.awaitStarted();
        return s.history.await("w1 to hold the lock", by("w1", "ok", "acquire"), PATIENCE);
    }

    /** Lets w2 and w3 complete {@code n} more operations after {@code since}, then stops everyone. */
    private static void finish(Scenario s, long since, int n) throws InterruptedException {
        Await.until(n + " more operations", () -> s.history.count(x -> x.nanos() > since
                && x.is("ok", "release")) >= n, PATIENCE);
        s.stopAll();
    }

    @Test
    void row1_aBlackholeShorterThanTwoThirdsOfTheSessionTimeoutChangesNothing() throws Exception {
        try (Scenario s = scenario("1", "lock: holder's link blackholed 0.6 s (< 2/3 T)")) {
            Event held = startWorkers(s, "1500");
            long f = held.num("fence");
            s.history.fault("blackhole", "who", "w1", "ms", 600);
            s.link("w1").blackhole();
            Nemesis.faultLasts(Duration.ofMillis(600));
            s.link("w1").heal();
            Event released = s.history.await("w1 to release", fence(f, by("w1", "ok", "release")), PATIENCE);
            finish(s, released.nanos(), 4);

            List<String> v = Nemesis.lockChecks(s, true);
            assertEquals(0, s.history.count(fence(f, by("w1", "info", "grant")).and(e -> !"RELEASED".equals(e.get("state")))),
                    "w1's grant never left HELD");
            assertEquals(0, s.history.count(by("w1", "info", "session").and(e -> !"CLOSED".equals(e.get("state")))),
                    "w1's session was never suspended");
            assertEquals(List.of(), s.report(v, "holder saw nothing"));
        }
    }

    @Test
    void row2_aBlackholeUntilSuspendedKeepsTheSessionAndRevalidatesTheGrant() throws Exception {
        try (Scenario s = scenario("2", "lock: holder's link blackholed until SUSPENDED (2/3 T..T)")) {
            Event held = startWorkers(s, "4000");
            long f = held.num("fence");
            long t0 = System.nanoTime();
            s.history.fault("blackhole", "who", "w1", "until", "SUSPENDED");
            s.link("w1").blackhole();
            Event suspended = s.history.await("w1 to see SUSPENDED", after(t0, e -> e.process().equals("w1")
                    && e.is("info", "session") && "SUSPENDED".equals(e.get("state"))), PATIENCE);
            s.link("w1").heal();
            s.history.await("w1's grant to be HELD again", fence(f, by("w1", "info", "grant")).and(
                    e -> "HELD".equals(e.get("state"))), PATIENCE);
            Event released = s.history.await("w1 to release", fence(f, by("w1", "ok", "release")), PATIENCE);
            finish(s, released.nanos(), 4);

            List<String> v = Nemesis.lockChecks(s, true);
            List<String> states = s.history.events().stream().filter(fence(f, by("w1", "info", "grant")))
                    .map(e -> e.get("state")).toList();
            assertEquals(List.of("UNCERTAIN", "HELD", "RELEASED"), states, "w1's grant: in doubt, then confirmed");
            assertEquals(0, s.history.count(e -> e.process().equals("w1") && "LOST".equals(e.get("state"))));
            assertTrue(suspended.nanos() - t0 < Scenario.T.toNanos(), "suspended before T");
            assertEquals(List.of(), s.report(v, "UNCERTAIN after "
                    + (suspended.nanos() - t0) / 1_000_000 + " ms, then HELD"));
        }
    }

    @Test
    void row3_aBlackholeLongerThanTheSessionTimeoutLosesTheGrantAndFencesTheStaleHolder() throws Exception {
        try (Scenario s = scenario("3", "lock: holder's link blackholed > T (session expires)")) {
            // The victim ignores UNCERTAIN and writes after its hold: its guarded write must fail.
            Event held = startWorkers(s, "6000", "honest", "false");
            long f = held.num("fence");
            long t0 = System.nanoTime();
            s.history.fault("blackhole", "who", "w1", "until", "another holder");
            s.link("w1").blackhole();
            Event next = s.history.await("another worker to be granted", after(t0,
                    e -> !e.process().equals("w1") && e.is("ok", "acquire")), PATIENCE);
            s.link("w1").heal();
            s.history.await("w1's handle to report LOST", fence(f, by("w1", "info", "grant"))
                    .and(e -> "LOST".equals(e.get("state"))), PATIENCE);
            Event write = s.history.await("w1's stale guarded write", fence(f, e -> e.process().equals("w1")
                    && e.op().equals("zkwrite") && !e.type().equals("invoke")), PATIENCE);
            Event rejoined = s.history.await("w1 to be granted again", after(next.nanos(),
                    by("w1", "ok", "acquire")), PATIENCE);
            finish(s, rejoined.nanos(), 2);

            List<String> v = Nemesis.lockChecks(s, true);
            long handover = next.nanos() - t0;
            assertFalse(write.type().equals("ok"), "a stale guarded write was applied: " + write);
            assertTrue(handover < Scenario.T.plusSeconds(4).toNanos(), "granted within T + slack: " + handover);
            assertTrue(s.resource.log().stream().anyMatch(a -> a.client().equals("w1") && a.token() == f
                    && a.op().equals("WRITE") && !a.accepted()), "the resource refused w1's stale token");
            assertEquals(List.of(), s.report(v, "next holder after " + handover / 1_000_000
                    + " ms; stale guarded write " + write.type()));
        }
    }

    @Test
    void row4_connectionResetAndRefusedFailOverKeepingSessionAndGrant() throws Exception {
        try (Scenario s = scenario("4", "lock: holder's connection reset, its server refused")) {
            Event held = startWorkers(s, "2500");
            long f = held.num("fence");
            ClientLink link = s.link("w1");
            int server = -1;
            for (int i = 0; i < ServerEnsemble.SIZE; i++) {
                if (link.proxy(i).connections() > 0) {
                    server = i;
                }
            }
            assertTrue(server >= 0, "w1 is connected through one proxy");
            s.history.fault("refuse+reset", "who", "w1", "server", server);
            link.proxy(server).refuse(true);
            link.reset();
            s.history.await("w1's grant to be HELD again", fence(f, by("w1", "info", "grant"))
                    .and(e -> "HELD".equals(e.get("state"))), PATIENCE);
            Event released = s.history.await("w1 to release", fence(f, by("w1", "ok", "release")), PATIENCE);
            link.heal();
            finish(s, released.nanos(), 4);

            List<String> v = Nemesis.lockChecks(s, true);
            assertEquals(0, s.history.count(e -> e.process().equals("w1") && "LOST".equals(e.get("state"))),
                    "w1 kept its session and grant");
            assertEquals(List.of(), s.report(v, "failed over, grant kept"));
        }
    }

    @Test
    void row9_gracefulCloseWhileHoldingAndWaitingFreesEverythingAtOnce() throws Exception {
        try (Scenario s = scenario("9", "lock: graceful close while holding and while waiting")) {
            Event held = startWorkers(s, "20000");
            Await.until("w2 and w3 to be queued", () -> s.children().size() == 3, PATIENCE);
            s.history.fault("close", "who", "w1");
            long t0 = System.nanoTime();
            s.workers("w1").closeSession();
            Event next = s.history.await("the next holder", after(t0, e -> !e.process().equals("w1")
                    && e.is("ok", "acquire")), PATIENCE);
            String waiter = next.process().equals("w2") ? "w3" : "w2";
            s.history.await(waiter + " to be queued", e -> s.children().size() == 2, PATIENCE);
            s.history.fault("close", "who", waiter);
            s.workers(waiter).closeSession();
            Await.until("the waiter's node to be gone", () -> s.children().size() == 1, PATIENCE);
            s.stopAll();

            List<String> v = Nemesis.lockChecks(s, true);
            long handover = next.nanos() - t0;
            assertTrue(handover < Scenario.T.toNanos() / 2, "the node went at once, not at expiry: " + handover);
            assertEquals(3, s.history.count(e -> e.is("info", "leaks")), "every worker reported");
            assertTrue(held.num("fence") > 0);
            assertEquals(List.of(), s.report(v, "next holder " + handover / 1_000_000 + " ms after close"));
        }
    }

    @Test
    void row10_killingTheClientsFollowerKeepsSessionAndGrant() throws Exception {
        try (Scenario s = scenario("10", "lock: kill -9 of the holder's server (a follower)")) {
            int leader = ensemble.leader();
            assertTrue(leader >= 0);
            s.worker("w1", "lock", "holdMinMs", "2500", "holdMaxMs", "2500");
            s.link("w1").proxy(leader).refuse(true); // so w1 talks to a follower
            s.worker("w2", "lock");
            s.awaitStarted();
            Event held = s.history.await("w1 to hold", by("w1", "ok", "acquire"), PATIENCE);
            long f = held.num("fence");
            int server = -1;
            for (int i = 0; i < ServerEnsemble.SIZE; i++) {
                if (s.link("w1").proxy(i).connections() > 0) {
                    server = i;
                }
            }
            assertTrue(server >= 0 && server != leader, "w1 is on a follower");
            s.history.fault("kill -9 server", "server", server);
            ensemble.kill9(server);
            try {
                s.history.await("w1's grant to be HELD again", fence(f, by("w1", "info", "grant"))
                        .and(e -> "HELD".equals(e.get("state"))), PATIENCE);
                Event released = s.history.await("w1 to release", fence(f, by("w1", "ok", "release")), PATIENCE);
                finish(s, released.nanos(), 3);
            } finally {
                ensemble.restart(server);
                ensemble.awaitAllServing();
            }
            List<String> v = Nemesis.lockChecks(s, true);
            assertEquals(0, s.history.count(e -> e.process().equals("w1") && "LOST".equals(e.get("state"))));
            assertEquals(List.of(), s.report(v, "grant kept across failover"));
        }
    }

    @Test
    void row11_killingAndRestartingTheEnsembleLeaderLosesNoGrantAndGrantsNoSecondHolder() throws Exception {
        try (Scenario s = scenario("11", "lock: kill -9 of the ensemble leader, restart")) {
            Event held = startWorkers(s, "3000");
            long f = held.num("fence");
            int leader = ensemble.leader();
            assertTrue(leader >= 0);
            s.history.fault("kill -9 leader", "server", leader);
            ensemble.kill9(leader);
            try {
                Await.until("a new leader", () -> {
                    int l = ensemble.leader();
                    return l >= 0 && l != leader;
                }, PATIENCE);
            } finally {
                ensemble.restart(leader);
            }
            ensemble.awaitAllServing();
            Event released = s.history.await("w1 to release", fence(f, by("w1", "ok", "release")), PATIENCE);
            finish(s, released.nanos(), 4);

            List<String> v = Nemesis.lockChecks(s, true);
            assertEquals(0, s.history.count(e -> e.process().equals("w1") && "LOST".equals(e.get("state"))),
                    "no grant lost");
            assertEquals(List.of(), s.report(v, "new leader elected; grant kept"));
        }
    }
}
