package io.github.zkrecipes.it.chaos;

import static io.github.zkrecipes.it.chaos.Nemesis.after;
import static io.github.zkrecipes.it.chaos.Nemesis.by;
import static io.github.zkrecipes.it.chaos.Nemesis.fence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.internal.queue.SequentialQueue;
import io.github.zkrecipes.testing.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Client-side rows of the full matrix ({@code -Pchaos}): 6 (client JVM killed while holding or
 * leading), 8 (client paused shorter than 2/3 T), 18 (throttled links), 26 (wall-clock steps in the
 * worker JVMs with libfaketime; skipped where it is not installed).
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

    private static final Path LIBFAKETIME = Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");

    /** Sets the workers' fake wall clock: libfaketime re-reads the file on every call (no cache). */
    private static void setClock(Path file, String offset) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, offset + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Steps every worker's wall clock to {@code offset} and waits until each reports the jump. */
    private static void stepClock(Scenario s, Path file, String offset, long expectedSkewMs) throws IOException {
        long t0 = System.nanoTime();
        s.history.fault("wall-clock step", "to", offset);
        setClock(file, offset);
        for (String w : List.of("w1", "w2", "w3")) {
            s.history.await(w + "'s wall clock to read " + offset, clockReads(w, t0, expectedSkewMs), PATIENCE);
        }
    }

    private static java.util.function.Predicate<Event> clockReads(String w, long since, long expectedSkewMs) {
        return after(since, e -> e.process().equals(w) && e.is("info", "clock")
                && Math.abs(e.num("skewMs") - expectedSkewMs) < 5_000);
    }

    /**
     * Blackholes {@code w}'s link until it is SUSPENDED, steps the clock then, and heals once
     * {@code w} has seen the step, or 13 s after the link went silent at the latest (before its
     * 15 s session can expire; libfaketime re-reads the clock file every 1-2 s). Returns what {@code
     * w}'s session did next and whether the step fell inside the suspension.
     */
    private static String stepWhileSuspended(Scenario s, Path file, String w, String offset, long skew)
            throws IOException {
        long t0 = System.nanoTime();
        s.history.fault("blackhole until SUSPENDED", "who", w);
        s.link(w).blackhole();
        long stepped;
        try {
            s.history.await(w + " to suspend", after(t0, e -> e.process().equals(w) && e.is("info", "session")
                    && "SUSPENDED".equals(e.get("state"))), PATIENCE);
            stepped = System.nanoTime();
            s.history.fault("wall-clock step", "to", offset);
            setClock(file, offset);
            long latest = t0 + Duration.ofSeconds(13).toNanos();
            Await.until(w + " to see the step, or the heal's deadline", () -> System.nanoTime() - latest >= 0
                    || s.history.count(clockReads(w, stepped, skew)) > 0, PATIENCE);
        } finally {
            s.link(w).heal();
            s.history.add(Event.of(System.nanoTime(), History.NEMESIS, "info", "heal", "who", w));
        }
        long healed = System.nanoTime();
        for (String other : List.of("w1", "w2", "w3")) {
            s.history.await(other + "'s wall clock to read " + offset, clockReads(other, stepped, skew), PATIENCE);
        }
        Event next = s.history.await(w + " to reconnect or lose its session", after(t0, e -> e.process().equals(w)
                && e.is("info", "session") && !"SUSPENDED".equals(e.get("state"))), PATIENCE);
        boolean inside = s.history.await(w + " to see the step", clockReads(w, stepped, skew), PATIENCE)
                .nanos() < healed;
        return String.format("%s %s (link silent %d ms, step %s)", w, next.get("state"), (healed - t0) / 1_000_000,
                inside ? "seen while suspended" : "seen only after the heal");
    }

    @Test
    void row26_wallClockStepsOnTheClientsChangeNoSafety() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(LIBFAKETIME), "row 26 needs libfaketime (apt-get install faketime) at "
                + LIBFAKETIME + " to step the workers' wall clock; it is not installed here");
        Path clock = ChildJvm.workDir("clock-" + Long.toHexString(System.nanoTime())).resolve("faketime");
        // Its own ensemble, allowing 15 s sessions: a client suspends after 10 s of silence, and
        // the step (seen 1-2 s after it is written) lands before the link heals and the session
        // expires (with 9 s sessions it missed that window once in four runs).
        try (ServerEnsemble longSessions = new ServerEnsemble("wall-clock-" + Long.toHexString(System.nanoTime()))
                .serverConfig("maxSessionTimeout=20000").start();
                Scenario s = new Scenario("26", "lock: every client's wall clock stepped +1 h, -2 h, +1 h (libfaketime)",
                        longSessions, "/lock", 26)) {
            setClock(clock, "+0");
            // Only CLOCK_REALTIME moves (System.currentTimeMillis, Instant.now); System.nanoTime,
            // which every deadline of ours uses, is CLOCK_MONOTONIC and stays true.
            // FAKETIME_NO_CACHE=1 (read the file on every call: 18 us per currentTimeMillis here)
            // slowed the worker JVMs so much that their sessions expired without any fault; a
            // 1 s cache makes a step take effect within a second at 0.5 us per call.
            s.workerEnvironment(Map.of("LD_PRELOAD", LIBFAKETIME.toString(), "DONT_FAKE_MONOTONIC", "1",
                    "FAKETIME_CACHE_DURATION", "1", "FAKETIME_TIMESTAMP_FILE", clock.toAbsolutePath().toString()));
            for (String w : List.of("w1", "w2", "w3")) {
                boolean slow = w.equals("w1");
                s.worker(w, "lock", "holdMinMs", slow ? "200" : "50", "holdMaxMs", slow ? "1500" : "150",
                        "acquireMs", "1500", "sessionMs", "15000", "clockWatch", "true", "checkOrphans", "true");
            }
            s.awaitStarted();
            s.progress(3, PATIENCE);
            stepClock(s, clock, "+1h", 3_600_000); // during holds and waits
            s.progress(3, PATIENCE);
            // Curator times a suspension with the wall clock: step it while a client is suspended.
            String back = stepWhileSuspended(s, clock, "w1", "-1h", -3_600_000);
            s.progress(3, PATIENCE);
            String forward = stepWhileSuspended(s, clock, "w2", "+0", 0);
            s.progress(3, PATIENCE);
            s.stopAll();
            int leftAtClose = s.children().size();
            List<Event> events = s.history.events();
            List<String> v = new ArrayList<>(Nemesis.lockChecks(s, true));
            v.addAll(Checkers.timedCallsOnTime(events));
            long timedOut = s.history.count(e -> e.is("fail", "acquire") && e.get("timeoutMs") != null);
            // A call whose link went silent may wait for its create's reply (the engine's 2 s grace)
            // and its delete's (up to the session timeout); any other call must be on time give or
            // take scheduling, whatever the wall clock does.
            long[] silent = events.stream().filter(e -> e.process().equals(History.NEMESIS)
                    && (e.is("fault", "blackhole until SUSPENDED") || e.is("info", "heal"))).mapToLong(Event::nanos)
                    .toArray();
            long maxOvershoot = 0;
            long maxSilentOvershoot = 0;
            for (Event e : events) {
                if (!e.is("fail", "acquire") || e.get("timeoutMs") == null) {
                    continue;
                }
                long over = e.num("elapsedMs") - e.num("timeoutMs");
                long invoked = e.nanos() - e.num("elapsedMs") * 1_000_000;
                boolean overlaps = false;
                for (int i = 0; i + 1 < silent.length; i += 2) {
                    overlaps |= invoked < silent[i + 1] && e.nanos() > silent[i];
                }
                if (overlaps) {
                    maxSilentOvershoot = Math.max(maxSilentOvershoot, over);
                } else {
                    maxOvershoot = Math.max(maxOvershoot, over);
                }
            }
            long bound = SequentialQueue.ROUND_TRIP_GRACE.toMillis();
            if (maxOvershoot > bound) {
                v.add("a timed acquire returned " + maxOvershoot + " ms after its deadline (> " + bound + " ms)");
            }
            long silentBound = SequentialQueue.ROUND_TRIP_GRACE.plusSeconds(15).toMillis();
            if (maxSilentOvershoot > silentBound) {
                v.add("a timed acquire on a silent link returned " + maxSilentOvershoot + " ms after its deadline (> "
                        + silentBound + " ms)");
            }
            v.addAll(Checkers.timedOutAcquiresLeftNothing(events));
            long deferred = s.history.count(e -> e.is("info", "own-nodes") && e.num("count") != 0);
            long deferredMs = events.stream().filter(e -> e.is("info", "own-nodes") && e.num("count") != 0)
                    .mapToLong(e -> e.num("ms")).max().orElse(0);
            long jumps = s.history.count(e -> e.is("info", "clock") && Math.abs(e.num("skewMs")) > 3_000_000);
            assertEquals(List.of(), s.report(v, String.format("%d clock jumps seen by the workers (+1 h, -1 h);"
                    + " %d timed acquires gave up, max %d ms after the deadline (%d ms with the link silent), none"
                    + " left a node (%d deleted in the background after the call returned, at most %d ms later), %d"
                    + " nodes in /lock as the workers exited; stepped -2 h while suspended: %s; +1 h while"
                    + " suspended: %s", jumps, timedOut, maxOvershoot, maxSilentOvershoot, deferred, deferredMs,
                    leftAtClose, back, forward)));
        } finally {
            Files.deleteIfExists(clock);
        }
    }
}
