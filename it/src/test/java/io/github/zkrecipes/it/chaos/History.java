package io.github.zkrecipes.it.chaos;

import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/** Every event of one scenario, from all workers and the nemesis, in arrival order. Thread-safe. */
final class History {
    static final String NEMESIS = "nemesis";
    /** The nemesis's info event when the test starts stopping the workers (graceful handovers follow). */
    static final String STOPPING = "stopping";

    private final List<Event> events = new ArrayList<>();
    private int faults;

    synchronized void add(Event e) {
        events.add(e);
        notifyAll();
    }

    /** Records a fault the test injected, now. */
    void fault(String what, Object... keyValues) {
        synchronized (this) {
            faults++;
        }
        add(Event.of(System.nanoTime(), NEMESIS, "fault", what, keyValues));
    }

    /** Records that {@code process} died now (kill -9): whatever it believed ends here. */
    void crashed(String process) {
        add(Event.of(System.nanoTime(), process, "info", "crash"));
    }

    /** Records that the test begins stopping the workers, now. */
    void stopping() {
        add(Event.of(System.nanoTime(), NEMESIS, "info", STOPPING));
    }

    synchronized int faults() {
        return faults;
    }

    /** The events so far, ordered by time. */
    synchronized List<Event> events() {
        List<Event> copy = new ArrayList<>(events);
        copy.sort(Comparator.comparingLong(Event::nanos));
        return copy;
    }

    synchronized long count(Predicate<Event> p) {
        return events.stream().filter(p).count();
    }

    /** Waits until some event matches and returns the first that does. */
    Event await(String what, Predicate<Event> p, Duration timeout) {
        Event[] found = new Event[1];
        Await.until(what, () -> {
            synchronized (this) {
                for (Event e : events) {
                    if (p.test(e)) {
                        found[0] = e;
                        return true;
                    }
                }
                return false;
            }
        }, timeout);
        return found[0];
    }
}
