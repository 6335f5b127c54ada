package io.github.zkrecipes.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.election.Candidacy;
import io.github.zkrecipes.election.Leadership;
import io.github.zkrecipes.election.ZkElection;
import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
import io.github.zkrecipes.groups.GroupConfig;
import io.github.zkrecipes.groups.Membership;
import io.github.zkrecipes.groups.ZkDoubleBarrier;
import io.github.zkrecipes.groups.ZkGroup;
import io.github.zkrecipes.testing.Await;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code zkr election | barrier | group}: two participants against one embedded server, exit codes and output. */
class ElectionBarrierGroupCommandsTest {
    private static final Pattern LEADING = Pattern.compile("LEADING \\S+, epoch (0x[0-9a-f]+)");
    private static EmbeddedZooKeeper zk;
    private static ZkSession session;

    @BeforeAll
    static void start() {
        zk = EmbeddedZooKeeper.start();
        session = ZkSession.connect(zk.connectString());
    }

    @AfterAll
    static void stop() {
        session.close();
        zk.close();
    }

    @Test
    void leadershipPassesToTheWaitingCandidateOnResignAndEveryTermHasALargerEpoch() throws Exception {
        InputStream stdin = System.in;
        try (PipedOutputStream keys = new PipedOutputStream()) {
            System.setIn(new PipedInputStream(keys));
            Run.Running alice = Run.start("election", "--connect", zk.connectString(), "--path", "/e", "--id", "alice",
                    "--interactive", "--rounds", "2");
            Await.until("alice to lead", () -> alice.outSoFar().contains("[alice] LEADING /e, epoch"));
            Run.Running bob = Run.start("election", "--connect", zk.connectString(), "--path", "/e", "--id", "bob",
                    "--hold", "0s");
            long aliceEpoch = epochs(alice.outSoFar()).get(0);
            Await.until("bob to wait behind alice", () -> bob.outSoFar().contains(
                    "[bob] queued: 1st in line; led by [alice] epoch 0x" + Long.toHexString(aliceEpoch)));
            assertFalse(bob.outSoFar().contains("LEADING"), bob.outSoFar());
            enter(keys, "\n"); // alice resigns and goes to the back: bob leads, resigns, and leaves

            Run bobRun = Await.result("bob's run", bob.done());
            assertEquals(0, bobRun.exitCode(), bobRun.both());
            Await.until("alice to lead again", () -> epochs(alice.outSoFar()).size() == 2);
            enter(keys, "q\n");
            Run aliceRun = Await.result("alice's run", alice.done());

            assertEquals(0, aliceRun.exitCode(), aliceRun.both());
            long bobEpoch = epochs(bobRun.out()).get(0);
            List<Long> aliceEpochs = epochs(aliceRun.out());
            assertTrue(aliceEpochs.get(0) < bobEpoch && bobEpoch < aliceEpochs.get(1),
                    aliceRun.both() + bobRun.both());
            assertTrue(aliceRun.out().contains("[alice] resigned after"), aliceRun.both());
            assertTrue(aliceRun.out().contains("[alice] done: 2 rounds"), aliceRun.both());
            assertTrue(bobRun.out().indexOf("queued: 1st in line") < bobRun.out().indexOf("LEADING"), bobRun.both());
            assertEquals(List.of(), new ZkElection(session, "/e").candidates());
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void aCandidateNotLeadingWithinTheTimeoutExitsThreeAndLeavesTheElection() throws Exception {
        try (Candidacy leader = new ZkElection(session, "/busy-election").join()) {
            Leadership term = leader.awaitLeadership(Duration.ofSeconds(10)).orElseThrow();
            Run run = Run.zkr("election", "--connect", zk.connectString(), "--path", "/busy-election",
                    "--timeout", "200ms");

            assertEquals(3, run.exitCode(), run.both());
            assertEquals("zkr: not granted leadership of /busy-election within 200ms", run.errorLine());
            assertEquals(1, new ZkElection(session, "/busy-election").candidates().size());
            assertTrue(term.isHeld());
        }
    }

    @Test
    void twoPartiesPassTheBarrierTogetherRoundAfterRound() throws Exception {
        Run.Running p1 = Run.start("barrier", "--connect", zk.connectString(), "--path", "/b", "--id", "p1",
                "--parties", "2", "--hold", "0s", "--rounds", "2", "--timeout", "20s");
        Await.until("p1 to wait at the entry", () -> p1.outSoFar().contains("[p1] waiting: 1 of 2 in: [p1]"));
        assertFalse(p1.outSoFar().contains("ENTERED"), p1.outSoFar());
        Run p2 = Run.zkr("barrier", "--connect", zk.connectString(), "--path", "/b", "--id", "p2",
                "--parties", "2", "--hold", "0s", "--rounds", "2", "--timeout", "20s");
        Run p1Run = Await.result("p1's run", p1.done());

        for (Run run : List.of(p1Run, p2)) {
            assertEquals(0, run.exitCode(), run.both());
            assertEquals(2, run.out().lines().filter(l -> l.contains("with all 2 parties")).count(), run.both());
            assertEquals(2, run.out().lines().filter(l -> l.contains(": everyone is out")).count(), run.both());
            assertTrue(run.out().contains("done: 2 rounds"), run.both());
        }
        assertTrue(p1Run.out().indexOf("waiting: 1 of 2 in") < p1Run.out().indexOf("ENTERED"), p1Run.both());
        assertEquals(List.of(), new ZkDoubleBarrier(session, "/b", 2).participants());
    }

    @Test
    void aBarrierThatDoesNotFillWithinTheTimeoutExitsThreeAndLeavesNothingBehind() throws Exception {
        Run run = Run.zkr("barrier", "--connect", zk.connectString(), "--path", "/lonely", "--parties", "2",
                "--timeout", "200ms");

        assertEquals(3, run.exitCode(), run.both());
        assertEquals("zkr: not all 2 parties entered barrier /lonely within 200ms", run.errorLine());
        assertEquals(List.of(), new ZkDoubleBarrier(session, "/lonely", 2).participants());
    }

    @Test
    void aGroupMemberSeesAnotherJoinAndLeaveAndTheConfigurationChangeByCompareAndSet() throws Exception {
        InputStream stdin = System.in;
        try (PipedOutputStream keys = new PipedOutputStream()) {
            System.setIn(new PipedInputStream(keys));
            Run.Running alice = Run.start("group", "--connect", zk.connectString(), "--path", "/g", "--id", "alice",
                    "--data", "role=indexer", "--config", "batch=64", "--interactive");
            Await.until("alice to join and set the configuration",
                    () -> alice.outSoFar().contains("[alice] config set at version 0 (was absent): batch=64"));
            Run bob = Run.zkr("group", "--connect", zk.connectString(), "--path", "/g", "--id", "bob",
                    "--data", "role=compactor", "--config", "batch=128", "--config", "mode=fast", "--hold", "0s");
            assertEquals(0, bob.exitCode(), bob.both());
            assertTrue(bob.out().contains("[bob] view of group /g opened: [alice]"), bob.both());
            assertTrue(bob.out().contains("[bob] config set at version 1 (was version 0): batch=128 mode=fast"),
                    bob.both());
            Await.until("alice to see bob leave", () -> alice.outSoFar().contains("[alice] view: [bob] LEFT; members: [alice]"));
            enter(keys, "q\n");
            Run aliceRun = Await.result("alice's run", alice.done());

            assertEquals(0, aliceRun.exitCode(), aliceRun.both());
            String out = aliceRun.out();
            int joined = out.indexOf("view: [bob] JOINED with data 'role=compactor'; members: [alice], [bob]");
            int changed = out.indexOf("config version 1: batch=128 mode=fast");
            int left = out.indexOf("view: [bob] LEFT; members: [alice]");
            assertTrue(joined >= 0 && changed >= 0 && joined < left, aliceRun.both());
            assertTrue(out.contains("[alice] left after"), aliceRun.both());
            assertEquals(Map.of(), new ZkGroup(session, "/g").members());
            assertEquals("batch=128\nmode=fast", GroupConfig.strings(session, "/g-config").read().value());
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void joiningWithAnIdThatIsTakenFailsOnOneLineNamingIt() throws Exception {
        try (Membership taken = new ZkGroup(session, "/taken").join("carol", "")) {
            Run run = Run.zkr("group", "--connect", zk.connectString(), "--path", "/taken", "--id", "carol");

            assertEquals(1, run.exitCode(), run.both());
            assertTrue(run.errorLine().startsWith("zkr: member id 'carol' is already taken in group /taken"), run.both());
            assertEquals(1, new ZkGroup(session, "/taken").members().size());
        }
    }

    private static void enter(PipedOutputStream keys, String text) throws IOException {
        keys.write(text.getBytes(StandardCharsets.UTF_8));
        keys.flush();
    }

    private static List<Long> epochs(String out) {
        Matcher m = LEADING.matcher(out);
        List<Long> epochs = new ArrayList<>();
        while (m.find()) {
            epochs.add(Long.decode(m.group(1)));
        }
        return epochs;
    }
}
