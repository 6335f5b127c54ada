package io.github.zkrecipes.it.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checkers on tiny hand-written histories: each catches what it must and nothing else. */
class CheckersTest {
    private final List<Event> h = new ArrayList<>();

    private CheckersTest at(long t, String p, String type, String op, Object... kv) {
        h.add(Event.of(t, p, type, op, kv));
        return this;
    }

    @Test
    void disjointHoldsWithIncreasingFencesPass() {
        at(1, "a", "ok", "acquire", "fence", 10).at(2, "a", "invoke", "release", "fence", 10)
                .at(3, "b", "ok", "acquire", "fence", 11).at(4, "b", "invoke", "release", "fence", 11);
        assertEquals(List.of(), Checkers.atMost(Checkers.grantIntervals(h), 1, "holders"));
        assertEquals(List.of(), Checkers.fencesIncrease(h));
    }

    @Test
    void overlappingHoldsAreCaught() {
        at(1, "a", "ok", "acquire", "fence", 10).at(3, "b", "ok", "acquire", "fence", 11)
                .at(4, "a", "invoke", "release", "fence", 10);
        assertEquals(1, Checkers.atMost(Checkers.grantIntervals(h), 1, "holders").size());
        assertEquals(List.of(), Checkers.atMost(Checkers.grantIntervals(h), 2, "holders"), "a semaphore of 2 allows it");
    }

    @Test
    void aHolderThatSawUncertainStopsBelievingUntilHeldAgain() {
        at(1, "a", "ok", "acquire", "fence", 10).at(2, "a", "info", "grant", "fence", 10, "state", "UNCERTAIN")
                .at(3, "b", "ok", "acquire", "fence", 11).at(4, "b", "invoke", "release", "fence", 11)
                .at(5, "a", "info", "grant", "fence", 10, "state", "HELD");
        List<Checkers.Interval> intervals = Checkers.grantIntervals(h);
        assertEquals(List.of(), Checkers.atMost(intervals, 1, "holders"));
        assertEquals(3, intervals.size());
        at(6, "a", "info", "grant", "fence", 10, "state", "LOST");
        at(7, "a", "info", "grant", "fence", 10, "state", "HELD"); // nothing comes back after LOST
        assertEquals(3, Checkers.grantIntervals(h).size());
    }

    @Test
    void aCrashEndsWhatTheProcessBelieved() {
        at(1, "a", "ok", "acquire", "fence", 10).at(2, "a", "info", "crash").at(3, "b", "ok", "acquire", "fence", 11);
        assertEquals(List.of(), Checkers.atMost(Checkers.grantIntervals(h), 1, "holders"));
    }

    @Test
    void aFenceGoingBackIsCaught() {
        at(1, "a", "ok", "acquire", "fence", 10).at(3, "b", "ok", "acquire", "fence", 9);
        assertEquals(1, Checkers.fencesIncrease(h).size());
    }

    @Test
    void theResourceChainCatchesALostUpdateAndAMissingAcknowledgedWrite() {
        List<FencedResource.Attempt> log = List.of(
                new FencedResource.Attempt(1, "a", "READ", 10, 0, true),
                new FencedResource.Attempt(2, "a", "WRITE", 10, 1, true),
                new FencedResource.Attempt(3, "b", "READ", 11, 1, true),
                new FencedResource.Attempt(4, "a", "WRITE", 10, 2, false),
                new FencedResource.Attempt(5, "b", "WRITE", 11, 2, true));
        at(2, "a", "ok", "write", "fence", 10, "value", 1).at(5, "b", "ok", "write", "fence", 11, "value", 2);
        assertEquals(List.of(), Checkers.fencedResource(log, h));

        List<FencedResource.Attempt> lost = List.of(
                new FencedResource.Attempt(1, "a", "WRITE", 10, 1, true),
                new FencedResource.Attempt(2, "b", "WRITE", 11, 1, true));
        assertEquals(1, Checkers.fencedResource(lost, List.of()).size());
        at(9, "c", "ok", "write", "fence", 12, "value", 3);
        assertTrue(Checkers.fencedResource(log, h).get(0).contains("not in the resource's log"));
    }

    @Test
    void twoAcknowledgedIncrementsToTheSameValueAreOneLostUpdate() {
        at(1, "a", "ok", "zkwrite", "value", 1).at(2, "b", "ok", "zkwrite", "value", 2)
                .at(3, "a", "ok", "zkwrite", "value", 2);
        assertEquals(1, Checkers.lostCounterUpdates(h));
    }

    @Test
    void electionChecksOneLeaderPerEpochIncreasingEpochsAndFlapping() {
        at(1, "a", "info", "elect", "prev", "CONTENDING", "state", "LEADING", "epoch", 5)
                .at(2, "a", "info", "elect", "prev", "LEADING", "state", "UNCERTAIN", "epoch", 5)
                .at(3, "a", "info", "elect", "prev", "UNCERTAIN", "state", "LEADING", "epoch", 5)
                .at(4, "a", "info", "crash")
                .at(5, "b", "info", "elect", "prev", "CONTENDING", "state", "LEADING", "epoch", 7);
        assertEquals(List.of(), Checkers.election(h, 1));
        assertEquals(1, Checkers.election(h, 0).size(), "two terms for no fault is flapping");

        h.clear();
        at(1, "a", "info", "elect", "prev", "CONTENDING", "state", "LEADING", "epoch", 5)
                .at(2, "b", "info", "elect", "prev", "CONTENDING", "state", "LEADING", "epoch", 4);
        List<String> v = Checkers.election(h, 5);
        assertTrue(v.stream().anyMatch(s -> s.startsWith("leaders")), v.toString());
        assertTrue(v.stream().anyMatch(s -> s.startsWith("epoch 4")), v.toString());

        // A leader that calls close() stops leading then, even if its CLOSED event comes later.
        h.clear();
        at(1, "a", "info", "elect", "prev", "CONTENDING", "state", "LEADING", "epoch", 5)
                .at(2, "a", "invoke", "leave")
                .at(3, "b", "info", "elect", "prev", "CONTENDING", "state", "LEADING", "epoch", 7)
                .at(4, "a", "info", "elect", "prev", "LEADING", "state", "CLOSED", "epoch", 5);
        assertEquals(List.of(), Checkers.election(h, 1));

        // Terms begun after the test began stopping the workers are handovers, not flapping; but
        // they are still checked for overlaps and epoch order.
        h.clear();
        at(1, "a", "info", "elect", "prev", "CONTENDING", "state", "LEADING", "epoch", 5)
                .at(2, History.NEMESIS, "info", History.STOPPING)
                .at(3, "a", "invoke", "leave")
                .at(4, "b", "info", "elect", "prev", "CONTENDING", "state", "LEADING", "epoch", 7)
                .at(5, "b", "invoke", "leave")
                .at(6, "c", "info", "elect", "prev", "CONTENDING", "state", "LEADING", "epoch", 3);
        List<String> stopped = Checkers.election(h, 0);
        assertEquals(1, stopped.size(), stopped.toString());
        assertTrue(stopped.get(0).startsWith("epoch 3"), stopped.toString());
    }

    @Test
    void leakReportsWithThreadsOrSocketsAreViolations() {
        at(1, "a", "info", "leaks", "threads", 0, "sockets", 0).at(2, "b", "info", "leaks", "threads", 1, "sockets", 0);
        assertEquals(1, Checkers.leaks(h).size());
    }

    @Test
    void aBarrierEnterReturningBeforeTheLastMemberArrivedIsCaught() {
        at(1, "a", "invoke", "enter").at(2, "b", "invoke", "enter").at(3, "a", "ok", "enter", "round", 1)
                .at(3, "b", "ok", "enter", "round", 1)
                .at(4, "a", "invoke", "leave", "round", 1).at(5, "b", "invoke", "leave", "round", 1)
                .at(6, "a", "ok", "leave", "round", 1).at(6, "b", "ok", "leave", "round", 1);
        assertEquals(List.of(), Checkers.barrier(h));
        at(7, "a", "invoke", "enter").at(8, "a", "ok", "enter", "round", 2).at(9, "b", "invoke", "enter")
                .at(10, "b", "ok", "enter", "round", 2);
        assertEquals(1, Checkers.barrier(h).size(), "a passed round 2 alone");
    }

    @Test
    void aTimedCallGivingUpBeforeItsDeadlineIsCaught() {
        at(1, "a", "fail", "enter", "elapsedMs", 900, "timeoutMs", 1000).at(2, "b", "fail", "enter", "elapsedMs", 1000,
                "timeoutMs", 1000);
        assertEquals(1, Checkers.timedCallsOnTime(h).size());
    }

    @Test
    void aTimedOutAcquireMayLeaveItsNodeOnlyUntilTheBackgroundDelete() {
        at(1, "a", "info", "own-nodes", "count", 0, "after", 0, "ms", 0)
                .at(2, "b", "info", "own-nodes", "count", 1, "after", 0, "ms", 120);
        assertEquals(List.of(), Checkers.timedOutAcquiresLeftNothing(h));
        at(4, "d", "info", "own-nodes", "count", 1, "after", 1, "ms", 8000);
        assertEquals(1, Checkers.timedOutAcquiresLeftNothing(h).size());
    }

    @Test
    void readersMayShareButAWriterOverlapsNobody() {
        at(1, "a", "ok", "acquire", "mode", "read", "fence", 1).at(2, "b", "ok", "acquire", "mode", "read", "fence", 2)
                .at(3, "a", "invoke", "release", "fence", 1).at(4, "b", "invoke", "release", "fence", 2)
                .at(5, "c", "ok", "acquire", "mode", "write", "fence", 3);
        assertEquals(List.of(), Checkers.readWrite(h));
        at(6, "d", "ok", "acquire", "mode", "read", "fence", 4);
        assertEquals(1, Checkers.readWrite(h).size());
    }
}
