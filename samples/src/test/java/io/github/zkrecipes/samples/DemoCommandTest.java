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
