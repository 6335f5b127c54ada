package io.github.zkrecipes.samples;

import io.github.zkrecipes.OwnershipLostException;
import io.github.zkrecipes.Participant;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.queue.SequentialQueue.NodeInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The demo's story, in two acts, told by {@link DemoCommand}. Act one: three participants take a
 * fair lock in turn, each with a larger fence. Act two: a holder stalls past its session timeout,
 * the next one is granted, and the stale holder's guarded write is refused by the ensemble's
 * check while the new holder's value stays. Every fact printed is also checked: if one does not
 * hold, the story fails instead of printing it.
 */
final class LockStory {
    /** How long any one step may take before the demo gives up. */
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(20);

    private final Narrative say;
    private final String connectString;
    private final String lockPath;
    private final String dataPath;
    private final ZkSession bobSession;
    private final ZkSession carolSession;
    private final DemoLock alice;
    private final DemoLock bob;
    private final DemoLock carol;

    LockStory(Narrative say, String connectString, String base, ZkSession alice, ZkSession bob, ZkSession carol) {
        this.say = say;
        this.connectString = connectString;
        this.lockPath = base + "/lock";
        this.dataPath = base + "/data";
        this.bobSession = bob;
        this.carolSession = carol;
        this.alice = new DemoLock(alice, lockPath);
        this.bob = new DemoLock(bob, lockPath);
        this.carol = new DemoLock(carol, lockPath);
    }

    void tell() throws Exception {
        carolSession.curator().create().creatingParentsIfNeeded().forPath(dataPath, bytes("x=0"));
        say.detail("The shared resource is the znode %s (now \"x=0\"); the lock is %s.", dataPath, lockPath);
        takeTurns();
        staleHolder();
    }

    private void takeTurns() throws Exception {
        DemoGrant a = alice.acquire(STEP_TIMEOUT);
        say.step("[alice] acquires the lock: granted at once, fence %s (the czxid of her queue node).", hex(a.fence()));
        CompletableFuture<DemoGrant> b = bob.queueUp(STEP_TIMEOUT);
        CompletableFuture<DemoGrant> c = carol.queueUp(STEP_TIMEOUT);
        say.step("[bob] and [carol] queue behind her, each waiting on a thread of its own. The queue:");
        showQueue();

        write(a, "x=1");
        say.step("[alice] guarded write %s = \"x=1\": applied (her lock node still exists). She releases.", dataPath);
        a.close();

        DemoGrant bg = await(b, "[bob] to be granted");
        write(bg, "x=2");
        say.step("[bob] is granted, fence %s > %s. Guarded write \"x=2\": applied. He releases.",
                hex(bg.fence()), hex(a.fence()));
        bg.close();

        DemoGrant cg = await(c, "[carol] to be granted");
        write(cg, "x=3");
        say.step("[carol] is granted, fence %s > %s. Guarded write \"x=3\": applied. She releases.",
                hex(cg.fence()), hex(bg.fence()));
        cg.close();

        check(a.fence() < bg.fence() && bg.fence() < cg.fence(), "fences did not increase");
        say.detail("Fences increase with every new holder: %s < %s < %s, in queue order.",
                hex(a.fence()), hex(bg.fence()), hex(cg.fence()));
    }

    private void showQueue() throws InterruptedException {
        List<NodeInfo> queue = alice.describe();
        String ahead = null;
        for (NodeInfo n : queue) {
            String who = "[" + Participant.decode(n.data()).id() + "]";
            say.detail("seq %010d  %-7s  fence %s  %s", n.node().sequence(), who, hex(n.stat().getCzxid()),
                    ahead == null ? "holds the lock" : "waits for " + ahead + " (watches only that node)");
            ahead = who;
        }
        check(queue.size() == 3, "expected 3 nodes in the queue, found " + queue.size());
    }

    private void staleHolder() throws Exception {
        say.heading("Act two: the stale holder");
        DemoGrant b = bob.acquire(STEP_TIMEOUT);
        CompletableFuture<DemoGrant> c = carol.queueUp(STEP_TIMEOUT);
        say.step("[bob] acquires the lock again (fence %s); [carol] queues behind him.", hex(b.fence()));

        say.step("[bob] stalls (think: a long GC pause) past his %d s session timeout.",
                bobSession.negotiatedSessionTimeout().toSeconds());
        ServerSideExpiry.expire(bobSession, connectString, STEP_TIMEOUT);
        say.detail("The ensemble expires his session 0x%x and deletes his lock node while he is paused.",
                b.sessionId());

        DemoGrant cg = await(c, "[carol] to be granted");
        check(cg.fence() > b.fence(), "carol's fence is not larger than bob's");
        write(cg, "x=4");
        say.step("[carol] is granted, fence %s > %s. Guarded write \"x=4\": applied.", hex(cg.fence()), hex(b.fence()));

        await(b.whenLost(), "[bob]'s grant to report LOST");
        say.step("[bob] resumes. His grant reports %s (whenLost() completed).", b.state());

        try {
            write(b, "x=5");
            throw new IllegalStateException("[bob]'s stale write was applied");
        } catch (OwnershipLostException refused) {
            say.step("[bob] tries his guarded write \"x=5\" anyway: REJECTED, nothing applied.");
            say.detail("OwnershipLostException: %s", refused.getMessage());
        }

        // Read through carol's session: a session reads its own writes, whichever server it is on.
        String value = new String(carolSession.curator().getData().forPath(dataPath), StandardCharsets.UTF_8);
        check(value.equals("x=4"), dataPath + " holds \"" + value + "\", not carol's \"x=4\"");
        say.step("%s still holds \"%s\": [carol]'s value is kept.", dataPath, value);
        say.detail("A resource outside ZooKeeper can do the same with the fence: having seen %s, refuse %s.",
                hex(cg.fence()), hex(b.fence()));
        cg.close();
    }

    private void write(DemoGrant grant, String value) throws Exception {
        grant.guarded(grant.session().curator().transactionOp().setData().forPath(dataPath, bytes(value)));
    }

    /** Waits for {@code future} at most {@link #STEP_TIMEOUT}; a failure is rethrown as itself. */
    private static <T> T await(CompletableFuture<T> future, String what) throws Exception {
        try {
            return future.get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new TimeoutException("gave up after " + STEP_TIMEOUT.toSeconds() + " s waiting for " + what);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private static void check(boolean fact, String otherwise) {
        if (!fact) {
            throw new IllegalStateException(otherwise);
        }
    }

    private static String hex(long zxid) {
        return "0x" + Long.toHexString(zxid);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
