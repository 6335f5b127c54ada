package io.github.zkrecipes.it.chaos;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Pure, linear checks over a {@link History}'s events (sorted by time). Each returns the
 * violations it found, as readable lines; empty means the property held over the whole history.
 */
final class Checkers {
    private static final int MAX_REPORTED = 10;

    private Checkers() {}

    /** A stretch of time during which {@code process} believed it held grant {@code fence}. */
    record Interval(String process, long fence, long start, long end) {
        boolean open() {
            return end == Long.MAX_VALUE;
        }
    }

    /**
     * Believed-held intervals of grants (lock, semaphore): from {@code ok acquire} until the first
     * of {@code invoke release}, a grant state other than HELD, or a crash; a grant re-validated to
     * HELD after UNCERTAIN believes again from then. A grant never ended is open to the end.
     */
    static List<Interval> grantIntervals(List<Event> events) {
        List<Interval> out = new ArrayList<>();
        Map<String, Long> open = new LinkedHashMap<>(); // process/fence -> start
        Set<String> ended = new HashSet<>();
        for (Event e : events) {
            if (e.is("info", "crash")) {
                open.entrySet().removeIf(o -> {
                    if (o.getKey().startsWith(e.process() + "/")) {
                        out.add(interval(o.getKey(), o.getValue(), e.nanos()));
                        return true;
                    }
                    return false;
                });
                continue;
            }
            if (!e.attrs().containsKey("fence")) {
                continue;
            }
            String key = e.process() + "/" + e.get("fence");
            boolean start = e.is("ok", "acquire")
                    || (e.is("info", "grant") && "HELD".equals(e.get("state")) && !ended.contains(key));
            boolean end = e.is("invoke", "release") || (e.is("info", "grant") && !"HELD".equals(e.get("state")));
            if (start && !open.containsKey(key)) {
                open.put(key, e.nanos());
            } else if (end) {
                Long s = open.remove(key);
                if (s != null) {
                    out.add(interval(key, s, e.nanos()));
                }
                if (!e.is("info", "grant") || !"UNCERTAIN".equals(e.get("state"))) {
                    ended.add(key);
                }
            }
        }
        open.forEach((k, s) -> out.add(interval(k, s, Long.MAX_VALUE)));
        return out;
    }

    private static Interval interval(String key, long start, long end) {
        int slash = key.lastIndexOf('/');
        return new Interval(key.substring(0, slash), Long.parseLong(key.substring(slash + 1)), start, end);
    }

    /** Sweep line: never more than {@code limit} intervals at once (touching ends do not overlap). */
    static List<String> atMost(List<Interval> intervals, int limit, String what) {
        record Point(long t, int delta, Interval i) { }
        List<Point> points = new ArrayList<>();
        for (Interval i : intervals) {
            points.add(new Point(i.start(), 1, i));
            if (!i.open()) {
                points.add(new Point(i.end(), -1, i));
            }
        }
        points.sort(Comparator.comparingLong(Point::t).thenComparingInt(Point::delta));
        List<String> violations = new ArrayList<>();
        Set<Interval> active = new HashSet<>();
        for (Point p : points) {
            if (p.delta() < 0) {
                active.remove(p.i());
                continue;
            }
            active.add(p.i());
            if (active.size() > limit && violations.size() < MAX_REPORTED) {
                violations.add(what + ": " + active.size() + " > " + limit + " at once: " + active);
            }
        }
        return violations;
    }

    /** Lock: each grant's fence is larger than every fence granted before it. */
    static List<String> fencesIncrease(List<Event> events) {
        List<String> violations = new ArrayList<>();
        long last = Long.MIN_VALUE;
        String lastBy = null;
        for (Event e : events) {
            if (e.is("ok", "acquire")) {
                long f = e.num("fence");
                if (f <= last && violations.size() < MAX_REPORTED) {
                    violations.add("fence " + f + " granted to " + e.process() + " after fence " + last + " of " + lastBy);
                }
                if (f > last) {
                    last = f;
                    lastBy = e.process();
                }
            }
        }
        return violations;
    }

    /**
     * The fenced resource: accepted tokens never go down; every accepted write is the previous
     * accepted value + 1 (a read-modify-write that overwrote another is a lost update); every write
     * a worker saw acknowledged is in the resource's accepted log.
     */
    static List<String> fencedResource(List<FencedResource.Attempt> log, List<Event> events) {
        List<String> violations = new ArrayList<>();
        long highest = Long.MIN_VALUE;
        long value = 0;
        Set<String> accepted = new HashSet<>();
        for (FencedResource.Attempt a : log) {
            if (!a.accepted()) {
                continue;
            }
            if (a.token() < highest && violations.size() < MAX_REPORTED) {
                violations.add("resource accepted token " + a.token() + " from " + a.client() + " after " + highest);
            }
            highest = Math.max(highest, a.token());
            if (a.op().equals("WRITE")) {
                if (a.value() != value + 1 && violations.size() < MAX_REPORTED) {
                    violations.add("lost update at the resource: " + a.client() + " (token " + a.token() + ") wrote "
                            + a.value() + " over " + value);
                }
                value = a.value();
                accepted.add(a.client() + "/" + a.token() + "/" + a.value());
            }
        }
        for (Event e : events) {
            if (e.is("ok", "write") && !accepted.contains(e.process() + "/" + e.get("fence") + "/" + e.get("value"))
                    && violations.size() < MAX_REPORTED) {
                violations.add("acknowledged write not in the resource's log: " + e);
            }
        }
        return violations;
    }

    /**
     * The ZooKeeper counter every holder increments: acknowledged increments that wrote the same
     * value overwrote each other. Returns the number of lost updates.
     */
    static int lostCounterUpdates(List<Event> events) {
        int acked = 0;
        Set<Long> values = new HashSet<>();
        for (Event e : events) {
            if (e.is("ok", "zkwrite")) {
                acked++;
                values.add(e.num("value"));
            }
        }
        return acked - values.size();
    }

    /** Believed-leader intervals: from {@code state=LEADING} until any other election state, or a crash. */
    static List<Interval> leaderIntervals(List<Event> events) {
        List<Interval> out = new ArrayList<>();
        Map<String, long[]> open = new HashMap<>(); // process -> {epoch, start}
        for (Event e : events) {
            // A candidate that calls close() stops acting as leader then (isLeader() is false at
            // once, before its node is deleted); the CLOSED event comes later, from its election
            // thread, possibly after the next leader's LEADING: its belief ends at the call.
            boolean crash = e.is("info", "crash") || e.is("invoke", "leave");
            if (!crash && !e.is("info", "elect")) {
                continue;
            }
            long[] o = open.get(e.process());
            boolean leading = !crash && "LEADING".equals(e.get("state"));
            if (o != null && (!leading || e.num("epoch") != o[0])) {
                out.add(new Interval(e.process(), o[0], o[1], e.nanos()));
                open.remove(e.process());
                o = null;
            }
            if (leading && o == null) {
                open.put(e.process(), new long[] {e.num("epoch"), e.nanos()});
            }
        }
        open.forEach((p, o) -> out.add(new Interval(p, o[0], o[1], Long.MAX_VALUE)));
        return out;
    }

    /**
     * Election: believed leaders never overlap, one leader per epoch, epochs of new terms increase,
     * and no more terms than faults + 1 (no flapping).
     */
    static List<String> election(List<Event> events, int faults) {
        List<Interval> terms = leaderIntervals(events);
        List<String> violations = new ArrayList<>(atMost(terms, 1, "leaders"));
        Map<Long, Set<String>> byEpoch = new HashMap<>();
        long last = Long.MIN_VALUE;
        TreeSet<Long> epochs = new TreeSet<>();   // terms begun before the test began stopping the workers
        boolean stopping = false;
        for (Event e : events) {
            stopping |= e.is("info", History.STOPPING) && History.NEMESIS.equals(e.process());
            if (e.is("info", "elect") && "LEADING".equals(e.get("state")) && !"UNCERTAIN".equals(e.get("prev"))) {
                long epoch = e.num("epoch");
                byEpoch.computeIfAbsent(epoch, k -> new TreeSet<>()).add(e.process());
                if (epoch <= last && violations.size() < MAX_REPORTED) {
                    violations.add("epoch " + epoch + " of " + e.process() + " after epoch " + last);
                }
                last = Math.max(last, epoch);
                if (!stopping) {
                    epochs.add(epoch); // a leader stopped by the test hands over: not a flap
                }
            }
        }
        byEpoch.forEach((epoch, who) -> {
            if (who.size() > 1) {
                violations.add("epoch " + epoch + " led by " + who);
            }
        });
        if (epochs.size() > faults + 1) {
            violations.add(epochs.size() + " terms for " + faults + " faults (flapping): epochs " + epochs);
        }
        return violations;
    }

    /** Leaks a worker reported after closing its session: threads of ours, open sockets. */
    static List<String> leaks(List<Event> events) {
        List<String> violations = new ArrayList<>();
        for (Event e : events) {
            if (e.is("info", "leaks") && (e.num("threads") > 0 || e.num("sockets") > 0)) {
                violations.add(e.process() + " leaked after close: " + e.attrs());
            }
        }
        return violations;
    }

    /**
     * Double barrier: in every round, no {@code enter} returned before the last participant of that
     * round called {@code enter}, and no {@code leave} returned before the last one called {@code
     * leave}. A worker's enter is assigned the round its {@code ok enter} reports.
     */
    static List<String> barrier(List<Event> events) {
        List<String> violations = new ArrayList<>();
        Map<String, Long> pendingEnter = new HashMap<>();
        Map<Long, List<long[]>> enters = new java.util.TreeMap<>(); // round -> {invoke, ok}
        Map<Long, List<long[]>> leaves = new java.util.TreeMap<>();
        Map<String, Long> pendingLeave = new HashMap<>();
        for (Event e : events) {
            if (e.is("invoke", "enter")) {
                pendingEnter.put(e.process(), e.nanos());
            } else if (e.is("ok", "enter") && pendingEnter.containsKey(e.process())) {
                enters.computeIfAbsent(e.num("round"), r -> new ArrayList<>())
                        .add(new long[] {pendingEnter.remove(e.process()), e.nanos()});
            } else if (e.is("invoke", "leave") && e.attrs().containsKey("round")) {
                pendingLeave.put(e.process(), e.nanos());
            } else if (e.is("ok", "leave") && pendingLeave.containsKey(e.process())) {
                leaves.computeIfAbsent(e.num("round"), r -> new ArrayList<>())
                        .add(new long[] {pendingLeave.remove(e.process()), e.nanos()});
            }
        }
        early(enters, "enter", violations);
        early(leaves, "leave", violations);
        return violations;
    }

    private static void early(Map<Long, List<long[]>> rounds, String what, List<String> violations) {
        rounds.forEach((round, calls) -> {
            long lastCall = calls.stream().mapToLong(c -> c[0]).max().orElse(Long.MIN_VALUE);
            long firstReturn = calls.stream().mapToLong(c -> c[1]).min().orElse(Long.MAX_VALUE);
            if (firstReturn < lastCall && violations.size() < MAX_REPORTED) {
                violations.add("round " + round + ": a " + what + " returned " + (lastCall - firstReturn) / 1_000
                        + " us before the last participant called " + what);
            }
        });
    }

    /** Timed barrier calls that returned false before their deadline. */
    static List<String> timedCallsOnTime(List<Event> events) {
        List<String> violations = new ArrayList<>();
        for (Event e : events) {
            if (e.type().equals("fail") && e.attrs().containsKey("timeoutMs") && e.num("elapsedMs") < e.num("timeoutMs")) {
                violations.add("timed " + e.op() + " gave up early: " + e);
            }
        }
        return violations;
    }

    /**
     * Timed-out acquires leave nothing behind ({@code info own-nodes}, reported by a worker after
     * each timeout, see WorkerMain): the session's node is gone right away, or, when the call gave
     * up without the create's or the delete's reply (a slow or silent server), once the engine's
     * background delete ran, within a session timeout (+ 5 s) of the call.
     */
    static List<String> timedOutAcquiresLeftNothing(List<Event> events) {
        List<String> violations = new ArrayList<>();
        for (Event e : events) {
            if (e.is("info", "own-nodes") && e.num("after") != 0 && violations.size() < MAX_REPORTED) {
                violations.add(e.process() + "'s timed-out acquire left a node for " + e.get("ms") + " ms: " + e);
            }
        }
        return violations;
    }

    /** The last view each process reported ({@code info view members=a,b}). */
    static Map<String, String> lastViews(List<Event> events) {
        Map<String, String> out = new HashMap<>();
        for (Event e : events) {
            if (e.is("info", "view")) {
                out.put(e.process(), e.attrs().getOrDefault("members", ""));
            }
        }
        return out;
    }

    /**
     * Read-write lock: a believed writer overlaps nobody (readers may overlap each other). The mode
     * of each grant comes from its {@code ok acquire mode=...} event.
     */
    static List<String> readWrite(List<Event> events) {
        Map<String, String> modes = new HashMap<>();
        for (Event e : events) {
            if (e.is("ok", "acquire")) {
                modes.put(e.process() + "/" + e.get("fence"), e.get("mode"));
            }
        }
        record Point(long t, int delta, Interval i) { }
        List<Point> points = new ArrayList<>();
        for (Interval i : grantIntervals(events)) {
            points.add(new Point(i.start(), 1, i));
            if (!i.open()) {
                points.add(new Point(i.end(), -1, i));
            }
        }
        points.sort(Comparator.comparingLong(Point::t).thenComparingInt(Point::delta));
        List<String> violations = new ArrayList<>();
        Set<Interval> readers = new HashSet<>();
        Set<Interval> writers = new HashSet<>();
        for (Point p : points) {
            boolean write = "write".equals(modes.get(p.i().process() + "/" + p.i().fence()));
            Set<Interval> mine = write ? writers : readers;
            if (p.delta() < 0) {
                mine.remove(p.i());
                continue;
            }
            if ((write ? readers.size() + writers.size() : writers.size()) > 0 && violations.size() < MAX_REPORTED) {
                violations.add((write ? "writer " : "reader ") + p.i() + " overlaps writers " + writers
                        + (write ? " and readers " + readers : ""));
            }
            mine.add(p.i());
        }
        return violations;
    }

    /** The longest time a writer waited from {@code invoke acquire} to {@code ok acquire}, in ms. */
    static long longestWriterWaitMs(List<Event> events) {
        Map<String, Long> pending = new HashMap<>();
        long longest = 0;
        for (Event e : events) {
            if (e.is("invoke", "acquire") && "write".equals(e.get("mode"))) {
                pending.put(e.process(), e.nanos());
            } else if (e.is("ok", "acquire") && "write".equals(e.get("mode")) && pending.containsKey(e.process())) {
                longest = Math.max(longest, (e.nanos() - pending.remove(e.process())) / 1_000_000);
            }
        }
        return longest;
    }
}
