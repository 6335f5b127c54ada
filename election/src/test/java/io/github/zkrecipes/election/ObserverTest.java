package io.github.zkrecipes.election;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.Registration;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

@ZkTest
class ObserverTest {
    static final String PATH = "/elections/index-writer";

    @Test
    void aNonParticipantReadsTheLeaderAndTheCandidatesInOrder(ZkTestContext zk) throws Exception {
        ZkElection view = new ZkElection(zk.session(), PATH);
        assertEquals(Optional.empty(), view.leader());
        assertEquals(List.of(), view.candidates());
        ZkSession alice = zk.session(b -> b.participantId("alice"));
        ZkSession bob = zk.session(b -> b.participantId("bob"));
        try (Candidacy a = new ZkElection(alice, PATH).join()) {
            Leadership term = a.awaitLeadership();
            try (Candidacy b = new ZkElection(bob, PATH).join()) {
                Await.until("bob to queue", () -> candidateCount(view) == 2);
                Leader leader = view.leader().orElseThrow();
                assertEquals("alice", leader.participant().id());
                assertEquals(term.epoch(), leader.epoch());
                assertEquals(alice.sessionId(), leader.sessionId());
                assertEquals(term.path(), leader.path());
                List<RecipeNode> cs = view.candidates();
                assertEquals(List.of("alice", "bob"), cs.stream().map(n -> n.owner().id()).toList());
                assertEquals("candidate", cs.get(0).kind());
            }
        }
        assertEquals(Optional.empty(), view.leader());
    }

    @Test
    void anObserverSeesEveryChangeOfLeaderInOrderWithIncreasingEpochs(ZkTestContext zk) throws Exception {
        ZkElection view = new ZkElection(zk.session(), PATH);
        List<Optional<Leader>> seen = new CopyOnWriteArrayList<>();
        List<Candidacy> candidates = new ArrayList<>();
        try (Registration r = view.observe(seen::add)) {
            Await.until("the first report (no leader, no directory yet)", () -> seen.size() == 1);
            assertEquals(Optional.empty(), seen.get(0));
            for (int i = 0; i < 4; i++) {
                String id = "c" + i;
                candidates.add(new ZkElection(zk.session(b -> b.participantId(id)), PATH).join());
                int n = i + 1;
                Await.until(n + " candidates", () -> candidateCount(view) == n);
            }
            // Each leader leaves once the observer has seen it (a positive witness), so each term is observable.
            for (int i = 0; i < 4; i++) {
                Candidacy c = candidates.get(i);
                Leadership term = c.awaitLeadership();
                String id = "c" + i;
                Await.until("the observer to see " + id, () -> last(seen).map(l -> l.participant().id().equals(id)).orElse(false));
                assertEquals(term.epoch(), last(seen).orElseThrow().epoch());
                c.close();
            }
            Await.until("the observer to see no leader", () -> seen.size() == 6);
            assertEquals(Optional.empty(), seen.get(5));
            List<String> ids = seen.subList(1, 5).stream().map(l -> l.orElseThrow().participant().id()).toList();
            assertEquals(List.of("c0", "c1", "c2", "c3"), ids);
            for (int i = 2; i < 5; i++) {
                assertTrue(seen.get(i).orElseThrow().epoch() > seen.get(i - 1).orElseThrow().epoch(), seen.toString());
            }
            // The observer holds one watch, whatever the number of candidates.
            Await.until("one watch (the observer's, on the directory)", () -> zk.serverWatchCount() == 1);
        } finally {
            candidates.forEach(Candidacy::close);
        }
    }

    @Test
    void anObserverAmongCandidatesOfTheSameSessionLeavesTheirWatchesAlone(ZkTestContext zk) throws Exception {
        ZkSession shared = zk.session();
        ZkElection election = new ZkElection(shared, PATH);
        try (Candidacy first = election.join()) {
            first.awaitLeadership();
            try (Candidacy second = election.join()) {
                Await.until("second to queue", () -> candidateCount(election) == 2);
                List<Optional<Leader>> seen = new CopyOnWriteArrayList<>();
                Registration r = election.observe(seen::add);
                Await.until("the observer to see the leader", () -> seen.size() == 1);
                r.close(); // removes its watch on the leader's node, which the second candidate shares
                first.close();
                second.awaitLeadership(); // still woken: its watch was not taken away
            }
        }
    }

    static Optional<Leader> last(List<Optional<Leader>> seen) {
        return seen.isEmpty() ? Optional.empty() : seen.get(seen.size() - 1);
    }

    static int candidateCount(ZkElection e) {
        try {
            return e.candidates().size();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
