package io.github.zkrecipes.it.chaos;

import static io.github.zkrecipes.it.chaos.Nemesis.after;
import static io.github.zkrecipes.it.chaos.Nemesis.by;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.zkrecipes.groups.ZkGroup;
import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The groups module's recipes on three server JVMs: a double barrier of three worker JVMs whose
 * members' connections are reset mid-round (row 4: never passes early), and a group whose member
 * is cut off longer than T (row 3: views converge, the member re-joins after the heal).
 */
class GroupFaultsIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static ServerEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() {
        Preload.jarsOf(io.github.zkrecipes.groups.ZkGroup.class, io.github.zkrecipes.ZkSession.class);
        ensemble = new ServerEnsemble("groups-" + Long.toHexString(System.nanoTime())).start();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
        ChaosTable.print("GroupFaultsIT");
    }

    @Test
    void row4_barrierMembersWhoseConnectionsResetNeverPassEarly() throws Exception {
        try (Scenario s = new Scenario("4b", "barrier(3): members' connections reset during rounds", ensemble,
                "/barrier", 404)) {
            for (String w : List.of("b1", "b2", "b3")) {
                s.worker(w, "barrier", "parties", "3", "ops", "12", "holdMinMs", "0", "holdMaxMs", "100");
            }
            s.awaitStarted();
            for (String w : List.of("b1", "b2", "b3", "b1")) {
                long since = System.nanoTime();
                s.history.await("a round to pass", after(since, e -> e.is("ok", "leave")), PATIENCE);
                s.history.fault("reset", "who", w);
                s.link(w).reset();
            }
            for (String w : List.of("b1", "b2", "b3")) {
                s.workers(w).awaitExit(PATIENCE);
            }
            List<Event> events = s.history.events();
            List<String> v = new ArrayList<>(Checkers.barrier(events));
            v.addAll(Checkers.timedCallsOnTime(events));
            v.addAll(Checkers.leaks(events));
            long failed = s.history.count(e -> e.type().equals("fail"));
            if (failed > 0) {
                v.add(failed + " barrier calls timed out");
            }
            v.addAll(s.afterQuiescence());
            assertEquals(List.of(), s.report(v, s.history.count(e -> e.is("ok", "leave")) / 3 + " rounds"));
        }
    }

    @Test
    void row3_membershipViewsConvergeAfterAMemberIsCutOffLongerThanTheSessionTimeout() throws Exception {
        try (Scenario s = new Scenario("3g", "group: member's link blackholed > T, healed", ensemble, "/group", 303)) {
            for (String w : List.of("m1", "m2", "m3")) {
                s.worker(w, "group");
            }
            s.awaitStarted();
            String all = "m1,m2,m3";
            Await.until("every view to show all three", () -> converged(s, all), PATIENCE);
            long t0 = System.nanoTime();
            s.history.fault("blackhole", "who", "m1");
            s.link("m1").blackhole();
            s.history.await("the others to see m1 leave", after(t0, e -> e.is("info", "view")
                    && e.process().equals("m2") && "m2,m3".equals(e.get("members"))), PATIENCE);
            s.link("m1").heal();
            s.history.await("m1 to re-join", after(t0, by("m1", "info", "membership")
                    .and(e -> "ACTIVE".equals(e.get("state")))), PATIENCE);
            List<String> v = new ArrayList<>();
            try {
                Await.until("every view to converge to the group", () -> converged(s, truth(s)), Scenario.T.plusSeconds(15));
            } catch (AssertionError e) {
                v.add("views did not converge: " + Checkers.lastViews(s.history.events()) + " vs " + truth(s));
            }
            if (!truth(s).equals(all)) {
                v.add("group after heal is " + truth(s) + ", not " + all);
            }
            s.stopAll();
            v.addAll(Checkers.leaks(s.history.events()));
            v.addAll(s.afterQuiescence());
            assertEquals(List.of(), s.report(v, "views converged to " + all));
        }
    }

    private static boolean converged(Scenario s, String members) {
        Map<String, String> views = Checkers.lastViews(s.history.events());
        return views.size() == 3 && views.values().stream().allMatch(members::equals);
    }

    /** The group as the ensemble has it (sync + getChildren through the recipe). */
    private static String truth(Scenario s) {
        try {
            s.admin.curator().sync().forPath("/group");
            return String.join(",", new TreeSet<>(new ZkGroup(s.admin, "/group").members().keySet()));
        } catch (Exception e) {
            return "<" + e + ">";
        }
    }
}
