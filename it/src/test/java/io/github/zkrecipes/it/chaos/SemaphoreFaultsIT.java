package io.github.zkrecipes.it.chaos;

import static io.github.zkrecipes.it.chaos.Nemesis.by;
import static io.github.zkrecipes.it.chaos.Nemesis.fence;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A semaphore of 2 permits, four worker JVMs, under rows 3 and 4 aimed at one holder: the sweep
 * line over believed-held leases never shows more than 2.
 */
class SemaphoreFaultsIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static ServerEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() {
        ensemble = new ServerEnsemble("semaphore-" + Long.toHexString(System.nanoTime())).start();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
        ChaosTable.print("SemaphoreFaultsIT");
    }

    private static Event start(Scenario s) {
        s.worker("s1", "semaphore", "permits", "2", "holdMinMs", "8000", "holdMaxMs", "8000");
        for (String w : List.of("s2", "s3", "s4")) {
            s.worker(w, "semaphore", "permits", "2");
        }
        s.awaitStarted();
        return s.history.await("s1 to hold a lease", by("s1", "ok", "acquire"), PATIENCE);
    }

    private static List<String> checks(Scenario s) {
        List<Event> events = s.history.events();
        List<String> v = new ArrayList<>(Checkers.atMost(Checkers.grantIntervals(events), 2, "lease holders"));
        v.addAll(Checkers.leaks(events));
        v.addAll(s.afterQuiescence());
        return v;
    }

    private static void more(Scenario s, int n) throws InterruptedException {
        long since = System.nanoTime();
        Await.until(n + " more operations", () -> s.history.count(e -> e.nanos() > since
                && e.is("ok", "release")) >= n, PATIENCE);
        s.stopAll();
    }

    @Test
    void row3_aLeaseHolderCutOffLongerThanTheSessionTimeoutLosesItsLeaseAndNeverMakesThree() throws Exception {
        try (Scenario s = new Scenario("3s", "semaphore(2): holder's link blackholed > T", ensemble, "/semaphore", 33)) {
            Event held = start(s);
            long f = held.num("fence");
            String sid = held.get("sid");
            s.history.fault("blackhole", "who", "s1");
            s.link("s1").blackhole();
            s.history.await("s1's lease to be in doubt", fence(f, by("s1", "info", "grant")), PATIENCE);
            Await.until("s1's session to expire on the ensemble", () -> s.history.count(e -> e.is("ok", "acquire")
                    && !e.process().equals("s1")) > 0 && !s.owners().contains(sid),
                    PATIENCE);
            s.link("s1").heal();
            s.history.await("s1's lease to be LOST", fence(f, by("s1", "info", "grant"))
                    .and(e -> "LOST".equals(e.get("state"))), PATIENCE);
            more(s, 6);
            assertEquals(List.of(), s.report(checks(s), "lease LOST after heal"));
        }
    }

    @Test
    void row4_aLeaseHoldersConnectionResetKeepsItsLease() throws Exception {
        try (Scenario s = new Scenario("4s", "semaphore(2): holder's connection reset", ensemble, "/semaphore", 44)) {
            long f = start(s).num("fence");
            s.history.fault("reset", "who", "s1");
            s.link("s1").reset();
            more(s, 6);
            assertEquals(0, s.history.count(fence(f, by("s1", "info", "grant")).and(e -> "LOST".equals(e.get("state")))));
            assertEquals(List.of(), s.report(checks(s), "lease kept"));
        }
    }
}
