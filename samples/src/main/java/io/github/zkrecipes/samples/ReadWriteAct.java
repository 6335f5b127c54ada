package io.github.zkrecipes.samples;

import static io.github.zkrecipes.samples.LockStory.check;
import static io.github.zkrecipes.samples.LockStory.hex;

import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.locks.LockHandle;
import io.github.zkrecipes.locks.ZkReadWriteLock;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The demo's read-write lock act: two readers share the lock, a writer waits for both, and a
 * reader arriving after the waiting writer waits behind it (no writer starvation).
 */
final class ReadWriteAct {
    private final Narrative say;
    private final String path;
    private final Actor alice;
    private final Actor bob;
    private final Actor carol;

    ReadWriteAct(Narrative say, String base, Actor alice, Actor bob, Actor carol) {
        this.say = say;
        this.path = base + "/rwlock";
        this.alice = alice;
        this.bob = bob;
        this.carol = carol;
    }

    private ZkReadWriteLock rw(Actor who) {
        return new ZkReadWriteLock(who.session(), path);
    }

    void tell() throws Exception {
        LockHandle ar = alice.run(() -> rw(alice).acquireRead(), "[alice]'s read lock");
        LockHandle br = bob.run(() -> rw(bob).acquireRead(), "[bob]'s read lock");
        check(rw(alice).holders().size() == 2, "two readers should hold " + path);
        say.step("[alice] and [bob] take the read lock of %s: both granted at once, they share it.", path);

        CompletableFuture<LockHandle> cw = queueUp(carol, () -> rw(carol).acquireWrite());
        say.step("[carol] asks for the write lock: she waits for both readers.");

        bob.act(br::close, "[bob] to release");
        CompletableFuture<LockHandle> br2 = queueUp(bob, () -> rw(bob).acquireRead());
        check(!cw.isDone(), "[carol] was granted the write lock while [alice] reads");
        say.step("[bob] releases and asks to read again: he now waits behind [carol], so readers cannot starve a writer.");

        alice.act(ar::close, "[alice] to release");
        LockHandle cg = Actor.await(cw, "[carol]'s write lock");
        check(!br2.isDone(), "[bob] was granted the read lock while [carol] writes");
        say.step("[alice] releases; [carol] is granted the write lock alone, fence %s.", hex(cg.fence()));

        carol.act(cg::close, "[carol] to release");
        LockHandle bg = Actor.await(br2, "[bob]'s read lock");
        check(bg.fence() > cg.fence(), "bob's fence is not larger than carol's");
        say.step("[carol] releases; [bob] reads, fence %s > %s.", hex(bg.fence()), hex(cg.fence()));
        bob.act(bg::close, "[bob] to release");
    }

    /** Starts {@code acquire} on {@code who}'s thread; returns once its node is visibly queued. */
    private CompletableFuture<LockHandle> queueUp(Actor who, java.util.concurrent.Callable<LockHandle> acquire)
            throws Exception {
        CompletableFuture<LockHandle> granted = who.start(acquire);
        long session = who.session().sessionId();
        Actor.awaitTrue(() -> granted.isDone() || waiting(rw(alice).queue()).stream()
                .anyMatch(n -> n.sessionId() == session), who.tag() + " to queue");
        check(!granted.isDone(), who.tag() + " was granted at once; it should wait");
        return granted;
    }

    /** The waiters of a read-write lock's queue: everyone after the leading readers, or after the first writer. */
    static List<RecipeNode> waiting(List<RecipeNode> queue) {
        if (queue.isEmpty()) {
            return queue;
        }
        if (!queue.get(0).kind().equals("read")) {
            return queue.subList(1, queue.size());
        }
        int held = 0;
        while (held < queue.size() && queue.get(held).kind().equals("read")) {
            held++;
        }
        return queue.subList(held, queue.size());
    }
}
