package io.github.zkrecipes.it.chaos;

import static io.github.zkrecipes.it.chaos.Nemesis.after;
import static io.github.zkrecipes.it.chaos.Nemesis.by;
import static io.github.zkrecipes.it.chaos.Nemesis.fence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * FAULTS.md row 7 and the canary: a lock holder's JVM is paused with SIGSTOP between its read and
 * its write, for longer than the session timeout, while another client is granted the lock and
 * writes. Both workers ignore UNCERTAIN/LOST (a GC pause can fall between any check and the
 * write), so only the write itself can protect the data:
 * <ul>
 *   <li>with a plain {@code setData} the paused holder's write is applied on resume and
 *       overwrites the new holder's increment: the canary must lose updates, or the fault did not
 *       bite;
 *   <li>with {@code guarded} (a {@code multi} with a check of the lock node) it is rejected, and
 *       nothing is lost;
 *   <li>in both runs the fenced resource refuses the stale token.
 * </ul>
 */
class LockCanaryIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static ServerEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() {
        ensemble = new ServerEnsemble("canary-" + Long.toHexString(System.nanoTime())).start();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
        ChaosTable.print("LockCanaryIT");
    }

    /** What one run measured. */
    private record Run(int lostCounterUpdates, List<String> violations, Event staleWrite, long pauseMs) { }

    private static Run pausedHolder(Scenario s, boolean guarded) throws Exception {
        String g = Boolean.toString(guarded);
        s.worker("w1", "lock", "honest", "false", "guarded", g, "holdMinMs", "2000", "holdMaxMs", "2000");
        s.worker("w2", "lock", "honest", "false", "guarded", g);
        s.awaitStarted();
        Event read = s.history.await("w1 to hold the lock and read", by("w1", "ok", "read"), PATIENCE);
        long f = read.num("fence");
        WorkerProcess w1 = s.workers("w1");
        w1.pause();
        long t0 = System.nanoTime();
        s.history.fault("SIGSTOP", "who", "w1");
        try {
            // Paused until w1's session expired and w2 took the lock and wrote: the pause is > T.
            s.history.await("w2 to write while w1 is paused", after(t0, by("w2", "ok", "zkwrite")), PATIENCE);
            // The ensemble may expire w1 up to a ping interval (T/3) before T after the pause
            // began; the row is about pauses longer than T, so the pause lasts at least T + 1 s.
            long left = t0 + Scenario.T.plusSeconds(1).toNanos() - System.nanoTime();
            if (left > 0) {
                Nemesis.faultLasts(Duration.ofNanos(left));
            }
        } finally {
            w1.resume();
        }
        long pauseMs = (System.nanoTime() - t0) / 1_000_000;
        s.history.fault("SIGCONT", "who", "w1", "pausedMs", pauseMs);
        long resumed = System.nanoTime();
        Event stale = s.history.await("w1's write after the pause", fence(f, e -> e.process().equals("w1")
                && e.op().equals("zkwrite") && !e.type().equals("invoke")), PATIENCE);
        s.history.await("w1's handle to report LOST", fence(f, by("w1", "info", "grant"))
                .and(e -> "LOST".equals(e.get("state"))), PATIENCE);
        Await.until("three more operations", () -> s.history.count(e -> e.nanos() > resumed
                && e.is("ok", "release")) >= 3, PATIENCE);
        s.stopAll();
        List<String> v = Nemesis.lockChecks(s, false);
        int lost = Checkers.lostCounterUpdates(s.history.events());
        v.removeIf(x -> x.endsWith("lost update(s) of /counter"));
        assertTrue(s.resource.log().stream().anyMatch(a -> a.client().equals("w1") && a.token() == f
                && a.op().equals("WRITE") && !a.accepted()), "the fenced resource refused w1's stale token");
        assertTrue(pauseMs > Scenario.T.toMillis(), "paused longer than T: " + pauseMs);
        return new Run(lost, v, stale, pauseMs);
    }

    @Test
    void row7_canary_anUnguardedWriteAfterAPauseLongerThanTheSessionTimeoutLosesAnUpdate() throws Exception {
        try (Scenario s = new Scenario("7c", "canary: holder SIGSTOPped > T, UNGUARDED zk write", ensemble,
                "/lock", 7_007)) {
            Run r = pausedHolder(s, false);
            assertEquals("ok", r.staleWrite().type(), "the stale unguarded write was applied: " + r.staleWrite());
            s.report(r.violations(), "canary: " + r.lostCounterUpdates() + " zk update(s) lost (must be >= 1); "
                    + "fenced resource lost 0; paused " + r.pauseMs() + " ms");
            assertTrue(r.lostCounterUpdates() >= 1, "the canary lost no update: the fault did not bite");
            assertEquals(List.of(), r.violations(), "fenced resource, fences, leaks");
        }
    }

    @Test
    void row7_aPausedHoldersGuardedWriteIsRejectedAndNothingIsLost() throws Exception {
        try (Scenario s = new Scenario("7", "lock: holder SIGSTOPped > T, guarded zk write", ensemble, "/lock",
                7_008)) {
            Run r = pausedHolder(s, true);
            assertNotEquals("ok", r.staleWrite().type(), "a stale guarded write was applied: " + r.staleWrite());
            List<String> v = new java.util.ArrayList<>(r.violations());
            if (r.lostCounterUpdates() > 0) {
                v.add(r.lostCounterUpdates() + " lost update(s) of /counter");
            }
            assertEquals(List.of(), s.report(v, "stale guarded write " + r.staleWrite().type() + " ("
                    + r.staleWrite().get("error") + "); paused " + r.pauseMs() + " ms"));
        }
    }
}
