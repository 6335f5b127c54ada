package io.github.zkrecipes.it.chaos;

import static io.github.zkrecipes.it.chaos.Nemesis.after;
import static io.github.zkrecipes.it.chaos.Nemesis.by;
import static io.github.zkrecipes.it.chaos.Nemesis.fence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Client-side rows of the full matrix ({@code -Pchaos}): 6 (client JVM killed while holding or
 * leading), 8 (client paused shorter than 2/3 T), 18 (throttled links), 26 (wall-clock step: not
 * run, see below).
 */
class ClientChaosIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static ServerEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() {
        ensemble = new ServerEnsemble("client-chaos-" + Long.toHexString(System.nanoTime())).start();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
        ChaosTable.print("ClientChaosIT");
    }

    private static void more(Scenario s, int n) throws InterruptedException {
        long since = System.nanoTime();
        Await.until(n + " more operations", () -> s.history.count(e -> e.nanos() > since
                && e.is("ok", "release")) >= n, PATIENCE);
        s.stopAll();
    }

    @Test
    void row6_aHolderKilledWithSigkillIsReplacedWithinTheSessionTimeout() throws Exception {
        try (Scenario s = new Scenario("6", "lock: holder JVM kill -9", ensemble, "/lock", 6)) {
            s.worker("w1", "lock", "holdMinMs", "10000", "holdMaxMs", "10000");
            s.worker("w2", "lock");
            s.worker("w3", "lock");
            s.awaitStarted();
            s.history.await("w1 to hold", by("w1", "ok", "acquire"), PATIENCE);
            long t0 = System.nanoTime();
            s.history.fault("kill -9", "who", "w1");
            s.workers("w1").kill9();
            Event next = s.history.await("a waiter to be granted", after(t0, e -> e.is("ok", "acquire")), PATIENCE);
            more(s, 3);
            long handover = next.nanos() - t0;
            List<String> v = Nemesis.lockChecks(s, true);
            if (handover > Scenario.T.plusSeconds(3).toNanos()) {
                v.add("handover after " + handover / 1_000_000 + " ms > T + 3 s");
            }
            assertEquals(List.of(), s.report(v, "next holder after " + handover / 1_000_000 + " ms"));
        }
    }

    @Test
    void row6_aLeaderKilledWithSigkillIsReplacedOnce() throws Exception {
        try (Scenario s = new Scenario("6e", "election: leader JVM kill -9", ensemble, "/election", 66)) {
            ElectionFaultsIT.startElection(s);
            long t0 = System.nanoTime();
            s.history.fault("kill -9", "who", "e1");
            s.workers("e1").kill9();
            Event next = s.history.await("a new leader", after(t0, e -> e.is("info", "elect")
                    && "LEADING".equals(e.get("state"))), PATIENCE);
            s.stopAll();
            long handover = next.nanos() - t0;
            List<String> v = ElectionFaultsIT.electionChecks(s);
            if (handover > Scenario.T.plusSeconds(3).toNanos()) {
                v.add("new leader after " + handover / 1_000_000 + " ms > T + 3 s");
            }
            assertEquals(List.of(), s.report(v, "new leader after " + handover / 1_000_000 + " ms"));
        }
    }

    @Test
    void row6_barrierSurvivorsOfAKilledMemberTimeOutCleanly() throws Exception {
        try (Scenario s = new Scenario("6b", "barrier(3): a member JVM kill -9 mid-round", ensemble, "/barrier", 606)) {
            s.worker("b1", "barrier", "parties", "3", "holdMinMs", "0", "holdMaxMs", "50", "timeoutMs", "8000");
            s.worker("b2", "barrier", "parties", "3", "holdMinMs", "0", "holdMaxMs", "50", "timeoutMs", "8000");
            s.worker("b3", "barrier", "parties", "3", "holdMinMs", "60000", "holdMaxMs", "60000", "timeoutMs", "8000");
            s.awaitStarted();
            // b3 holds inside the first round for a minute while b1 and b2 wait in leave; kill b3 there.
            Await.until("b1 and b2 to wait in leave", () -> s.history.count(e -> e.is("invoke", "leave")
                    && !e.process().equals("b3")) == 2, PATIENCE);
            s.history.fault("kill -9", "who", "b3");
            s.workers("b3").kill9();
            for (String w : List.of("b1", "b2")) {
                s.workers(w).awaitExit(PATIENCE);
            }
            List<Event> events = s.history.events();
            List<String> v = new ArrayList<>(Checkers.barrier(events));
            v.addAll(Checkers.timedCallsOnTime(events));
            v.addAll(Checkers.leaks(events));
            // A dead member counts as gone once its session expires: the survivors' leave then
            // passes (not before the kill); their next enter can never fill and must time out.
            long crash = events.stream().filter(e -> e.is("info", "crash")).mapToLong(Event::nanos).findFirst()
                    .orElseThrow();
            long leftAfter = events.stream().filter(e -> e.is("ok", "leave")).mapToLong(e -> e.nanos() - crash)
                    .min().orElse(-1);
            if (leftAfter < 0) {
                v.add("the survivors' leave never passed");
            }
            long timedOut = s.history.count(e -> e.is("fail", "enter"));
            if (timedOut != 2) {
                v.add(timedOut + " of 2 survivors timed out in the next enter");
            }
            v.addAll(s.afterQuiescence());
            assertEquals(List.of(), s.report(v, "leave passed " + leftAfter / 1_000_000 + " ms after the kill "
                    + "(its session expired); next enter timed out on time"));
        }
    }

    @Test
    void row8_aHolderPausedShorterThanTwoThirdsOfTheSessionTimeoutChangesNothing() throws Exception {
        try (Scenario s = new Scenario("8", "lock: holder JVM SIGSTOPped 1 s (< 2/3 T)", ensemble, "/lock", 8)) {
            s.worker("w1", "lock", "holdMinMs", "3000", "holdMaxMs", "3000");
            s.worker("w2", "lock");
            s.awaitStarted();
            long f = s.history.await("w1 to hold", by("w1", "ok", "acquire"), PATIENCE).num("fence");
            s.history.fault("SIGSTOP 1 s", "who", "w1");
            s.workers("w1").pause();
            try {
                Nemesis.faultLasts(Duration.ofSeconds(1));
            } finally {
                s.workers("w1").resume();
            }
            s.history.await("w1 to release", fence(f, by("w1", "ok", "release")), PATIENCE);
            more(s, 3);
            List<String> v = Nemesis.lockChecks(s, true);
            long doubts = s.history.count(fence(f, by("w1", "info", "grant")).and(e -> !"RELEASED".equals(e.get("state"))));
            if (doubts > 0) {
                v.add("w1's grant changed state during a 1 s pause");
            }
            assertEquals(List.of(), s.report(v, "grant unchanged"));
        }
    }

    @Test
    void row18_throttledLinksChangeNoSafetyAndLeakNothing() throws Exception {
        try (Scenario s = new Scenario("18", "lock: every link delayed 150 ms each way", ensemble, "/lock", 18)) {
            for (String w : List.of("w1", "w2", "w3")) {
                s.worker(w, "lock");
            }
            for (String w : List.of("w1", "w2", "w3")) {
                s.link(w).delay(150);
            }
            s.history.fault("delay 150 ms", "who", "all");
            s.awaitStarted();
            more(s, 15);
            List<String> v = new ArrayList<>(Nemesis.lockChecks(s, true));
            long timeouts = s.history.count(e -> e.is("fail", "acquire"));
            if (timeouts > 0) {
                v.add(timeouts + " acquires failed or timed out");
            }
            assertEquals(List.of(), s.report(v, "no acquire timed out"));
            assertTrue(s.operations() > 0);
        }
    }

    @Test
    void row26_aWallClockStepIsNotInjected() {
        ChaosTable.add(new ChaosTable.Row("26", "wall-clock step on a client", 0, 0, 0,
                "skipped: stepping the clock is machine-wide here (no time namespace); safety uses no clock"));
        Assumptions.abort("a wall-clock step would change the shared machine's clock; recipes use System.nanoTime "
                + "only for deadlines, never for safety");
    }
}
