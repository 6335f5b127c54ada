package io.github.zkrecipes.samples;

import static io.github.zkrecipes.samples.LockStory.check;
import static io.github.zkrecipes.samples.LockStory.hex;

import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.locks.Lease;
import io.github.zkrecipes.locks.ZkSemaphore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * The demo's semaphore act: three participants, two permits. Two leases are granted at once, the
 * third participant waits until one is returned, and every lease carries a fence. The permit
 * count lives with the semaphore (its directory's data, {@code permits=2}).
 */
final class SemaphoreAct {
    private static final int PERMITS = 2;

    private final Narrative say;
    private final String path;
    private final Actor alice;
    private final Actor bob;
    private final Actor carol;

    SemaphoreAct(Narrative say, String base, Actor alice, Actor bob, Actor carol) {
        this.say = say;
        this.path = base + "/semaphore";
        this.alice = alice;
        this.bob = bob;
        this.carol = carol;
    }

    private ZkSemaphore semaphore(Actor who) {
        return new ZkSemaphore(who.session(), path, PERMITS);
    }

    void tell() throws Exception {
        Lease a = alice.run(() -> semaphore(alice).acquire(), "[alice]'s lease");
        Lease b = bob.run(() -> semaphore(bob).acquire(), "[bob]'s lease");
        say.step("[alice] and [bob] each take a permit of %s (%d permits): granted at once, fences %s and %s.",
                path, PERMITS, hex(a.fence()), hex(b.fence()));

        long carolSession = carol.session().sessionId();
        CompletableFuture<Lease> c = carol.start(() -> semaphore(carol).acquire());
        Actor.awaitTrue(() -> c.isDone()
                || semaphore(alice).waiters().stream().anyMatch(n -> n.sessionId() == carolSession), "[carol] to queue");
        check(!c.isDone(), "[carol] was granted a third permit of " + PERMITS);
        List<RecipeNode> holders = semaphore(alice).holders();
        check(holders.size() == PERMITS, "expected " + PERMITS + " holders, found " + holders.size());
        say.step("[carol] asks for one too and waits: the holders are %s, the permits are all taken.",
                holders.stream().map(n -> "[" + n.owner().id() + "]").collect(Collectors.joining(" and ")));

        a.close();
        Lease cg = Actor.await(c, "[carol]'s lease");
        check(cg.fence() > a.fence() && cg.fence() > b.fence(), "carol's fence is not the largest");
        say.step("[alice] returns her permit; [carol] is granted at once, fence %s > %s.", hex(cg.fence()), hex(b.fence()));
        b.close();
        cg.close();
        say.detail("At most %d holders at any time: [carol] got hers only when [alice]'s came back.", PERMITS);
    }
}
