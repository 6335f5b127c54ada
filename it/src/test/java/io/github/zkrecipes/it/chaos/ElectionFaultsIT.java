package io.github.zkrecipes.it.chaos;

import static io.github.zkrecipes.it.chaos.Nemesis.after;
import static io.github.zkrecipes.it.chaos.Nemesis.by;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The election under the CI rows that concern it (3 and 24): three candidate JVMs, the first one
 * leading; faults on the leader's link; then one leader per epoch, epochs increasing, believed
 * terms never overlapping, no more terms than faults + 1, nothing left behind.
 */
class ElectionFaultsIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static ServerEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() {
        ensemble = new ServerEnsemble("election-" + Long.toHexString(System.nanoTime())).start();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
        ChaosTable.print("ElectionFaultsIT");
    }

    static Predicate<Event> leading(String who) {
        return e -> e.process().equals(who) && e.is("info", "elect") && "LEADING".equals(e.get("state"));
    }

    /** e1 joins first and leads; e2 and e3 then contend. */
    static void startElection(Scenario s) {
        s.worker("e1", "election");
        s.awaitStarted();
        s.history.await("e1 to lead", leading("e1"), PATIENCE);
        s.worker("e2", "election");
        s.worker("e3", "election");
        s.awaitStarted();
        Await.until("e2 and e3 to be candidates", () -> s.children().size() == 3, PATIENCE);
    }

    /** The last election state each process reported. */
    static Optional<String> lastState(Scenario s, String who) {
        String state = null;
        for (Event e : s.history.events()) {
            if (e.process().equals(who) && e.is("info", "elect")) {
                state = e.get("state");
            }
        }
        return Optional.ofNullable(state);
    }

    static List<String> electionChecks(Scenario s) {
        List<Event> events = s.history.events();
        List<String> v = new ArrayList<>(Checkers.election(events, s.history.faults()));
        v.addAll(Checkers.leaks(events));
        v.addAll(s.afterQuiescence());
        return v;
    }

    static long terms(Scenario s) {
        return Checkers.leaderIntervals(s.history.events()).stream().map(Checkers.Interval::fence).distinct().count();
    }

    @Test
    void row24_connectionFlappingOnTheLeadersLinkDoesNotFlapTheLeadership() throws Exception {
        try (Scenario s = new Scenario("24", "election: leader's connection reset 3 times in 1 s", ensemble,
                "/election", 24)) {
            startElection(s);
            for (int i = 0; i < 3; i++) {
                if (i > 0) {
                    Nemesis.faultLasts(Duration.ofMillis(400));
                }
                s.history.fault("reset", "who", "e1");
                s.link("e1").reset();
            }
            Await.until("a leader after the flapping", () -> List.of("e1", "e2", "e3").stream()
                    .anyMatch(w -> lastState(s, w).orElse("").equals("LEADING")), PATIENCE);
            s.stopAll();
            List<String> v = electionChecks(s);
            assertEquals(List.of(), s.report(v, terms(s) + " term(s) for 3 resets"));
        }
    }

    @Test
    void row3_aLeaderCutOffLongerThanTheSessionTimeoutIsReplacedOnceAndRejoins() throws Exception {
        try (Scenario s = new Scenario("3e", "election: leader's link blackholed > T", ensemble, "/election", 3)) {
            startElection(s);
            long t0 = System.nanoTime();
            s.history.fault("blackhole", "who", "e1");
            s.link("e1").blackhole();
            Event next = s.history.await("a new leader", after(t0, e -> !e.process().equals("e1")
                    && leading(e.process()).test(e)), PATIENCE);
            s.link("e1").heal();
            s.history.await("e1's term to end", after(t0, by("e1", "info", "elect")
                    .and(e -> !"LEADING".equals(e.get("state")) && !"UNCERTAIN".equals(e.get("state")))), PATIENCE);
            Await.until("e1 to be a candidate again", () -> s.children().size() == 3, PATIENCE);
            s.stopAll();
            List<String> v = electionChecks(s);
            assertEquals(List.of(), s.report(v, "new leader after " + (next.nanos() - t0) / 1_000_000 + " ms; "
                    + terms(s) + " terms"));
        }
    }
}
