package io.github.zkrecipes.groups;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.queue.CompanionRefusedException;
import io.github.zkrecipes.internal.queue.Connections;
import io.github.zkrecipes.internal.queue.Deadline;
import io.github.zkrecipes.internal.queue.NodeKind;
import io.github.zkrecipes.internal.queue.QueueEntry;
import io.github.zkrecipes.internal.queue.QueueNode;
import io.github.zkrecipes.internal.queue.SequentialQueue;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A group of live members: each member is an ephemeral node under the group's path carrying its
 * member id and data, alive exactly as long as the session that joined it.
 *
 * <pre>{@code
 * ZkGroup workers = new ZkGroup(session, "/groups/workers");
 * try (Membership me = workers.join("worker-7", "host-a:8080");
 *      GroupView view = workers.view()) {
 *     view.addListener(new GroupListener() {
 *         public void joined(Member m) { rebalance(view.members()); }
 *         public void left(Member m) { rebalance(view.members()); }
 *     });
 *     view.awaitSize(3, Duration.ofSeconds(30)); // a quorum of three
 * }
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>One node per join.</b> Member nodes are made by the shared queue engine: a create whose
 *       reply is lost is adopted, not repeated; a join that fails removes its node.
 *   <li><b>Unique ids, decided by the ensemble.</b> A join creates an ephemeral claim node named
 *       after the id ({@code <path>/id-<url-encoded id>}) and its member node in one transaction;
 *       ZooKeeper lets exactly one session create the claim, so of any number of joins with the
 *       same id, at once or not, exactly one succeeds and the others throw {@link
 *       DuplicateMemberException} naming the id and the holder's session, having made no member
 *       node (so no view ever shows a refused join).
 *       The claim lives as long as the member (same session; deleted on leave). No listing or
 *       reading of other members is needed, so a join costs the same in a group of 5 or 5,000.
 *   <li><b>Re-join after expiry</b> (on by default, see {@link #withAutoRejoin}): when the
 *       session expires the member's node is gone; the {@link Membership} re-joins in the new
 *       session with its latest data and tells its listeners.
 * </ul>
 *
 * <h2>Cost in ZooKeeper round trips</h2>
 * <ul>
 *   <li>join: 2 = 1 (one transaction claiming the id and creating the member node, with the
 *       listing pipelined) + 1 (list names, to catch a second node of our own create after a lost
 *       reply; the member is already visible to everyone by then). 1 commit, no read of any other
 *       member, whatever the group's size;
 *   <li>update: 1 setData; leave: 1 (the member node's and the claim's deletes in one transaction);
 *   <li>{@link #members()}: about 2; a view: 1 read per join or data change, 0 per leave, 0 per
 *       claim (see {@link GroupView}).
 * </ul>
 *
 * <h2>What it does not guarantee</h2>
 * A member is a lease: it exists while its session does, and a paused or partitioned process may
 * still believe it is a member until it sees {@code SUSPENDED}/{@code LOST}. A crashed member's id
 * stays taken until its session times out.
 *
 * <h2>Threads</h2>
 * An immutable, thread-safe descriptor; no I/O in the constructor.
 */
public final class ZkGroup {
    private final ZkSession session;
    private final SequentialQueue queue;
    private final boolean autoRejoin;

    /**
     * The group at {@code path}.
     *
     * @throws IllegalArgumentException naming the path if it is invalid
     */
    public ZkGroup(ZkSession session, String path) {
        this(new SequentialQueue(Objects.requireNonNull(session, "session"), path), true);
    }

    private ZkGroup(SequentialQueue queue, boolean autoRejoin) {
        this.session = queue.session();
        this.queue = queue;
        this.autoRejoin = autoRejoin;
    }

    /** This group, with memberships that re-join after session expiry ({@code true}, the default) or not. */
    public ZkGroup withAutoRejoin(boolean rejoin) {
        return new ZkGroup(queue, rejoin);
    }

    public String path() {
        return queue.path();
    }

    public ZkSession session() {
        return session;
    }

    /**
     * Joins the group as {@code memberId} with {@code data}, waiting for a connection if needed.
     *
     * @return the membership; close it to leave
     * @throws IllegalArgumentException naming the id if it is not a valid member id, or if the data
     *     is over the ZooKeeper node size limit
     * @throws DuplicateMemberException if a live member already has the id (nothing is left behind)
     */
    public Membership join(String memberId, byte[] data) throws InterruptedException {
        MemberData.validateId(memberId);
        byte[] copy = Objects.requireNonNull(data, "data").clone();
        if (copy.length > SequentialQueue.MAX_DATA_BYTES - MemberData.MAX_ID_LENGTH * 4) {
            throw new IllegalArgumentException("data of " + copy.length + " bytes for member '" + memberId
                    + "' is over the node size limit");
        }
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted before joining " + path());
        }
        Membership m = new Membership(this, memberId, copy, autoRejoin);
        m.start();
        return m;
    }

    /** As {@link #join(String, byte[])}, with the data as UTF-8 text. */
    public Membership join(String memberId, String data) throws InterruptedException {
        return join(memberId, Objects.requireNonNull(data, "data").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Opens a live view of the group and waits until it has read the group once.
     *
     * @return the view; close it to remove its watch
     */
    public GroupView view() throws InterruptedException {
        GroupView v = new GroupView(session, queue.path(), session.serverPath(queue.path()));
        try {
            v.start();
            return v;
        } catch (InterruptedException | RuntimeException e) {
            v.close();
            throw e;
        }
    }

    /** The members now, id to member, in join order (about 2 round trips). */
    public Map<String, Member> members() throws InterruptedException {
        Map<String, Member> out = new LinkedHashMap<>();
        for (SequentialQueue.NodeInfo n : queue.describe()) {
            if (n.node().kind() == NodeKind.MEMBER) {
                Member m = MemberData.member(path(), n.node().name(), n.data(), n.stat());
                if (m != null) {
                    out.putIfAbsent(m.id(), m); // the earliest node holds the id
                }
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** A member node and the claim on its id, made in one session. */
    record Joined(QueueEntry entry, IdClaim claim) { }

    /**
     * Claims the id and creates the member node in one transaction (through the queue engine): of
     * any number of joins with the same id, exactly one commits; the others make nothing.
     *
     * @throws DuplicateMemberException if a live member holds the id (nothing is left behind)
     */
    Joined enterUnique(String memberId, byte[] data) throws InterruptedException {
        while (true) {
            Connections.awaitConnected(session, path(), Deadline.none());
            IdClaim.Request claim = IdClaim.request(session, path(), memberId);
            QueueEntry entry;
            try {
                entry = queue.enter(NodeKind.MEMBER, 1, MemberData.encode(memberId, data), List.of(claim.op()),
                        Deadline.none());
            } catch (CompanionRefusedException refused) {
                claim.refused(refused); // throws DuplicateMemberException, or returns to try again
                continue;
            } catch (InterruptedException | RuntimeException givenUp) {
                claim.abandoned(); // the engine deletes what the transaction made, in the background
                throw givenUp;
            }
            IdClaim made = claim.made(entry.sessionId());
            boolean ok = false;
            try {
                // A second node of our own create (its reply was lost and the engine's recovery
                // did not see it yet) would show as this member: names suffice to find it.
                for (QueueNode node : queue.list()) {
                    if (Orphans.isOrphanOf(node, entry)) {
                        Orphans.delete(session, path(), node);
                    }
                }
                ok = true;
                return new Joined(entry, made);
            } finally {
                if (!ok) {
                    claim.abandoned();
                    queue.remove(entry, List.of(session.serverPath(made.path())));
                }
            }
        }
    }

    /**
     * Deletes the member node and the id claim in one transaction (one commit; waited for unless
     * the session pipelines releases): nobody ever sees the id free while the member node exists.
     */
    void leave(Joined joined) {
        queue.release(joined.entry(), List.of(session.serverPath(joined.claim().path())));
    }

    @Override
    public String toString() {
        return "ZkGroup[" + path() + "]";
    }
}
