package io.github.zkrecipes.samples;

import static io.github.zkrecipes.samples.LockStory.bytes;
import static io.github.zkrecipes.samples.LockStory.check;
import static io.github.zkrecipes.samples.LockStory.hex;

import io.github.zkrecipes.OwnershipLostException;
import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.election.Candidacy;
import io.github.zkrecipes.election.Leadership;
import io.github.zkrecipes.election.ZkElection;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The demo's election act: three candidates in arrival order; the leader's session is expired on
 * the ensemble (as after a long pause), the next candidate leads with a larger epoch, the deposed
 * leader's guarded write is rejected, and its candidacy joins again at the tail in its new session.
 * Candidacies are not bound to a thread, so the narrator drives them; every fact printed is checked.
 */
final class ElectionAct {
    private final Narrative say;
    private final String connectString;
    private final String path;
    private final String ownerPath;
    private final Actor alice;
    private final Actor bob;
    private final Actor carol;

    ElectionAct(Narrative say, String connectString, String base, Actor alice, Actor bob, Actor carol) {
        this.say = say;
        this.connectString = connectString;
        this.path = base + "/election";
        this.ownerPath = base + "/leader-says";
        this.alice = alice;
        this.bob = bob;
        this.carol = carol;
    }

    private ZkElection election(Actor who) {
        return new ZkElection(who.session(), path);
    }

    void tell() throws Exception {
        alice.session().curator().create().creatingParentsIfNeeded().forPath(ownerPath, bytes("nobody"));
        Candidacy a = election(alice).join();
        Candidacy b = null;
        Candidacy c = null;
        try {
            Leadership first = a.awaitLeadership(Actor.STEP_TIMEOUT).orElseThrow(
                    () -> new IllegalStateException("[alice] did not lead an empty election"));
            b = joinBehind(bob, 2);
            c = joinBehind(carol, 3);
            first.guarded(alice.session().curator().transactionOp().setData().forPath(ownerPath, bytes("alice")));
            say.step("[alice], [bob] and [carol] join the election %s in that order. [alice] LEADS, epoch %s, "
                    + "and writes \"alice\" to %s (guarded by her term).", path, hex(first.epoch()), ownerPath);
            showCandidates();

            say.step("[alice] stalls past her session timeout; the ensemble expires her session 0x%x.",
                    alice.session().sessionId());
            ServerSideExpiry.expire(alice.session(), connectString, Actor.STEP_TIMEOUT);
            Leadership second = b.awaitLeadership(Actor.STEP_TIMEOUT).orElseThrow(
                    () -> new IllegalStateException("[bob] did not take over"));
            check(second.epoch() > first.epoch(), "bob's epoch is not larger than alice's");
            check(!c.isLeader(), "carol leads too");
            second.guarded(bob.session().curator().transactionOp().setData().forPath(ownerPath, bytes("bob")));
            say.step("[bob], next in line, takes over: LEADING, epoch %s > %s. He writes \"bob\" (guarded): applied.",
                    hex(second.epoch()), hex(first.epoch()));

            Actor.await(first.whenLost(), "[alice]'s term to report LOST");
            try {
                first.guarded(alice.session().curator().transactionOp().setData().forPath(ownerPath, bytes("alice")));
                throw new IllegalStateException("[alice]'s write as a deposed leader was applied");
            } catch (OwnershipLostException refused) {
                say.step("[alice] resumes; her term reports %s. Her guarded write of epoch %s: REJECTED.",
                        first.state(), hex(first.epoch()));
            }
            String value = new String(bob.session().curator().getData().forPath(ownerPath), StandardCharsets.UTF_8);
            check(value.equals("bob"), ownerPath + " holds \"" + value + "\", not bob's");
            Actor.awaitTrue(() -> alice.session().state().isConnected(), "[alice] to have a new session");
            Actor.awaitTrue(() -> election(carol).candidates().size() == 3, "[alice] to join again");
            say.step("%s still says \"%s\". [alice]'s candidacy joins again in her new session, at the tail:", ownerPath,
                    value);
            List<RecipeNode> now = showCandidates();
            check(now.get(0).owner().id().equals("bob") && now.get(2).owner().id().equals("alice"),
                    "expected bob leading and alice last");
        } finally {
            for (Candidacy x : new Candidacy[] {c, b, a}) {
                if (x != null) {
                    x.close();
                }
            }
        }
    }

    /** Joins {@code who} and returns once the election shows {@code n} candidates (so the order is the story's). */
    private Candidacy joinBehind(Actor who, int n) throws Exception {
        Candidacy me = election(who).join();
        Actor.awaitTrue(() -> election(who).candidates().size() == n, who.tag() + " to join");
        check(!me.isLeader(), who.tag() + " leads while another does");
        return me;
    }

    private List<RecipeNode> showCandidates() throws Exception {
        List<RecipeNode> all = election(carol).candidates();
        for (int i = 0; i < all.size(); i++) {
            RecipeNode n = all.get(i);
            say.detail("%-7s  %s", "[" + n.owner().id() + "]", i == 0 ? "leads, epoch " + hex(n.fence())
                    : "candidate, watches only [" + all.get(i - 1).owner().id() + "]");
        }
        return all;
    }
}
