package io.github.zkrecipes.samples;

import io.github.zkrecipes.OwnershipLostException;
import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.locks.LockHandle;
import io.github.zkrecipes.locks.ZkLock;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The demo's lock story, in two acts, told by {@link DemoCommand} with the public {@link ZkLock}.
 * Act one: three participants take a fair lock in turn, each with a larger fence. Act two: a
 * holder stalls past its session timeout, the next one is granted, and the stale holder's guarded
 * write is refused by the ensemble's check while the new holder's value stays. Every fact printed
 * is also checked: if one does not hold, the story fails instead of printing it.
 *
 * <p>Each participant acquires and releases on its own thread ({@link Actor}): a lock handle
 * belongs to the thread that acquired it. A waiter is started only after the one before it is
 * visibly queued ({@link ZkLock#waiters()}), so the queue order is the order of the story.
 */
final class LockStory {
    private final Narrative say;
    private final String connectString;
    private final String lockPath;
    private final String dataPath;
    private final Actor alice;
    private final Actor bob;
    private final Actor carol;

    LockStory(Narrative say, String connectString, String base, Actor alice, Actor bob, Actor carol) {
        this.say = say;
        this.connectString = connectString;
        this.lockPath = base + "/lock";
        this.dataPath = base + "/data";
        this.alice = alice;
        this.bob = bob;
        this.carol = carol;
    }

    void tell() throws Exception {
        carol.session().curator().create().creatingParentsIfNeeded().forPath(dataPath, bytes("x=0"));
        say.detail("The shared resource is the znode %s (now \"x=0\"); the lock is %s.", dataPath, lockPath);
        takeTurns();
        staleHolder();
    }

    private ZkLock lock(Actor who) {
        return new ZkLock(who.session(), lockPath);
    }

    private void takeTurns() throws Exception {
        LockHandle a = alice.run(() -> lock(alice).acquire(), "[alice] to acquire");
        say.step("[alice] acquires the lock: granted at once, fence %s (the czxid of her queue node).", hex(a.fence()));
        CompletableFuture<LockHandle> b = queueUp(bob);
        CompletableFuture<LockHandle> c = queueUp(carol);
        say.step("[bob] and [carol] queue behind her, each waiting on a thread of its own. The queue:");
        showQueue();

        alice.act(() -> write(alice, a, "x=1"), "[alice]'s write");
        say.step("[alice] guarded write %s = \"x=1\": applied (her lock node still exists). She releases.", dataPath);
        alice.act(a::close, "[alice] to release");

        LockHandle bg = Actor.await(b, "[bob] to be granted");
        bob.act(() -> write(bob, bg, "x=2"), "[bob]'s write");
        say.step("[bob] is granted, fence %s > %s. Guarded write \"x=2\": applied. He releases.",
                hex(bg.fence()), hex(a.fence()));
        bob.act(bg::close, "[bob] to release");

        LockHandle cg = Actor.await(c, "[carol] to be granted");
        carol.act(() -> write(carol, cg, "x=3"), "[carol]'s write");
        say.step("[carol] is granted, fence %s > %s. Guarded write \"x=3\": applied. She releases.",
                hex(cg.fence()), hex(bg.fence()));
        carol.act(cg::close, "[carol] to release");

        check(a.fence() < bg.fence() && bg.fence() < cg.fence(), "fences did not increase");
        say.detail("Fences increase with every new holder: %s < %s < %s, in queue order.",
                hex(a.fence()), hex(bg.fence()), hex(cg.fence()));
    }

    /** Starts {@code who}'s acquire on its thread and returns once its node is visibly queued. */
    private CompletableFuture<LockHandle> queueUp(Actor who) throws Exception {
        CompletableFuture<LockHandle> granted = who.start(() -> lock(who).acquire());
        long session = who.session().sessionId();
        Actor.awaitTrue(() -> granted.isDone()
                || lock(alice).waiters().stream().anyMatch(n -> n.sessionId() == session), who.tag() + " to queue");
        if (granted.isDone()) {
            Actor.await(granted, who.tag() + " to queue"); // rethrows its failure, if that is why
            throw new IllegalStateException(who.tag() + " was granted a lock that someone else holds");
        }
        return granted;
    }

    private void showQueue() throws Exception {
        List<RecipeNode> queue = lock(alice).queue();
        String ahead = null;
        for (RecipeNode n : queue) {
            String who = "[" + n.owner().id() + "]";
            say.detail("seq %s  %-7s  fence %s  %s", sequence(n), who, hex(n.fence()),
                    ahead == null ? "holds the lock" : "waits for " + ahead + " (watches only that node)");
            ahead = who;
        }
        check(queue.size() == 3, "expected 3 nodes in the queue, found " + queue.size());
    }

    private void staleHolder() throws Exception {
        say.heading("Act two: the stale holder");
        LockHandle b = bob.run(() -> lock(bob).acquire(), "[bob] to acquire");
        CompletableFuture<LockHandle> c = queueUp(carol);
        say.step("[bob] acquires the lock again (fence %s); [carol] queues behind him.", hex(b.fence()));

        say.step("[bob] stalls (think: a long GC pause) past his %d s session timeout.",
                bob.session().negotiatedSessionTimeout().toSeconds());
        ServerSideExpiry.expire(bob.session(), connectString, Actor.STEP_TIMEOUT);
        say.detail("The ensemble expires his session 0x%x and deletes his lock node while he is paused.",
                b.sessionId());

        LockHandle cg = Actor.await(c, "[carol] to be granted");
        check(cg.fence() > b.fence(), "carol's fence is not larger than bob's");
        carol.act(() -> write(carol, cg, "x=4"), "[carol]'s write");
        say.step("[carol] is granted, fence %s > %s. Guarded write \"x=4\": applied.", hex(cg.fence()), hex(b.fence()));

        Actor.await(b.whenLost(), "[bob]'s lock to report LOST");
        say.step("[bob] resumes. His lock handle reports %s (whenLost() completed).", b.state());

        try {
            bob.act(() -> write(bob, b, "x=5"), "[bob]'s stale write");
            throw new IllegalStateException("[bob]'s stale write was applied");
        } catch (OwnershipLostException refused) {
            say.step("[bob] tries his guarded write \"x=5\" anyway: REJECTED, nothing applied.");
            say.detail("OwnershipLostException: %s", refused.getMessage());
        }
        bob.act(b::close, "[bob] to close his lost handle"); // releases nothing: the grant is gone

        // Read through carol's session: a session reads its own writes, whichever server it is on.
        String value = new String(carol.session().curator().getData().forPath(dataPath), StandardCharsets.UTF_8);
        check(value.equals("x=4"), dataPath + " holds \"" + value + "\", not carol's \"x=4\"");
        say.step("%s still holds \"%s\": [carol]'s value is kept.", dataPath, value);
        say.detail("A resource outside ZooKeeper can do the same with the fence: having seen %s, refuse %s.",
                hex(cg.fence()), hex(b.fence()));
        carol.act(cg::close, "[carol] to release");
        // bob's client replaces the expired session with a new one; later acts need him connected.
        Actor.awaitTrue(() -> bob.session().state().isConnected(), "[bob] to have a new session");
    }

    private void write(Actor who, LockHandle grant, String value) throws Exception {
        grant.guarded(who.session().curator().transactionOp().setData().forPath(dataPath, bytes(value)));
    }

    static String sequence(RecipeNode n) {
        return n.path().substring(n.path().lastIndexOf('_') + 1);
    }

    static void check(boolean fact, String otherwise) {
        if (!fact) {
            throw new IllegalStateException(otherwise);
        }
    }

    static String hex(long zxid) {
        return "0x" + Long.toHexString(zxid);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
