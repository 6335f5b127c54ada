package io.github.zkrecipes.samples;

import static io.github.zkrecipes.samples.LockStory.check;

import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.groups.ZkDoubleBarrier;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * The demo's double-barrier act: three participants; the first two wait at the entry, visibly,
 * until the third arrives, then all pass together; leaving, the first waits at the exit until the
 * other two are out. "Still waiting" is printed only after a read of the server shows the waiter
 * in place (its node in the barrier), and its call has not returned.
 */
final class BarrierAct {
    private static final int PARTIES = 3;

    private final Narrative say;
    private final String path;
    private final Actor alice;
    private final Actor bob;
    private final Actor carol;

    BarrierAct(Narrative say, String base, Actor alice, Actor bob, Actor carol) {
        this.say = say;
        this.path = base + "/barrier";
        this.alice = alice;
        this.bob = bob;
        this.carol = carol;
    }

    void tell() throws Exception {
        // One instance per participant, used on its own thread: a barrier object remembers its round.
        ZkDoubleBarrier a = new ZkDoubleBarrier(alice.session(), path, PARTIES);
        ZkDoubleBarrier b = new ZkDoubleBarrier(bob.session(), path, PARTIES);
        ZkDoubleBarrier c = new ZkDoubleBarrier(carol.session(), path, PARTIES);
        long t0 = System.nanoTime();

        CompletableFuture<Boolean> ae = alice.start(() -> a.enter(Actor.STEP_TIMEOUT));
        awaitIn(a, 1);
        say.step("[alice] enters the barrier %s (%d parties) at +%s: 1 of %d in, she waits.", path, PARTIES, ms(t0),
                PARTIES);
        CompletableFuture<Boolean> be = bob.start(() -> b.enter(Actor.STEP_TIMEOUT));
        awaitIn(a, 2);
        check(!ae.isDone() && !be.isDone(), "someone passed the entry with 2 of 3 in");
        say.step("[bob] enters at +%s: 2 of %d in (%s); nobody has passed: both still wait.", ms(t0), PARTIES,
                names(a.participants()));

        CompletableFuture<Boolean> ce = carol.start(() -> c.enter(Actor.STEP_TIMEOUT));
        check(Actor.await(ae, "[alice] to pass the entry") && Actor.await(be, "[bob] to pass the entry")
                && Actor.await(ce, "[carol] to pass the entry"), "an enter timed out");
        say.step("[carol] enters at +%s: 3 of %d. The round's marker is written once and all three pass together "
                + "(round %d).", ms(t0), PARTIES, c.round());

        CompletableFuture<Boolean> al = alice.start(() -> a.leave(Actor.STEP_TIMEOUT));
        Actor.awaitTrue(() -> al.isDone() || a.participants().size() == 2, "[alice]'s node to go");
        check(!al.isDone(), "[alice] passed the exit with two still inside");
        say.step("[alice] finishes first and leaves at +%s: her node is gone, she waits at the exit for %s.", ms(t0),
                names(a.participants()));
        CompletableFuture<Boolean> bl = bob.start(() -> b.leave(Actor.STEP_TIMEOUT));
        CompletableFuture<Boolean> cl = carol.start(() -> c.leave(Actor.STEP_TIMEOUT));
        check(Actor.await(al, "[alice] to pass the exit") && Actor.await(bl, "[bob] to pass the exit")
                && Actor.await(cl, "[carol] to pass the exit"), "a leave timed out");
        say.step("[bob] and [carol] leave; at +%s all three are out. Nobody passed the entry or the exit early.", ms(t0));
    }

    private static void awaitIn(ZkDoubleBarrier b, int n) throws Exception {
        Actor.awaitTrue(() -> b.participants().size() == n, n + " in the barrier");
    }

    private static String names(List<RecipeNode> nodes) {
        return nodes.stream().map(n -> "[" + n.owner().id() + "]").collect(Collectors.joining(" and "));
    }

    private static String ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000 + " ms";
    }
}
