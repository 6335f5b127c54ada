package io.github.zkrecipes.it.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The read-write lock with four worker JVMs (30% writes) while one holder's link is blackholed
 * longer than T and another's connection is reset (rows 3 and 4): no believed writer overlaps
 * anyone, writers are not starved, nothing is left behind.
 */
class RwLockFaultsIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static ServerEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() {
        ensemble = new ServerEnsemble("rwlock-" + Long.toHexString(System.nanoTime())).start();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
        ChaosTable.print("RwLockFaultsIT");
    }

    @Test
    void rows3and4_writersOverlapNobodyWhenHoldersAreCutOffOrReset() throws Exception {
        try (Scenario s = new Scenario("3/4rw", "rwlock (30% writes): one holder cut off > T, one reset", ensemble,
                "/rwlock", 34)) {
            for (String w : List.of("r1", "r2", "r3", "r4")) {
                s.worker(w, "rwlock", "holdMinMs", "50", "holdMaxMs", "300");
            }
            s.awaitStarted();
            s.history.await("r1 to hold", e -> e.process().equals("r1") && e.is("ok", "acquire"), PATIENCE);
            s.history.fault("blackhole", "who", "r1");
            s.link("r1").blackhole();
            Nemesis.faultLasts(Scenario.T.plusSeconds(2)); // longer than T: r1's session expires
            s.link("r1").heal();
            s.history.fault("reset", "who", "r2");
            s.link("r2").reset();
            long since = System.nanoTime();
            Await.until("ten more operations", () -> s.history.count(e -> e.nanos() > since
                    && e.is("ok", "release")) >= 10, PATIENCE);
            s.stopAll();
            List<Event> events = s.history.events();
            List<String> v = new ArrayList<>(Checkers.readWrite(events));
            long longest = Checkers.longestWriterWaitMs(events);
            if (longest > 15_000) {
                v.add("a writer waited " + longest + " ms");
            }
            v.addAll(Checkers.leaks(events));
            v.addAll(s.afterQuiescence());
            assertEquals(List.of(), s.report(v, "longest writer wait " + longest + " ms"));
        }
    }
}
