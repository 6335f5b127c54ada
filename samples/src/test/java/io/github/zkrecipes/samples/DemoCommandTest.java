package io.github.zkrecipes.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code zkr demo} end to end, on real embedded ZooKeeper servers. */
class DemoCommandTest {
    private static final Pattern HEX = Pattern.compile("0x[0-9a-f]+");

    @Test
    void theDemoOnItsEmbeddedEnsembleTellsAndChecksTheWholeStory() {
        Run run = Run.zkr("demo");

        assertEquals(0, run.exitCode(), run.both());
        assertEquals("", run.err(), run.both());
        assertStoryTold(run);
        assertTrue(run.out().contains("Started an embedded 3-server ensemble"), run.both());
    }

    @Test
    void theDemoOnAGivenEnsembleWorksUnderItsOwnZnodeAndRemovesIt() throws Exception {
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start()) {
            Run run = Run.zkr("demo", "--connect", zk.connectString());

            assertEquals(0, run.exitCode(), run.both());
            assertStoryTold(run);
            Matcher base = Pattern.compile("working under (/zkr-demo-[0-9a-f]{8})").matcher(run.out());
            assertTrue(base.find(), run.both());
            try (ZkSession admin = ZkSession.connect(zk.connectString())) {
                assertEquals(List.of("zookeeper"), admin.curator().getChildren().forPath("/"),
                        base.group(1) + " should be gone");
            }
        }
    }

    private static void assertStoryTold(Run run) {
        String out = run.out();
        // Act one: the queue in arrival order, then grants in that order with growing fences.
        List<String> queue = out.lines().filter(l -> l.strip().startsWith("seq "))
                .map(l -> l.replaceAll(".*?(\\[\\w+\\]).*", "$1")).toList();
        assertEquals(List.of("[alice]", "[bob]", "[carol]"), queue, run.both());
        assertTrue(line(out, "seq 0000000000").contains("holds the lock"), run.both());
        List<Long> fences = hexes(line(out, "Fences increase with every new holder"));
        assertEquals(3, fences.size(), run.both());
        assertTrue(fences.get(0) < fences.get(1) && fences.get(1) < fences.get(2), run.both());
        // Every "fence X > Y" printed is true.
        Matcher m = Pattern.compile("fence (0x[0-9a-f]+) > (0x[0-9a-f]+)").matcher(out);
        int comparisons = 0;
        while (m.find()) {
            assertTrue(Long.decode(m.group(1)) > Long.decode(m.group(2)), m.group() + "\n" + run.both());
            comparisons++;
        }
        assertEquals(5, comparisons, "3 lock holders, a semaphore lease, a reader after a writer\n" + run.both());
        // Act two: bob is told, refused, and carol's value stays.
        assertTrue(out.contains("His lock handle reports LOST"), run.both());
        assertTrue(line(out, "[bob] tries his guarded write").contains("REJECTED"), run.both());
        assertTrue(out.contains("OwnershipLostException"), run.both());
        assertTrue(out.contains("still holds \"x=4\": [carol]'s value is kept"), run.both());
        // Act three: two permits, the third participant waits until one is returned.
        assertTrue(line(out, "[carol] asks for one too and waits").contains("the holders are [alice] and [bob]"), run.both());
        assertTrue(line(out, "[alice] returns her permit").contains("[carol] is granted"), run.both());
        // Act four: readers share, the writer waits, a later reader waits behind the writer.
        assertTrue(out.contains("[alice] and [bob] take the read lock"), run.both());
        assertTrue(out.contains("he now waits behind [carol]"), run.both());
        assertTrue(out.indexOf("[carol] is granted the write lock") < out.indexOf("[bob] reads, fence"), run.both());
        // Act three: the leader's session expires, the next candidate leads with a larger epoch.
        assertTrue(line(out, "join the election").contains("[alice] LEADS, epoch"), run.both());
        Matcher epochs = Pattern.compile("LEADING, epoch (0x[0-9a-f]+) > (0x[0-9a-f]+)").matcher(out);
        assertTrue(epochs.find(), run.both());
        assertTrue(Long.decode(epochs.group(1)) > Long.decode(epochs.group(2)), run.both());
        assertEquals(Long.decode(epochs.group(2)), hexes(line(out, "[alice] LEADS, epoch")).get(0), run.both());
        assertTrue(out.indexOf("the ensemble expires her session") < out.indexOf("[bob], next in line, takes over"),
                run.both());
        assertTrue(line(out, "[alice] resumes").contains("LOST. Her guarded write of epoch " + epochs.group(2)
                + ": REJECTED"), run.both());
        assertTrue(out.contains("still says \"bob\""), run.both());
        List<String> after = out.lines().dropWhile(l -> !l.contains("joins again in her new session"))
                .skip(1).limit(3).map(String::strip).toList();
        assertTrue(after.get(0).startsWith("[bob]") && after.get(0).contains("leads, epoch " + epochs.group(1))
                && after.get(1).startsWith("[carol]") && after.get(2).startsWith("[alice]"), run.both());
        // Act six: two wait at the entry until the third arrives; all pass, then all leave.
        assertTrue(line(out, "[bob] enters at").contains("2 of 3 in ([alice] and [bob]); nobody has passed"), run.both());
        assertTrue(out.indexOf("[bob] enters at") < out.indexOf("[carol] enters at"), run.both());
        assertTrue(line(out, "[carol] enters at").contains("all three pass together"), run.both());
        assertTrue(line(out, "[alice] finishes first").contains("she waits at the exit for [bob] and [carol]"), run.both());
        assertTrue(out.contains("all three are out"), run.both());
        // Act seven: the view's events in order, then a conflict and a retry.
        List<String> view = out.lines().map(String::strip).filter(l -> l.startsWith("view: ")).toList();
        assertEquals(List.of("view: [alice] joined, data \"role=indexer\"", "view: [bob] joined, data \"role=indexer\"",
                "view: [bob] changed data \"role=indexer\" -> \"role=compactor\"", "view: [alice] left",
                "view: [bob] left"), view, run.both());
        assertTrue(line(out, "[carol] sets \"batch=32\" if still at 0").contains("CONFLICT, nothing written"), run.both());
        assertTrue(line(out, "ConfigConflictException").contains("is at version 1, not the expected 0"), run.both());
        assertTrue(line(out, "[carol] reads again").contains("(\"batch=128\", version 1) and retries: applied, version 2"),
                run.both());
        assertTrue(out.indexOf("Act three") < out.indexOf("Act six") && out.indexOf("Act six") < out.indexOf("Act seven"),
                run.both());
        assertTrue(out.contains("Done in"), run.both());
    }

    private static String line(String text, String containing) {
        return text.lines().filter(l -> l.contains(containing)).findFirst()
                .orElseThrow(() -> new AssertionError("no line with '" + containing + "' in:\n" + text));
    }

    private static List<Long> hexes(String line) {
        List<Long> values = new ArrayList<>();
        Matcher m = HEX.matcher(line);
        while (m.find()) {
            values.add(Long.decode(m.group()));
        }
        return values;
    }
}
