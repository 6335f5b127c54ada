package io.github.zkrecipes.election;

import io.github.zkrecipes.Participant;
import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.Registration;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.queue.NodeKind;
import io.github.zkrecipes.internal.queue.SequentialQueue;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A leader election among every client of the ensemble that joins the same directory: at most
 * one leader at a time, with an epoch per term, readable and observable by anyone.
 *
 * <pre>{@code
 * ZkElection election = new ZkElection(session, "/elections/compactor");
 * try (Candidacy me = election.join()) {            // latch style
 *     Leadership term = me.awaitLeadership();
 *     term.guarded(session.curator().transactionOp().setData().forPath("/compactor/owner", id));
 * }
 * try (ElectedTask t = election.task(ctx -> compactUntil(ctx::isCancelled)).start()) { ... } // callback style
 * election.leader().ifPresent(l -> log.info("leader {} epoch {}", l.participant().id(), l.epoch()));
 * try (Registration r = election.observe(leader -> ...)) { ... }     // every change, in order
 * }</pre>
 *
 * <h2>How it works</h2>
 * Each candidate holds one ephemeral-sequential node in the directory (kind {@code candidate});
 * the first node in sequence order leads, and each other candidate watches only the node just
 * ahead of it. This is the shared queue of zk-recipes with the exclusive rule, the same mechanism
 * as the fair lock. A term is one node's time at the head; its epoch is the node's {@code czxid},
 * which only grows: every later term of the election has a larger epoch, also after the directory
 * was deleted and re-created.
 *
 * <h2>Cost in ZooKeeper round trips</h2>
 * Join uncontended: 1 (create and list, pipelined); waiting: +1 watch; handover when the leader
 * leaves: 0 for the next candidate if the leader was just ahead of it when it last listed, else
 * 1 listing; resign: 1 delete + 1 join. {@link #leader()}: 2 (list, then
 * read the head). {@link #candidates()}: about 2 (list, then every node's data pipelined). {@link
 * #observe}: one watch, on the leader's node (or on the directory while there is no leader); each
 * change costs about 4 (list and read the new leader, then list and watch it).
 *
 * <h2>Threads</h2>
 * An immutable descriptor (session, path): thread-safe, no I/O in the constructor. Each {@link
 * Candidacy} and {@link ElectedTask} has its own election thread; each observation has its own
 * thread.
 *
 * <h2>Not provided</h2>
 * Balancing: no candidate priorities and no limit on how many elections one process leads at
 * once; order is arrival order only. Build it on top by resigning.
 */
public final class ZkElection {
    private final ZkSession session;
    private final SequentialQueue queue;

    /**
     * An election in the directory {@code path} (created as a container on first join).
     *
     * @throws IllegalArgumentException naming the path if it is not a valid znode path
     */
    public ZkElection(ZkSession session, String path) {
        this.session = Objects.requireNonNull(session, "session");
        this.queue = new SequentialQueue(session, path);
    }

    /** The election's directory. */
    public String path() {
        return queue.path();
    }

    public ZkSession session() {
        return session;
    }

    /** A new candidacy, not started: add listeners, then {@link Candidacy#start()}. */
    public Candidacy candidacy() {
        return new Candidacy(this, queue);
    }

    /** A new candidacy, started: it joins the election at once (in the background). */
    public Candidacy join() {
        return candidacy().start();
    }

    /** Starts configuring a callback-style participant that runs {@code task} while leading. */
    public ElectedTask.Builder task(LeaderTask task) {
        return new ElectedTask.Builder(this, task);
    }

    /**
     * The current leader as the ensemble's server this session talks to sees it (2 round trips),
     * or empty if nobody leads. A read: it may lag the ensemble's latest write.
     */
    public Optional<Leader> leader() throws InterruptedException {
        return queue.awaitHead(null).map(this::toLeader);
    }

    /** Every candidate, leader first, then in the order they will lead (about 2 round trips). */
    public List<RecipeNode> candidates() throws InterruptedException {
        return queue.recipeNodes().stream().filter(n -> n.kind().equals(NodeKind.CANDIDATE.segment())).toList();
    }

    /**
     * Tells {@code listener} the current leader (empty for none), then every change of leader, in
     * order, on a thread of its own, until the registration is closed. Participant or not.
     *
     * <p>Changes are delivered in epoch order, never backwards, never the same leader twice in a
     * row. A term shorter than the observer's reaction (about 2 round trips) may be skipped: a
     * watch shows that the leader changed, not every step in between. Connection trouble is ridden
     * through; changes missed while disconnected are reported after reconnecting, in one step.
     * Closing the registration removes the observer's watch (its thread stops within a bounded
     * time). A listener that throws is logged.
     */
    public Registration observe(Consumer<Optional<Leader>> listener) {
        return LeaderWatch.start(this, queue, Objects.requireNonNull(listener, "listener"));
    }

    Leader toLeader(SequentialQueue.NodeInfo head) {
        return new Leader(Participant.decode(head.data()), head.stat().getCzxid(), head.stat().getEphemeralOwner(),
                path() + "/" + head.node().name(), Instant.ofEpochMilli(head.stat().getCtime()));
    }

    @Override
    public String toString() {
        return "ZkElection[" + path() + "]";
    }
}
