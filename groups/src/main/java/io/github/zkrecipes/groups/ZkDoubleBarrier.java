package io.github.zkrecipes.groups;

import io.github.zkrecipes.Participant;
import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.Registration;
import io.github.zkrecipes.SessionLostException;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.Validation;
import io.github.zkrecipes.internal.queue.Connections;
import io.github.zkrecipes.internal.queue.Deadline;
import io.github.zkrecipes.internal.queue.NodeKind;
import io.github.zkrecipes.internal.queue.QueueEntry;
import io.github.zkrecipes.internal.queue.QueueNode;
import io.github.zkrecipes.internal.queue.Reply;
import io.github.zkrecipes.internal.queue.SequentialQueue;
import io.github.zkrecipes.internal.queue.ZkOps;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.ZooKeeper;

/**
 * A double barrier: N participants start a phase together ({@link #enter}) and finish it together
 * ({@link #leave}), for any number of rounds.
 *
 * <pre>{@code
 * ZkDoubleBarrier phase = new ZkDoubleBarrier(session, "/barriers/phase", 5);
 * if (phase.enter(Duration.ofSeconds(30))) {      // all 5 are in
 *     compute();
 *     phase.leave(Duration.ofSeconds(30));        // all 5 are out
 * }
 * }</pre>
 *
 * <h2>How a round works</h2>
 * Each entrant creates one ephemeral-sequential node through the shared queue engine. The
 * directory's data holds the <b>round marker</b> {@code round=k last=S}: round k is made of the
 * nodes with sequence numbers up to S. Nodes above the marker are candidates for the next round,
 * in sequence order; the first N of them are in it. The entrant that sees N candidates (the N-th
 * to arrive) writes the next marker with a compare-and-set on the directory's data version; that
 * one write wakes every waiting entrant (each watches the directory's data: one watch each, no
 * child watches, so an arrival wakes nobody). An entrant returns {@code true} only when it reads
 * a marker that covers its own node: a wakeup, a touch of the data, a reconnection is never a
 * pass by itself.
 *
 * <p>Leaving deletes one's node, then waits until no node of the round (sequence up to S) is
 * left. Round k+1's entrants can never be counted in round k, nor round k's stragglers in round
 * k+1: the marker separates them by sequence number. While nodes of a completed round still
 * exist, a new entrant is refused with {@link BarrierFullException}, as is the (N+1)-th candidate
 * of a round. An entrant that gives up (deadline, refusal) deletes its node in one {@code multi}
 * with a version bump of the directory's data, so a concurrent marker write that counted it fails
 * and is retried on a fresh listing: a round never passes with a participant that gave up. (If
 * the connection drops during that {@code multi}, the node is deleted in the background and this
 * atomicity is lost for that one participant.)
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>{@code enter} returns true only after N participants' nodes existed together and were
 *       counted by the marker's compare-and-set; {@code leave} returns true only once every node
 *       of the round is gone. A timed call returns false only at its deadline (after one last
 *       look), and a failed {@code enter} leaves no node behind.
 *   <li>A participant whose session dies loses its node: an incomplete round then never
 *       completes, and the survivors' timed {@code enter} returns false at their deadline; in
 *       {@code leave} a dead participant counts as having left.
 *   <li>After a round has left, nothing of it remains: the directory is a container the server
 *       reaps when empty (its marker with it; sequence numbers restart, and so do round numbers).
 * </ul>
 *
 * <h2>Cost in ZooKeeper round trips</h2>
 * <ul>
 *   <li>enter: 1 (create, the directory's data and a listing, pipelined, by the queue engine),
 *       then for the N-th arrival +1 (an {@code exists} of each other party's node, pipelined: a
 *       node made by hand is no party) +1 compare-and-set; for the others +1 (the directory's data
 *       with a watch, then a listing, pipelined) +1 re-read after the one wakeup by the marker. No
 *       arrival wakes a waiter; the round's completion wakes each waiter exactly once.
 *   <li>leave: 1 (delete and listing, pipelined) if the others have left; otherwise +1 to watch every
 *       node of the round still there (pipelined), and no more: their deletions are counted, and
 *       the last one is the answer. Each departure wakes the participants still waiting.
 *   <li>giving up (deadline, refusal): 1 {@code multi}.
 * </ul>
 *
 * <h2>What it does not guarantee</h2>
 * {@code enter} returning true means N nodes existed together and were counted, not that all N
 * participants are still alive: one that dies after being counted is in the round, and leaves it
 * by dying. The wait loop is in this class rather than in the queue engine because a barrier's
 * condition depends on the nodes <em>behind</em> an entrant and on the directory's version, which
 * the engine's {@code WaitRule} (nodes ahead only) does not see; nodes are still created and
 * removed only by the engine.
 *
 * <h2>Connection states</h2>
 * Waiting rides through a suspended connection until the deadline; session loss during {@code
 * enter} throws {@link SessionLostException} (the node is gone); during {@code leave} the wait
 * continues in the new session (the node is gone anyway).
 *
 * <h2>Threads</h2>
 * One instance is one participant: it remembers the round it entered, so use it from one thread
 * at a time (calls are serialized). Use one instance per participant.
 */
public final class ZkDoubleBarrier {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ZkDoubleBarrier.class);
    private final ZkSession session;
    private final SequentialQueue queue;
    private final String serverPath;
    private final int parties;
    // The round this participant is in, between enter and leave; guarded by this.
    private QueueEntry entry;
    private BarrierMarker marker;
    /** Names of nodes found not to be parties (persistent: made by hand); never counted again. */
    private final java.util.Set<String> foreign = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private long lastRound;

    /**
     * @throws IllegalArgumentException naming the value if {@code parties} is below 1 or the path
     *     is invalid
     */
    public ZkDoubleBarrier(ZkSession session, String path, int parties) {
        this.session = Objects.requireNonNull(session, "session");
        this.queue = new SequentialQueue(session, path);
        this.serverPath = session.serverPath(path);
        if (parties < 1) {
            throw new IllegalArgumentException("a barrier needs at least 1 participant, was " + parties + " for " + path);
        }
        this.parties = parties;
    }

    public String path() {
        return queue.path();
    }

    /** N. */
    public int parties() {
        return parties;
    }

    /** The number of the round this participant last entered (1 for the first round of a fresh barrier). */
    public synchronized long round() {
        return lastRound;
    }

    /** Enters, waiting as long as it takes for N participants. */
    public void enter() throws InterruptedException {
        enter(Deadline.none());
    }

    /**
     * Enters, waiting up to {@code timeout} for N participants (zero or negative: only if this
     * entrant completes the round).
     *
     * @return true once N are in; false at the deadline (this participant's node is removed)
     * @throws BarrierFullException if the current round already has N participants
     * @throws IllegalStateException if this participant entered and has not left
     * @throws SessionLostException if the session ended while waiting
     */
    public boolean enter(Duration timeout) throws InterruptedException {
        return enter(Deadline.after(Validation.timeout(timeout)));
    }

    private synchronized boolean enter(Deadline deadline) throws InterruptedException {
        if (entry != null) {
            throw new IllegalStateException("already entered round " + lastRound + " of " + path() + "; leave first");
        }
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted before entering " + path());
        }
        session.ensureOpen();
        QueueEntry e = queue.enterReadingDirectory(NodeKind.BARRIER, 1, Participant.current(session).encode(), deadline);
        if (e == null) {
            return false;
        }
        boolean settled = false; // passed, or the node was removed by a give-up
        try {
            BarrierMarker m = awaitRound(e, deadline);
            settled = true;
            if (m == null) {
                return false;
            }
            entry = e;
            marker = m;
            lastRound = m.round();
            return true;
        } finally {
            if (!settled) {
                queue.remove(e);
            }
        }
    }

    /** The marker of the round {@code e} is in, or null if it gave up at the deadline (node removed). */
    /**
     * Adds to {@link #foreign} every node of {@code nodes} that is not an ephemeral node (made by
     * hand, or left persistent by someone): one pipelined round trip of {@code exists}.
     *
     * @return true if one was found (or a node vanished): the caller counts again
     */
    private boolean excludeForeign(ZooKeeper zk, List<QueueNode> nodes, Deadline replies) throws InterruptedException {
        List<java.util.concurrent.CompletableFuture<Reply<org.apache.zookeeper.data.Stat>>> stats = new ArrayList<>();
        for (QueueNode n : nodes) {
            stats.add(ZkOps.exists(zk, serverPath + "/" + n.name()));
        }
        boolean changed = false;
        for (int i = 0; i < nodes.size(); i++) {
            Reply<org.apache.zookeeper.data.Stat> r = Reply.await(stats.get(i), replies);
            if (r == null || !r.ok()) {
                changed = true; // no answer: count again on a fresh listing
            } else if (r.value() == null) {
                changed = true; // gone since the listing
            } else if (r.value().getEphemeralOwner() == 0) {
                LOG.warn("ignoring {}/{}: a persistent node with a barrier node's name is not a party", path(),
                        nodes.get(i).name());
                foreign.add(nodes.get(i).name());
                changed = true;
            }
        }
        return changed;
    }

    private BarrierMarker awaitRound(QueueEntry e, Deadline deadline) throws InterruptedException {
        Signals signals = new Signals(e.sessionId());
        Registration registration = session.addStateListener(signals);
        try {
            boolean lastLook = false;
            boolean maybeRemoved = false; // a give-up's reply was lost: it may have been applied
            boolean refusing = false;
            // The directory's data and listing read in the create's round trip (in that order):
            // the arrival that completes the round counts on them at once. Only a decision to wait
            // needs the watch, and so a second read.
            List<String> initialListing = e.takeInitialListing();
            boolean preread = initialListing != null && e.directoryStat() != null;
            while (true) {
                ZooKeeper zk = Connections.handle(session, e.sessionId(), path());
                Deadline replies = deadline.atLeast(SequentialQueue.ROUND_TRIP_GRACE);
                boolean watched = !preread;
                Reply<byte[]> data;
                Reply<List<String>> list;
                if (preread) {
                    preread = false;
                    data = new Reply<>(Code.OK, e.directoryData(), e.directoryStat());
                    list = new Reply<>(Code.OK, initialListing, null);
                } else {
                    // The directory's data first, then the listing: a give-up applied after the data
                    // was read changes its version, so a marker written on this listing then fails.
                    var dataReply = signals.watchData(zk, serverPath);
                    var listReply = ZkOps.children(zk, serverPath, null);
                    data = Reply.await(dataReply, replies);
                    list = Reply.await(listReply, replies);
                }
                if (data == null || list == null) {
                    return null; // no answer by the deadline: the caller removes the node
                }
                if (data.connectionTrouble() || list.connectionTrouble()) {
                    if (!Connections.awaitConnected(session, path(), deadline)) {
                        return null;
                    }
                    continue;
                }
                List<QueueNode> nodes = data.ok() && list.ok() ? barrierNodes(list.value()) : new ArrayList<>();
                nodes.removeIf(n -> foreign.contains(n.name()));
                QueueNode me = e.node();
                for (QueueNode n : List.copyOf(nodes)) {
                    if (Orphans.isOrphanOf(n, e)) {
                        nodes.remove(n); // never counted as a participant
                        Orphans.delete(session, path(), n);
                    }
                }
                if (!contains(nodes, me)) {
                    if (maybeRemoved) {
                        if (refusing) {
                            throw full(e);
                        }
                        return null;
                    }
                    Connections.handle(session, e.sessionId(), path()); // throws if the session is gone
                    throw new SessionLostException("barrier node was deleted by someone else", e.path(), e.sessionId(), null);
                }
                BarrierMarker m = BarrierMarker.parse(data.value());
                int version = data.stat().getVersion();
                if (m != null && m.covers(me.sequence())) {
                    return m; // a marker written on a listing that counted this node among the first N
                }
                List<QueueNode> candidates = new ArrayList<>();
                boolean roundInProgress = false;
                for (QueueNode n : nodes) {
                    if (m != null && m.covers(n.sequence())) {
                        roundInProgress = true; // a completed round is still leaving
                    } else {
                        candidates.add(n);
                    }
                }
                int index = indexOf(candidates, me);
                if (!roundInProgress && index >= parties
                        && excludeForeign(zk, new ArrayList<>(candidates.subList(0, parties)), replies)) {
                    continue; // refused only for real parties ahead: count again without a fake one
                }
                if (roundInProgress || index >= parties) {
                    refusing = true;
                    Code c = giveUp(zk, e, data.value(), version, replies);
                    if (c == Code.OK) {
                        throw full(e);
                    }
                    maybeRemoved |= c == null || c == Code.CONNECTIONLOSS || c == Code.OPERATIONTIMEOUT;
                    continue; // the directory changed meanwhile: look again
                }
                refusing = false;
                if (candidates.size() >= parties) {
                    // Names are not proof: a node made by hand (persistent, no session) must not count
                    // as a party. The arrival that completes the round checks every other party's
                    // node is ephemeral, in one pipelined round trip, before writing the marker.
                    List<QueueNode> others = new ArrayList<>();
                    for (QueueNode n : candidates.subList(0, parties)) {
                        if (!n.equals(me)) {
                            others.add(n);
                        }
                    }
                    if (excludeForeign(zk, others, replies)) {
                        continue; // a party was not a real one: count again without it
                    }
                    BarrierMarker next = new BarrierMarker(m == null ? 1 : m.round() + 1,
                            candidates.get(parties - 1).sequence());
                    Reply<?> w = Reply.await(ZkOps.setData(zk, serverPath, next.encode(), version), replies);
                    if (w != null && w.ok()) {
                        return next;
                    }
                    continue; // someone else wrote it, or someone gave up: look again
                }
                if (lastLook || deadline.isExpired()) {
                    Code c = giveUp(zk, e, data.value(), version, replies);
                    if (c == Code.OK) {
                        return null;
                    }
                    maybeRemoved |= c == null || c == Code.CONNECTIONLOSS || c == Code.OPERATIONTIMEOUT;
                    continue; // the directory changed: perhaps the round just completed
                }
                if (!watched) {
                    continue; // read again, this time with the watch to wait on
                }
                if (signals.next(deadline) == null) {
                    lastLook = true; // one last look at the deadline, then give up
                }
            }
        } finally {
            registration.close();
            signals.disarm();
        }
    }

    /**
     * Deletes {@code e}'s node together with a version bump of the directory's data, so that a
     * marker written on a listing that still counted it fails. OK, BADVERSION (the directory
     * changed: look again), or connection trouble (null if no reply in time).
     */
    private Code giveUp(ZooKeeper zk, QueueEntry e, byte[] dirData, int version, Deadline replies)
            throws InterruptedException {
        Reply<?> r = Reply.await(ZkOps.multi(zk, List.of(
                Op.setData(serverPath, dirData == null ? new byte[0] : dirData, version),
                Op.delete(e.serverPath(), -1))), replies);
        return r == null ? null : r.code();
    }

    private BarrierFullException full(QueueEntry e) {
        return new BarrierFullException("barrier " + path() + " already has its " + parties
                + " participants in the current round; entrant " + e.node().name() + " was refused and removed",
                path(), e.sessionId(), parties);
    }

    /** Leaves, waiting as long as it takes for every participant of the round to leave. */
    public void leave() throws InterruptedException {
        leave(Deadline.none());
    }

    /**
     * Leaves the round: deletes this participant's node at once, then waits up to {@code timeout}
     * until every participant of the round has left (or died).
     *
     * @return true once all have left; false at the deadline (this participant has left anyway)
     * @throws IllegalStateException if this participant has not entered
     */
    public boolean leave(Duration timeout) throws InterruptedException {
        return leave(Deadline.after(Validation.timeout(timeout)));
    }

    private synchronized boolean leave(Deadline deadline) throws InterruptedException {
        if (entry == null) {
            throw new IllegalStateException("not entered in " + path() + ": enter first");
        }
        QueueEntry e = entry;
        BarrierMarker m = marker;
        entry = null;
        marker = null;
        // Pipelined: the delete is not waited for; this session's listing below is answered after it.
        queue.releaseBeforeNextRequest(e);
        Signals signals = new Signals(e.sessionId());
        Registration registration = session.addStateListener(signals);
        try {
            boolean lastLook = false;
            look:
            while (true) {
                if (!Connections.awaitConnected(session, path(), deadline)) {
                    return false;
                }
                ZooKeeper zk = session.zookeeper();
                Deadline replies = deadline.atLeast(SequentialQueue.ROUND_TRIP_GRACE);
                Reply<List<String>> list = Reply.await(ZkOps.children(zk, serverPath, null), replies);
                if (list == null) {
                    return false;
                }
                if (list.connectionTrouble()) {
                    continue;
                }
                List<QueueNode> remaining = new ArrayList<>();
                if (list.ok()) { // NONODE: the directory was reaped, so everyone left
                    for (QueueNode n : barrierNodes(list.value())) {
                        if (m.covers(n.sequence()) && !n.id().equals(e.node().id()) // not ours, nor an orphan of ours
                                && !foreign.contains(n.name())) {
                            remaining.add(n);
                        }
                    }
                }
                if (remaining.isEmpty()) {
                    return true;
                }
                if (lastLook || deadline.isExpired()) {
                    return false;
                }
                // Watch every node of the round still there (one pipelined round trip), then count
                // their deletions: no node joins a completed round, so the last deletion is the
                // answer, with no listing after it.
                List<String> targets = new ArrayList<>();
                List<java.util.concurrent.CompletableFuture<Reply<byte[]>>> watches = new ArrayList<>();
                for (QueueNode n : remaining) {
                    String target = serverPath + "/" + n.name();
                    targets.add(target);
                    watches.add(signals.watchData(zk, target));
                }
                java.util.Set<String> waitingFor = new java.util.HashSet<>();
                for (int i = 0; i < targets.size(); i++) {
                    Reply<byte[]> w = Reply.await(watches.get(i), replies);
                    if (w == null || (!w.ok() && w.code() != Code.NONODE)) {
                        continue look; // connection trouble, or no answer: look again
                    }
                    if (!w.ok()) {
                        continue; // left already
                    }
                    if (w.stat().getEphemeralOwner() == 0) {
                        // Made by hand, not a party's: it will never leave. Its watch goes with disarm().
                        LOG.warn("ignoring {}: a persistent node with a barrier node's name is not a party", targets.get(i));
                        foreign.add(remaining.get(i).name());
                        continue;
                    }
                    waitingFor.add(targets.get(i));
                }
                while (!waitingFor.isEmpty()) {
                    Object signal = signals.next(deadline);
                    if (signal == null) {
                        lastLook = true;
                        continue look;
                    }
                    if (!(signal instanceof org.apache.zookeeper.WatchedEvent ev
                            && ev.getType() == org.apache.zookeeper.Watcher.Event.EventType.NodeDeleted
                            && waitingFor.remove(ev.getPath()))) {
                        continue look; // a touch, a reconnection, a new session: look again
                    }
                }
                return true;
            }
        } finally {
            registration.close();
            signals.disarm();
        }
    }

    /** The participants' nodes now, in arrival order (about 2 round trips). */
    public List<RecipeNode> participants() throws InterruptedException {
        return queue.recipeNodes();
    }

    private static List<QueueNode> barrierNodes(List<String> children) {
        List<QueueNode> out = new ArrayList<>(children.size());
        for (String c : children) {
            QueueNode n = QueueNode.parse(c);
            if (n != null && n.kind() == NodeKind.BARRIER) {
                out.add(n);
            }
        }
        out.sort(QueueNode.ORDER);
        return out;
    }

    private static boolean contains(List<QueueNode> nodes, QueueNode me) {
        return indexOf(nodes, me) >= 0;
    }

    private static int indexOf(List<QueueNode> nodes, QueueNode me) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).name().equals(me.name())) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return "ZkDoubleBarrier[" + path() + ", " + parties + " parties]";
    }
}
