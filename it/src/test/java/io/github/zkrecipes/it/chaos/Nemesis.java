package io.github.zkrecipes.it.chaos;

import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Small helpers the scenarios share: the length of a fault, and finding events. */
final class Nemesis {
    private Nemesis() {}

    /**
     * Lets a fault last {@code length}: the fault's own duration, which is the scenario's
     * parameter (a wait for an outcome always waits on a condition instead).
     */
    static void faultLasts(Duration length) {
        long end = System.nanoTime() + length.toNanos();
        Await.until("the fault's length to pass", () -> System.nanoTime() - end >= 0, length.plusSeconds(5));
    }

    /**
     * The seeds the seeded rows (17, the mix) run with, each as its own row:
     * {@code -Dchaos.seeds=17,18,19}; else {@code -Dchaos.seed}; else 17.
     */
    static java.util.stream.LongStream seeds() {
        String list = System.getProperty("chaos.seeds", "");
        if (list.isBlank()) {
            return java.util.stream.LongStream.of(Long.getLong("chaos.seed", 17));
        }
        return java.util.Arrays.stream(list.split(",")).map(String::trim).filter(x -> !x.isEmpty())
                .mapToLong(Long::parseLong);
    }

    static Predicate<Event> by(String process, String type, String op) {
        return e -> e.process().equals(process) && e.is(type, op);
    }

    static Predicate<Event> after(long nanos, Predicate<Event> p) {
        return e -> e.nanos() > nanos && p.test(e);
    }

    static Predicate<Event> fence(long fence, Predicate<Event> p) {
        return e -> Long.toString(fence).equals(e.get("fence")) && p.test(e);
    }

    /** The lock checks every lock row runs; {@code believedExclusion} is off only for client pauses. */
    static List<String> lockChecks(Scenario s, boolean believedExclusion) {
        List<Event> events = s.history.events();
        List<String> v = new ArrayList<>();
        if (believedExclusion) {
            v.addAll(Checkers.atMost(Checkers.grantIntervals(events), 1, "lock holders"));
        }
        v.addAll(Checkers.fencesIncrease(events));
        v.addAll(Checkers.fencedResource(s.resource.log(), events));
        int lost = Checkers.lostCounterUpdates(events);
        if (lost > 0) {
            v.add(lost + " lost update(s) of /counter");
        }
        v.addAll(Checkers.leaks(events));
        v.addAll(s.afterQuiescence());
        return v;
    }
}
