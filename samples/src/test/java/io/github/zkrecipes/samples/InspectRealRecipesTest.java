package io.github.zkrecipes.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.election.Candidacy;
import io.github.zkrecipes.election.Leadership;
import io.github.zkrecipes.election.ZkElection;
import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
import io.github.zkrecipes.groups.GroupConfig;
import io.github.zkrecipes.groups.Membership;
import io.github.zkrecipes.groups.Versioned;
import io.github.zkrecipes.groups.ZkDoubleBarrier;
import io.github.zkrecipes.groups.ZkGroup;
import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@code zkr inspect} on an election, a double barrier and a group made by the recipes themselves
 * (not hand-made nodes): what they write into their nodes is what inspect reads.
 */
class InspectRealRecipesTest {

    @Test
    void electionsBarriersAndGroupsMadeByTheRecipesAreShownWithTheirParticipants() throws Exception {
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start();
             ZkSession alice = session(zk, "alice");
             ZkSession bob = session(zk, "bob");
             ZkSession carol = session(zk, "carol")) {
            Candidacy a = new ZkElection(alice, "/real/election").join();
            Leadership term = a.awaitLeadership(Duration.ofSeconds(10)).orElseThrow();
            Candidacy b = new ZkElection(bob, "/real/election").join();
            Await.until("bob to be a candidate", () -> read(() -> new ZkElection(bob, "/real/election").candidates())
                    .size() == 2);

            ZkDoubleBarrier barrier = new ZkDoubleBarrier(carol, "/real/barrier", 3);
            CompletableFuture<Boolean> entered = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    entered.complete(barrier.enter(Duration.ofMinutes(1)));
                } catch (Throwable e) {
                    entered.completeExceptionally(e); // carol's session is closed at the end
                }
            });
            t.setDaemon(true);
            t.start();
            Await.until("carol to wait in the barrier", () -> read(barrier::participants).size() == 1);

            Membership am = new ZkGroup(alice, "/real/group").join("alice", "role=indexer");
            Membership bm = new ZkGroup(bob, "/real/group").join("bob", "plain text");
            GroupConfig.strings(alice, "/real/group-config").compareAndSet(Versioned.ABSENT, "batch=64");

            Run run = Run.zkr("inspect", "/real", "--connect", zk.connectString());
            assertEquals(0, run.exitCode(), run.both());
            String out = run.out();
            assertTrue(out.contains("/real/election: election, leader [alice], epoch 0x" + Long.toHexString(term.epoch())
                    + ", 2 candidates"), run.both());
            assertTrue(line(out, "  leader ", "[alice]").contains("0x" + Long.toHexString(alice.sessionId())), run.both());
            assertTrue(line(out, "  candidate ", "[bob]").contains("0x" + Long.toHexString(bob.sessionId())), run.both());
            assertTrue(out.contains("/real/barrier: barrier, 1 entered"), run.both());
            assertTrue(line(out, "  entered ", "[carol]").contains("barrier_"), run.both());
            assertTrue(out.contains("/real/group: group, 2 members"), run.both());
            assertTrue(line(out, "  member ", "[alice]").contains("role=indexer"), run.both());
            assertTrue(line(out, "  member ", "[bob]").contains("plain text"), run.both());
            assertTrue(!out.contains("records no participant identity"), run.both());
            assertTrue(!out.contains("[?]"), run.both());

            Run json = Run.zkr("inspect", "/real", "--json", "--connect", zk.connectString());
            assertEquals(0, json.exitCode(), json.both());
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> recipes = (List<Map<String, Object>>) ((Map<String, Object>) MiniJson.parse(json.out()))
                    .get("recipes");
            Map<String, Object> election = recipes.stream().filter(r -> r.get("path").equals("/real/election"))
                    .findFirst().orElseThrow();
            assertEquals("alice", election.get("leader"), json.both());
            assertEquals(term.epoch(), ((Number) election.get("epoch")).longValue(), json.both());

            b.close();
            a.close();
            am.close();
            bm.close();
            carol.close();
            Await.failure("carol's enter to end with her session", entered);
        }
    }

    private static <T> T read(Read<T> r) {
        try {
            return r.get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @FunctionalInterface
    private interface Read<T> {
        T get() throws Exception;
    }

    private static String line(String text, String... containing) {
        return text.lines().filter(l -> java.util.Arrays.stream(containing).allMatch(l::contains)).findFirst()
                .orElseThrow(() -> new AssertionError("no line with " + List.of(containing) + " in:\n" + text));
    }

    private static ZkSession session(EmbeddedZooKeeper zk, String id) {
        return ZkSession.builder(zk.connectString()).participantId(id).connect();
    }
}
