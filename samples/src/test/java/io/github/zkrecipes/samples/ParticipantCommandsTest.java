package io.github.zkrecipes.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
import io.github.zkrecipes.locks.Lease;
import io.github.zkrecipes.locks.LockHandle;
import io.github.zkrecipes.locks.ZkLock;
import io.github.zkrecipes.locks.ZkReadWriteLock;
import io.github.zkrecipes.locks.ZkSemaphore;
import io.github.zkrecipes.testing.Await;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code zkr lock | rwlock | semaphore} against one embedded server: exit codes and what they print. */
class ParticipantCommandsTest {
    private static final Pattern FENCE = Pattern.compile("granted .*, fence (0x[0-9a-f]+)");
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
    void lockTakesItsRoundsWithGrowingFencesAndLeavesNothingBehind() throws Exception {
        Run run = Run.zkr("lock", "--connect", zk.connectString(), "--path", "/rounds", "--id", "alice",
                "--hold", "0s", "--rounds", "3");

        assertEquals(0, run.exitCode(), run.both());
        List<Long> fences = fences(run.out());
        assertEquals(3, fences.size(), run.both());
        assertTrue(fences.get(0) < fences.get(1) && fences.get(1) < fences.get(2), run.both());
        assertEquals(3, run.out().lines().filter(l -> l.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[alice] released after .*"))
                .count(), run.both());
        assertTrue(run.out().contains("[alice] done: 3 rounds"), run.both());
        assertEquals(List.of(), new ZkLock(session, "/rounds").queue());
    }

    @Test
    void durationKeepsTakingRoundsUntilItHasPassed() {
        Run run = Run.zkr("rwlock", "--connect", zk.connectString(), "--path", "/timed", "--mode", "write",
                "--hold", "0s", "--duration", "300ms");

        assertEquals(0, run.exitCode(), run.both());
        int rounds = fences(run.out()).size();
        assertTrue(rounds >= 2, "rounds until 300ms have passed, not one: " + run.both());
        assertTrue(run.out().contains("done: " + rounds + " rounds"), run.both());
    }

    @Test
    void aWaitingLockSaysWhereItStandsThenIsGrantedWhenTheHolderReleases() throws Exception {
        ZkLock lock = new ZkLock(session, "/contended");
        LockHandle held = lock.acquire();
        Run.Running bob = Run.start("lock", "--connect", zk.connectString(), "--path", "/contended", "--id", "bob",
                "--hold", "0s");
        Await.until("bob to print his place in the queue",
                () -> bob.outSoFar().contains("[bob] queued: 1st in line; held by [" + session.participantId() + "] fence 0x"
                        + Long.toHexString(held.fence())));
        held.close();

        Run run = Await.result("bob's run", bob.done());
        assertEquals(0, run.exitCode(), run.both());
        assertTrue(run.out().indexOf("queued: 1st in line") < run.out().indexOf("granted lock /contended"), run.both());
        assertTrue(fences(run.out()).get(0) > held.fence(), run.both());
    }

    @Test
    void aLockNotGrantedWithinTheTimeoutExitsThreeAndLeavesNothingQueued() throws Exception {
        ZkLock lock = new ZkLock(session, "/busy");
        try (LockHandle held = lock.acquire()) {
            Run run = Run.zkr("lock", "--connect", zk.connectString(), "--path", "/busy", "--timeout", "200ms");

            assertEquals(3, run.exitCode(), run.both());
            assertEquals("zkr: not granted lock /busy within 200ms", run.errorLine());
            assertTrue(run.out().contains("not granted within 200ms; nothing left queued"), run.both());
            assertEquals(List.of(), lock.waiters());
        }
    }

    @Test
    void aLockLostWhileHeldReportsUncertainThenLostAndExitsFour() throws Exception {
        try (EmbeddedZooKeeper own = EmbeddedZooKeeper.start()) {
            Run.Running holder = Run.start("lock", "--connect", own.connectString(), "--path", "/lost",
                    "--session-timeout", "1s", "--connect-timeout", "1s", "--hold", "10m");
            Await.until("the lock to be granted", () -> holder.outSoFar().contains("granted lock /lost"));
            own.stop(0); // silence longer than the session timeout: the client must give the lock up

            Run run = Await.result("the holder's run", holder.done());
            assertEquals(4, run.exitCode(), run.both());
            assertTrue(run.out().indexOf("UNCERTAIN") < run.out().indexOf("LOST"), run.both());
            assertTrue(run.errorLine().startsWith("zkr: lost lock /lost (fence 0x"), run.both());
        }
    }

    @Test
    void readersShareTheReadWriteLockAndAWriterWaitsForThem() throws Exception {
        ZkReadWriteLock rw = new ZkReadWriteLock(session, "/rw");
        try (LockHandle read = rw.acquireRead()) {
            Run reader = Run.zkr("rwlock", "--connect", zk.connectString(), "--path", "/rw", "--mode", "read",
                    "--hold", "0s", "--timeout", "10s");
            assertEquals(0, reader.exitCode(), reader.both());
            assertTrue(reader.out().contains("granted read lock /rw"), reader.both());

            Run writer = Run.zkr("rwlock", "--connect", zk.connectString(), "--path", "/rw", "--mode", "write",
                    "--timeout", "200ms");
            assertEquals(3, writer.exitCode(), writer.both());
            assertEquals("zkr: not granted write lock /rw within 200ms", writer.errorLine());
        }
    }

    @Test
    void semaphoreGrantsPermitsUpToItsCountAndRefusesADifferentCount() throws Exception {
        Run both = Run.zkr("semaphore", "--connect", zk.connectString(), "--path", "/sem", "--permits", "2",
                "--count", "2", "--hold", "0s");
        assertEquals(0, both.exitCode(), both.both());
        assertTrue(both.out().contains("granted 2 of 2 permits of /sem, fence 0x"), both.both());

        try (Lease one = new ZkSemaphore(session, "/sem", 2).acquire()) {
            Run more = Run.zkr("semaphore", "--connect", zk.connectString(), "--path", "/sem", "--permits", "2",
                    "--count", "2", "--timeout", "200ms");
            assertEquals(3, more.exitCode(), more.both());
            assertEquals("zkr: not granted 2 of 2 permits of /sem within 200ms", more.errorLine());

            Run disagree = Run.zkr("semaphore", "--connect", zk.connectString(), "--path", "/sem", "--permits", "3");
            assertEquals(1, disagree.exitCode(), disagree.both());
            assertTrue(disagree.errorLine().contains("has 2 permits; this participant declared 3"), disagree.both());
        }
    }

    @Test
    void interactiveHoldsUntilEnterAndQuitsOnQ() throws Exception {
        InputStream stdin = System.in;
        try (PipedOutputStream keys = new PipedOutputStream()) {
            System.setIn(new PipedInputStream(keys));
            Run.Running run = Run.start("lock", "--connect", zk.connectString(), "--path", "/keys", "--interactive");
            Await.until("the first grant to be held", () -> run.outSoFar().contains("holding; Enter releases"));
            assertEquals(1, new ZkLock(session, "/keys").queue().size(), "held until Enter");
            keys.write("\n".getBytes(StandardCharsets.UTF_8));
            keys.flush();
            Await.until("the second grant to be held", () -> run.outSoFar().contains("round 2: waiting")
                    && run.outSoFar().lines().filter(l -> l.contains("holding; Enter releases")).count() == 2);
            keys.write("q\n".getBytes(StandardCharsets.UTF_8));
            keys.flush();

            Run done = Await.result("the interactive run", run.done());
            assertEquals(0, done.exitCode(), done.both());
            assertEquals(2, fences(done.out()).size(), done.both());
            assertTrue(done.out().contains("done: 2 rounds"), done.both());
        } finally {
            System.setIn(stdin);
        }
    }

    private static List<Long> fences(String out) {
        Matcher m = FENCE.matcher(out);
        List<Long> fences = new java.util.ArrayList<>();
        while (m.find()) {
            fences.add(Long.decode(m.group(1)));
        }
        return fences;
    }
}
