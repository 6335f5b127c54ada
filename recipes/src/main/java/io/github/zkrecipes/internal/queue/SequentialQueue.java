package io.github.zkrecipes.internal.queue;

import io.github.zkrecipes.AccessDeniedException;
import io.github.zkrecipes.CoordinationException;
import io.github.zkrecipes.Registration;
import io.github.zkrecipes.SessionLostException;
import io.github.zkrecipes.SessionState;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.Validation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared sequential-node queue: ordered ephemeral-sequential participation in one directory,
 * the mechanism every zk-recipes recipe is built from. Internal; recipes contribute only a {@link
 * WaitRule}.
 *
 * <h2>What it guarantees</h2>
 * <ul>
 *   <li><b>One node per join.</b> Nodes are created with a protected id in their name. If the
 *       connection drops during the create (applied or not, the reply is lost), the engine waits
 *       for the same session to come back, lists the directory and adopts the node carrying its id
 *       instead of creating a second one. A join that gives up (deadline, interrupt, failure)
 *       deletes whatever it may have created, in the background if the connection is down.
 *   <li><b>Session binding.</b> A node is ours only if its {@code ephemeralOwner} is the session
 *       that is current now; a node found by id but owned by an earlier session is left to die.
 *   <li><b>Numeric order.</b> Nodes are ordered by their parsed sequence number as a 32-bit serial
 *       number ({@link QueueNode#ORDER}); foreign children are ignored.
 *   <li><b>One watch per waiter, on one node.</b> A waiter watches exactly what its rule names;
 *       a release wakes only the waiter(s) watching that node. When the watched node is deleted
 *       the waiter decides again on its last listing minus that node (rules are monotone, see
 *       {@link WaitRule}), so a waiter behind the head is granted with no further round trip.
 *   <li><b>No trust in wakeups.</b> Every wakeup, reconnection or stray event leads to a new
 *       decision on real state; nothing is granted because something was signalled.
 *   <li><b>Fencing.</b> Each entry carries its node's {@code czxid}, which only grows.
 * </ul>
 *
 * <h2>Round trips</h2>
 * <ul>
 *   <li>join, uncontended: <b>1</b> (create and getChildren pipelined; ZooKeeper answers a
 *       session's requests in order, so the listing includes the new node);
 *   <li>each wait: +1 getData with a watch on the blocker (+1 getChildren for directory waits);
 *       a wakeup by deletion of the blocker: 0 more if the local decision grants, else +1 listing;
 *   <li>release of a granted entry, or removal of one given up on: 1 delete, waited for (a
 *       session built with {@code pipelinedRelease(true)} sends a release's delete without
 *       waiting);
 *   <li>a create whose reply was lost: +2 (getChildren, exists) after reconnecting.
 * </ul>
 *
 * <h2>Threads</h2>
 * Blocking calls run on the caller's thread; watch and session events only post to that caller's
 * {@link Waiter}. Thread-safe; one instance may serve any number of callers.
 */
public final class SequentialQueue {
    private static final Logger LOG = LoggerFactory.getLogger(SequentialQueue.class);
    /** ZooKeeper refuses packets over jute.maxbuffer (1 MiB by default); keep room for the header. */
    public static final int MAX_DATA_BYTES = 1_000_000;
    /** How long a single round trip may take even when the caller's deadline is shorter. */
    public static final java.time.Duration ROUND_TRIP_GRACE = java.time.Duration.ofSeconds(2);

    private final ZkSession session;
    private final String path;
    private final String serverPath;

    /**
     * @param path the queue directory, as the session's users see it (without the namespace)
     * @throws IllegalArgumentException naming the path if it is not a valid recipe path
     */
    public SequentialQueue(ZkSession session, String path) {
        this.session = java.util.Objects.requireNonNull(session, "session");
        this.path = Validation.recipePath(path);
        this.serverPath = session.serverPath(path);
    }

    public ZkSession session() {
        return session;
    }

    /** The directory, as the session's users see it. */
    public String path() {
        return path;
    }

    /** The directory on the server (with the namespace). */
    public String serverPath() {
        return serverPath;
    }

    /**
     * Joins the queue and waits until {@code rule} grants, or the deadline passes.
     *
     * @return the granted entry, or empty if the deadline passed first (nothing is left behind)
     * @throws InterruptedException if interrupted; nothing is left behind
     * @throws SessionLostException if the session ended while waiting; nothing is left behind
     */
    public Optional<QueueEntry> join(NodeKind kind, int weight, byte[] data, WaitRule rule, Deadline deadline)
            throws InterruptedException {
        QueueEntry entry = enter(kind, weight, data, deadline);
        if (entry == null) {
            return Optional.empty();
        }
        boolean granted = false;
        try {
            granted = await(entry, rule, deadline);
            return granted ? Optional.of(entry) : Optional.empty();
        } finally {
            if (!granted) {
                remove(entry);
            }
        }
    }

    /**
     * Creates this caller's node (protected, ephemeral-sequential), creating the directory as a
     * container if needed. One pipelined round trip when connected.
     *
     * @return the entry, or null if the deadline passed before a node could be created (nothing
     *     is left behind)
     */
    public QueueEntry enter(NodeKind kind, int weight, byte[] data, Deadline deadline) throws InterruptedException {
        return enter(kind, weight, data, List.of(), false, deadline);
    }

    /**
     * As {@link #enter(NodeKind, int, byte[], Deadline)}, also reading the directory's data in the
     * same round trip (after the create: {@link QueueEntry#directoryData()}), for recipes that
     * keep their definition there.
     */
    public QueueEntry enterReadingDirectory(NodeKind kind, int weight, byte[] data, Deadline deadline)
            throws InterruptedException {
        return enter(kind, weight, data, List.of(), true, deadline);
    }

    /**
     * As {@link #enter(NodeKind, int, byte[], Deadline)}, creating the {@code companions} (ephemeral
     * creates, for example a claim on a name) in the same transaction as the node: both exist or
     * neither, at the cost of one commit. Still one pipelined round trip. A companion whose create
     * is refused fails the whole transaction and is reported as {@link CompanionRefusedException};
     * nothing is left behind. A node given up on is deleted with its companions.
     *
     * <p>After a create whose reply was lost, a later attempt that finds a companion already there
     * (NODEEXISTS) looks for its own node again: the earlier transaction may have been applied and
     * the first look-up answered by a server that had not seen it yet.
     */
    public QueueEntry enter(NodeKind kind, int weight, byte[] data, List<org.apache.zookeeper.Op> companions,
            Deadline deadline) throws InterruptedException {
        return enter(kind, weight, data, companions, false, deadline);
    }

    /** The create of every enter variant: one pipelined round trip when connected. */
    private QueueEntry enter(NodeKind kind, int weight, byte[] data, List<org.apache.zookeeper.Op> companions,
            boolean readDirectory, Deadline deadline) throws InterruptedException {
        if (weight < 1) {
            throw new IllegalArgumentException("weight must be at least 1, was " + weight);
        }
        if (data != null && data.length > MAX_DATA_BYTES) {
            throw new IllegalArgumentException("node data of " + data.length + " bytes for " + path
                    + " exceeds the " + MAX_DATA_BYTES + "-byte limit");
        }
        session.ensureOpen();
        String protectedId = UUID.randomUUID().toString().replace("-", "");
        String prefix = serverPath + "/" + QueueNode.prefix(kind, weight, protectedId);
        long attemptSession = 0; // the session of the last create sent, whose node may exist
        long lostReply = 0;      // a session in which a create's reply was lost (it may have been applied)
        QueueEntry entry = null;
        try {
            while (entry == null) {
                if (!awaitConnected(deadline)) {
                    return null;
                }
                ZooKeeper zk = session.zookeeper();
                long sid = zk.getSessionId();
                attemptSession = sid; // from here on a node may exist: clean up unless adopted
                CompletableFuture<Reply<String>> created = companions.isEmpty()
                        ? ZkOps.createEphemeralSequential(zk, prefix, data, session.aclProvider().getAclForPath(serverPath))
                        : ZkOps.createWith(zk, companions, prefix, data, session.aclProvider().getAclForPath(serverPath));
                // Even a zero timeout waits for the create's round trip (at least ROUND_TRIP_GRACE):
                // "don't wait" means not waiting for other participants, not never getting an answer.
                Deadline replies = deadline.atLeast(ROUND_TRIP_GRACE);
                CompletableFuture<Reply<byte[]>> directory = readDirectory ? ZkOps.data(zk, serverPath, null) : null;
                // The listing is answered after the create (a session's requests are answered in
                // order): waiting for it synchronously waits for both, with no thread hand-off.
                CompletableFuture<Reply<List<String>>> listed = syncAllowed(zk, replies)
                        ? CompletableFuture.completedFuture(ZkOps.childrenNow(zk, serverPath))
                        : ZkOps.children(zk, serverPath, null);
                Reply<String> c = Reply.await(created, replies);
                if (c == null) {
                    return null; // deadline; the finally block removes the node if it was created
                }
                if (!c.ok() && c.value() != null && !c.value().startsWith(prefix)) {
                    // A companion was refused, so nothing of this transaction was applied.
                    if (c.code() == Code.NODEEXISTS && lostReply == sid) {
                        entry = recover(protectedId, sid, data, deadline); // applied before, seen late?
                        if (entry != null) {
                            break;
                        }
                    }
                    if (c.code() == Code.NONODE && serverPath.equals(ZKPaths.getPathAndNode(c.value()).getPath())) {
                        ensureDirectory();
                        continue;
                    }
                    if (lostReply != sid) {
                        attemptSession = 0; // no earlier attempt of this session may have applied
                    }
                    throw new CompanionRefusedException(c.value(), c.code(), sid);
                }
                if (c.ok() && c.stat() == null) { // a companion deleted at once by someone: read the node itself
                    Reply<Stat> own = Reply.await(ZkOps.exists(zk, c.value()), replies);
                    c = own == null ? null : own.ok() && own.value() != null
                            ? new Reply<>(Code.OK, c.value(), own.value())
                            : new Reply<>(own.ok() ? Code.CONNECTIONLOSS : own.code(), null, null);
                    if (c == null) {
                        return null;
                    }
                }
                switch (c.code()) {
                    case OK -> {
                        if (c.stat().getEphemeralOwner() != sid) {
                            throw new CoordinationException("created node is owned by session 0x"
                                    + Long.toHexString(c.stat().getEphemeralOwner()), c.value(), sid, null);
                        }
                        // Every wait before the entry is made: an interrupt here leaves no entry, so
                        // the finally block below deletes the node (by its id).
                        Reply<List<String>> l = Reply.await(listed, replies);
                        Reply<byte[]> d = directory == null ? null : Reply.await(directory, replies);
                        QueueEntry made = new QueueEntry(this, QueueNode.parse(ZKPaths.getNodeFromPath(c.value())),
                                c.stat().getCzxid(), sid, data, l != null && l.ok() ? l.value() : null);
                        if (directory != null) {
                            made.directoryData(d != null && d.ok() ? d.value() : null, d != null && d.ok() ? d.stat() : null);
                        }
                        entry = made;
                    }
                    case NONODE -> ensureDirectory();
                    case NOAUTH -> {
                        attemptSession = 0; // refused: nothing was created, nothing to clean up
                        throw new AccessDeniedException("not allowed to create a node in " + path,
                                path, sid, KeeperException.create(c.code(), serverPath));
                    }
                    case INVALIDACL -> {
                        attemptSession = 0;
                        throw noIdentity(sid, KeeperException.create(c.code(), serverPath));
                    }
                    case SESSIONEXPIRED -> awaitNewSession(sid, deadline);
                    default -> {
                        if (!c.connectionTrouble()) {
                            throw new CoordinationException("cannot create a node in " + path + ": " + c.code(),
                                    path, sid, KeeperException.create(c.code(), serverPath));
                        }
                        // The create may have been applied and only its reply lost.
                        lostReply = sid;
                        entry = recover(protectedId, sid, data, deadline);
                        if (entry == null && !deadline.isExpired()) {
                            continue;
                        }
                        if (entry == null) {
                            return null;
                        }
                    }
                }
            }
            return entry;
        } finally {
            if (entry == null && attemptSession != 0) {
                Cleanup.deleteById(session, serverPath, protectedId, attemptSession, paths(companions));
            }
        }
    }

    private static List<String> paths(List<org.apache.zookeeper.Op> ops) {
        List<String> out = new ArrayList<>(ops.size());
        for (org.apache.zookeeper.Op op : ops) {
            out.add(op.getPath());
        }
        return out;
    }

    /** After a lost create reply: find our node by its protected id, in the same session only. */
    private QueueEntry recover(String protectedId, long sid, byte[] data, Deadline deadline) throws InterruptedException {
        QueueMetrics.RECOVERIES.increment();
        while (true) {
            if (!awaitConnected(deadline)) {
                return null;
            }
            ZooKeeper zk = session.zookeeper();
            if (zk.getSessionId() != sid) {
                return null; // the session that may have created it is gone, and its nodes with it
            }
            Deadline replies = deadline.atLeast(ROUND_TRIP_GRACE);
            Reply<List<String>> l = Reply.await(ZkOps.children(zk, serverPath, null), replies);
            if (l == null) {
                return null;
            }
            if (l.connectionTrouble()) {
                continue;
            }
            if (!l.ok()) {
                return null; // NONODE: the directory is gone, so is any node in it
            }
            // Every child with our id, not the first: anyone who can list the directory can copy
            // the id into a node of its own, and only the one our session owns is ours.
            List<String> found = new ArrayList<>();
            for (String child : l.value()) {
                QueueNode n = QueueNode.parse(child);
                if (n != null && n.id().equals(protectedId)) {
                    found.add(child);
                }
            }
            if (found.isEmpty()) {
                return null; // the create was not applied
            }
            List<CompletableFuture<Reply<Stat>>> stats = new ArrayList<>();
            for (String child : found) {
                stats.add(ZkOps.exists(zk, serverPath + "/" + child)); // pipelined
            }
            boolean trouble = false;
            for (int i = 0; i < found.size(); i++) {
                Reply<Stat> s = Reply.await(stats.get(i), replies);
                if (s == null) {
                    return null;
                }
                trouble |= s.connectionTrouble();
                if (s.ok() && s.value() != null && s.value().getEphemeralOwner() == sid) {
                    LOG.debug("adopted {} after a lost create reply", found.get(i));
                    return new QueueEntry(this, QueueNode.parse(found.get(i)), s.value().getCzxid(), sid, data, l.value());
                }
                if (s.ok() && s.value() != null && found.size() > 1) {
                    LOG.warn("{}/{} carries this session's protected id but belongs to session 0x{}: forged or stale; ignored",
                            serverPath, found.get(i), Long.toHexString(s.value().getEphemeralOwner()));
                }
            }
            if (trouble) {
                continue;
            }
            return null; // owned by other sessions, or already gone
        }
    }

    /**
     * Waits until {@code rule} grants {@code entry}, or the deadline passes.
     *
     * @return true if granted, false if the deadline passed (the entry stays: the caller removes it)
     * @throws SessionLostException if the entry's session ended, or its node was deleted by someone else
     */
    public boolean await(QueueEntry entry, WaitRule rule, Deadline deadline) throws InterruptedException {
        // Children with queue names that are not queue nodes (persistent: no session holds them),
        // found while watching them; left out of every later listing so they neither block nor spin.
        java.util.Set<String> foreign = new java.util.HashSet<>();
        List<QueueNode> nodes = parse(entry.takeInitialListing());
        boolean fresh = nodes != null;   // nodes came from a listing, not from a local decision
        Waiter waiter = new Waiter(entry.sessionId());
        Registration registration;
        try {
            registration = session.addStateListener(waiter);
        } catch (IllegalStateException closed) {
            throw new SessionLostException("session closed while waiting", entry.path(), entry.sessionId(), closed);
        }
        try {
            List<String> targets = List.of();   // the blockers we watch
            boolean childWatchArmed = false;
            // The data version of each blocker already accounted for by a listing taken after it.
            java.util.Map<String, Integer> seenVersions = new java.util.HashMap<>();
            byte[] directoryData = null;
            boolean directoryWatched = false;
            boolean waited = false;
            Decision last = null;     // the decision whose blockers we watch
            while (true) {
                ZooKeeper zk = handleFor(entry);
                if (nodes == null) {
                    CompletableFuture<Reply<byte[]>> dirReply = rule.readsDirectory() ? ZkOps.data(zk, serverPath, null) : null;
                    Reply<List<String>> l = syncAllowed(zk, deadline) ? ZkOps.childrenNow(zk, serverPath)
                            : Reply.await(ZkOps.children(zk, serverPath, null), deadline);
                    if (dirReply != null) {
                        Reply<byte[]> d = Reply.await(dirReply, deadline);
                        directoryData = d != null && d.ok() ? d.value() : null;
                    }
                    if (l == null) {
                        return false;
                    }
                    if (l.connectionTrouble()) {
                        if (!awaitConnected(deadline)) {
                            return false;
                        }
                        continue;
                    }
                    if (l.code() == Code.NOAUTH) {
                        throw new AccessDeniedException("not allowed to list " + path, path, entry.sessionId(),
                                KeeperException.create(Code.NOAUTH, serverPath));
                    }
                    if (!l.ok()) {
                        ensureAlive(entry);
                        throw gone(entry, l.code());
                    }
                    nodes = withoutNames(parse(l.value()), foreign);
                    fresh = true;
                }
                int index = indexOf(nodes, entry.node());
                if (index < 0) {
                    ensureAlive(entry);
                    throw gone(entry, Code.NONODE);
                }
                List<QueueNode> ahead = Collections.unmodifiableList(nodes.subList(0, index));
                Decision decision = rule.readsDirectory() ? rule.decide(ahead, entry.node(), directoryData)
                        : rule.decide(ahead, entry.node());
                directoryData = null; // used once: later decisions on this listing keep what the rule learnt
                if (decision.isGranted()) {
                    if (!fresh && rule.allowsInsertion()) {
                        nodes = null; // a node may have been inserted ahead: confirm on a listing
                        continue;
                    }
                    if (rule.passesBaton() && (waited || index < nodes.size() - 1)) {
                        // The waiter behind (our listing may predate it) watches us: tell it to look again.
                        touch(zk, entry);
                    }
                    return true;
                }
                if (deadline.isExpired()) {
                    return false;
                }
                boolean armed = false;  // every blocker is watched already, and its watch has not fired
                if (!fresh) {
                    if (decision.waitsForAny()) {
                        // Decided on a listing minus deleted nodes: the rest are still there unless
                        // their deletion is on its way to us, which wakes us like any other.
                        armed = !decision.watchesDirectory() || waiter.isArmed(serverPath);
                        for (QueueNode b : decision.blockers()) {
                            armed &= waiter.isArmed(serverPath + "/" + b.name());
                        }
                        // Not all watched (a data change used one up): watch them again, one round
                        // trip for all, which also shows which of them are gone.
                    } else {
                        // Decided on an old listing minus deleted nodes, and not granted: the nodes it
                        // names may be long gone (a predecessor is usually deleted after everyone ahead
                        // of it). One listing costs less than probing stale nodes one round trip each.
                        nodes = null;
                        continue;
                    }
                }
                last = decision;
                if (armed) {
                    // nothing to send: wait below
                } else if (!decision.blockers().isEmpty()) {
                    List<String> paths = new ArrayList<>();
                    List<CompletableFuture<Reply<byte[]>>> replies = new ArrayList<>();
                    for (QueueNode b : decision.blockers()) {
                        String p = serverPath + "/" + b.name();
                        paths.add(p);
                        replies.add(waiter.watchData(zk, p)); // pipelined: one round trip for all
                    }
                    if (decision.watchesDirectory()) {
                        directoryWatched = true;
                        waiter.watchData(zk, serverPath); // its reply needs no check: a change wakes us
                    }
                    List<QueueNode> gone = new ArrayList<>();
                    boolean relist = false;
                    for (int i = 0; i < replies.size(); i++) {
                        Reply<byte[]> r = Reply.await(replies.get(i), deadline);
                        if (r == null) {
                            return false;
                        }
                        if (r.code() == Code.NONODE) {
                            waiter.notArmed(paths.get(i));
                            gone.add(decision.blockers().get(i)); // gone before we looked
                        } else if (r.code() == Code.NOAUTH) {
                            waiter.notArmed(paths.get(i)); // refused: no watch was set
                            throw unreadable(entry, paths.get(i));
                        } else if (r.ok() && r.stat().getEphemeralOwner() == 0) {
                            // A persistent node with a queue name: no session holds it, so it is not a
                            // participant (the engine only creates ephemeral nodes). Ignore it for good.
                            LOG.warn("ignoring {}: a persistent node with a queue node's name", paths.get(i));
                            waiter.disarm(paths.get(i));
                            foreign.add(decision.blockers().get(i).name());
                            gone.add(decision.blockers().get(i));
                        } else if (!r.ok()) {
                            relist = true;
                            if (r.connectionTrouble() && !awaitConnected(deadline)) {
                                return false;
                            }
                        } else if ((rule.allowsInsertion() || (rule.passesBaton() && !decision.waitsForAny()))
                                && r.stat().getVersion() > seenVersions.getOrDefault(paths.get(i), 0)) {
                            // Touched since we last looked: a node was inserted, or a baton passed.
                            // The listing that follows sees it; this version is then accounted for.
                            seenVersions.put(paths.get(i), r.stat().getVersion());
                            relist = true;
                        }
                    }
                    targets = paths;
                    if (relist) {
                        nodes = null;
                        continue;
                    }
                    if (!gone.isEmpty()) {
                        nodes = without(nodes, gone);
                        fresh = false;
                        continue;
                    }
                } else if (!childWatchArmed) {
                    targets = List.of();
                    Reply<List<String>> l = Reply.await(waiter.watchChildren(zk, serverPath), deadline);
                    if (l == null) {
                        return false;
                    }
                    if (!l.ok()) {
                        nodes = null;
                        if (l.connectionTrouble() && !awaitConnected(deadline)) {
                            return false;
                        }
                        continue;
                    }
                    childWatchArmed = true;
                    List<QueueNode> listed = withoutNames(parse(l.value()), foreign);
                    if (!listed.equals(nodes)) {
                        nodes = listed; // decide on what the watch was armed with
                        fresh = true;
                        continue;
                    }
                }
                waited = true;
                Object signal = waiter.next(deadline);
                if (signal == null) {
                    return false;
                }
                if (signal instanceof WatchedEvent e) {
                    if (e.getType() == EventType.NodeChildrenChanged) {
                        childWatchArmed = false;
                        nodes = null;
                    } else if (directoryWatched && e.getPath().equals(serverPath)) {
                        nodes = null; // a rule parameter changed: list again, with the directory's data
                    } else if (e.getType() == EventType.NodeDeleted && targets.contains(e.getPath())) {
                        QueueNode deleted = nodeNamed(nodes, ZKPaths.getNodeFromPath(e.getPath()));
                        if (deleted != null) { // else known gone already (a later probe or listing saw it)
                            nodes = without(nodes, List.of(deleted));
                            fresh = false; // monotone rules: no listing needed
                        }
                    } else if (e.getType() == EventType.NodeDataChanged && last != null && last.waitsForAny()
                            && targets.contains(e.getPath())) {
                        fresh = false; // not a signal for this wait: watch that node again, no listing
                    } else {
                        nodes = null; // data changed (a baton, an insertion), or a stray event: look again
                    }
                } else {
                    childWatchArmed = false; // after a reconnection, arm again to be sure
                    nodes = null;
                }
            }
        } finally {
            registration.close();
            waiter.disarm();
        }
    }

    /**
     * Inserts a node of {@code kind} at {@code origin}'s place in the queue: same sequence number,
     * same session, so it orders beside {@code origin} and ahead of everyone who came after it.
     * One {@code multi} creates it and touches {@code origin}'s data, so every waiter watching
     * {@code origin} looks again and sees it (rules that allow this say so: {@link
     * WaitRule#allowsInsertion()}). Then one {@code exists} reads its {@code czxid}. Used for a
     * read-write lock's downgrade: the writer's read hold must keep later writers out after the
     * write node goes.
     *
     * @throws io.github.zkrecipes.OwnershipLostException if {@code origin}'s node is gone
     */
    public QueueEntry insertBeside(QueueEntry origin, NodeKind kind, byte[] data) throws InterruptedException {
        session.ensureOpen();
        ensureAlive(origin);
        String protectedId = UUID.randomUUID().toString().replace("-", "");
        String name = QueueNode.prefix(kind, 1, protectedId)
                + String.format(java.util.Locale.ROOT, "%010d", origin.node().sequence());
        String nodePath = serverPath + "/" + name;
        ZooKeeper zk = session.zookeeper();
        Reply<List<org.apache.zookeeper.OpResult>> r = Reply.await(ZkOps.multi(zk, List.of(
                org.apache.zookeeper.Op.create(nodePath, data, session.aclProvider().getAclForPath(serverPath),
                        org.apache.zookeeper.CreateMode.EPHEMERAL),
                org.apache.zookeeper.Op.setData(origin.serverPath(), origin.data(), -1))), Deadline.none());
        if (!r.ok()) {
            if (r.connectionTrouble()) {
                Cleanup.deleteById(session, serverPath, protectedId, origin.sessionId());
                throw new CoordinationException("connection lost while inserting beside " + origin.path()
                        + "; nothing is held", path, origin.sessionId(), KeeperException.create(r.code()));
            }
            if (r.code() == Code.NOAUTH) {
                throw new AccessDeniedException("not allowed to create a node in " + path, path, origin.sessionId(), null);
            }
            throw new io.github.zkrecipes.OwnershipLostException("the node to insert beside is gone (" + r.code() + ")",
                    origin.path(), origin.sessionId());
        }
        Reply<Stat> st = Reply.await(ZkOps.exists(zk, nodePath), Deadline.none());
        long czxid = st.ok() && st.value() != null ? st.value().getCzxid() : origin.czxid();
        return new QueueEntry(this, QueueNode.parse(name), czxid, origin.sessionId(), data, null);
    }

    /** A data change on our own node, fire and forget; a lost one is covered by re-listing after reconnecting. */
    private void touch(ZooKeeper zk, QueueEntry entry) {
        zk.setData(entry.serverPath(), entry.data(), -1, (rc, p, ctx, stat) -> { }, null);
    }

    private static QueueNode nodeNamed(List<QueueNode> nodes, String name) {
        for (QueueNode n : nodes) {
            if (n.name().equals(name)) {
                return n;
            }
        }
        return null;
    }

    /**
     * Deletes the node of an entry given up on (timeout, interrupt, failure): waits for the reply
     * while the connection is up (one round trip), so the caller returns with nothing left behind;
     * if it cannot be confirmed (connection trouble, interrupt, no reply within {@link
     * #ROUND_TRIP_GRACE}: a caller whose deadline passed must not wait for the client to notice a
     * silent link), a background delete retries after every reconnection until it succeeds or
     * the session ends. Never throws; keeps the interrupt flag.
     */
    public void remove(QueueEntry entry) {
        delete(entry, true, ROUND_TRIP_GRACE);
    }

    /**
     * Deletes a granted entry's node. By default as {@link #remove}: confirmed, so that when this
     * returns the grant is free for every client. If the session pipelines releases ({@link
     * ZkSession#pipelinedRelease()}), the delete is sent and this returns without waiting: this
     * session's later requests already see the node gone (a session's requests are applied in
     * order), other clients one commit later. Failures are handled as by {@link #remove}, in the
     * background. Never throws.
     */
    public void release(QueueEntry entry) {
        delete(entry, !session.pipelinedRelease(), null);
    }

    /**
     * Sends the delete of a granted entry's node without waiting, whatever the session's release
     * mode: for a caller whose next request on this session (a listing, say) is answered only
     * after the delete is applied, so waiting for the delete's own reply would only add a round
     * trip. Failures are handled as by {@link #remove}, in the background. Never throws.
     */
    public void releaseBeforeNextRequest(QueueEntry entry) {
        delete(entry, false, null);
    }

    /**
     * As {@link #release(QueueEntry)}, deleting {@code companions} (server paths of nodes made with
     * the entry, see {@link #enter(NodeKind, int, byte[], List, Deadline)}) in the same transaction:
     * one commit; the node goes first, and nobody sees a companion without it. A companion already
     * gone does not keep the node: then the node is deleted alone.
     */
    public void release(QueueEntry entry, List<String> companions) {
        delete(entry, companions, !session.pipelinedRelease());
    }

    /** As {@link #remove(QueueEntry)}, deleting {@code companions} in the same transaction, confirmed. */
    public void remove(QueueEntry entry, List<String> companions) {
        delete(entry, companions, true);
    }

    private void delete(QueueEntry entry, List<String> companions, boolean confirm) {
        if (companions.isEmpty()) {
            delete(entry, confirm, null);
            return;
        }
        ZooKeeper zk = liveHandle(entry);
        if (zk == null) {
            return;
        }
        if (!session.state().isConnected()) {
            Cleanup.deleteNode(session, serverPath, entry.node().name(), entry.sessionId());
            deleteLater(companions, entry);
            return;
        }
        List<org.apache.zookeeper.Op> ops = new ArrayList<>();
        ops.add(org.apache.zookeeper.Op.delete(entry.serverPath(), -1));
        for (String c : companions) {
            ops.add(org.apache.zookeeper.Op.delete(c, -1));
        }
        QueueMetrics.DELETES.increment();
        CompletableFuture<Reply<List<org.apache.zookeeper.OpResult>>> sent = ZkOps.multi(zk, ops);
        if (!confirm) {
            sent.thenAccept(r -> afterTransactionDelete(entry, companions, r, false));
            return;
        }
        afterTransactionDelete(entry, companions, awaitDelete(zk, sent, null), true);
    }

    private void afterTransactionDelete(QueueEntry entry, List<String> companions,
            Reply<List<org.apache.zookeeper.OpResult>> r, boolean confirm) {
        if (r == null || r.connectionTrouble()) {
            Cleanup.deleteNode(session, serverPath, entry.node().name(), entry.sessionId());
            deleteLater(companions, entry);
        } else if (!r.ok()) {
            // Something of it was gone already (or refused): delete what is there one by one.
            delete(entry, confirm, null);
            deleteLater(companions, entry);
        }
    }

    /**
     * Deletes the entry's companions in the background, each only while it is still the node made
     * with the entry (same czxid): a companion's name (an id claim) may be taken again meanwhile,
     * even by this session, and that node must survive.
     */
    private void deleteLater(List<String> serverPaths, QueueEntry entry) {
        for (String c : serverPaths) {
            Cleanup.deleteCreatedIn(session, c, entry.sessionId(), entry.czxid());
        }
    }

    /** The session's handle if the entry's session is still the current one, else null (its nodes are gone). */
    private ZooKeeper liveHandle(QueueEntry entry) {
        if (session.isClosed() || session.sessionId() != entry.sessionId()) {
            return null;
        }
        try {
            ZooKeeper zk = session.zookeeper();
            return zk.getSessionId() == entry.sessionId() ? zk : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Waits for a delete's reply, bounded: ZooKeeper answers or reports connection loss within its read timeout. */
    private static <T> Reply<T> awaitDelete(ZooKeeper zk, CompletableFuture<Reply<T>> sent, java.time.Duration bound) {
        try {
            return Reply.await(sent, Deadline.after(bound != null ? bound
                    : java.time.Duration.ofMillis(Math.max(1000, zk.getSessionTimeout()))));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Deletes the entry's node; if {@code confirm}, waits for the reply up to {@code bound} (null: the client's own failure detection). */
    private void delete(QueueEntry entry, boolean confirm, java.time.Duration bound) {
        ZooKeeper zk = liveHandle(entry);
        if (zk == null) {
            return; // the node's session is over: the ensemble deleted it
        }
        if (!session.state().isConnected()) {
            Cleanup.deleteNode(session, serverPath, entry.node().name(), entry.sessionId());
            return;
        }
        CompletableFuture<Reply<Void>> sent = ZkOps.delete(zk, entry.serverPath());
        if (!confirm) {
            sent.thenAccept(r -> afterDelete(entry, r));
            return;
        }
        afterDelete(entry, awaitDelete(zk, sent, bound));
    }

    private void afterDelete(QueueEntry entry, Reply<Void> r) {
        if (r == null || r.connectionTrouble()) {
            Cleanup.deleteNode(session, serverPath, entry.node().name(), entry.sessionId());
        } else if (!r.ok() && r.code() != Code.NONODE && r.code() != Code.SESSIONEXPIRED) {
            LOG.warn("cannot delete {}: {}; it stays until its session ends", entry.path(), r.code());
        }
    }

    /** The queue in order (one getChildren), foreign children left out; empty if the directory does not exist. */
    public List<QueueNode> list() throws InterruptedException {
        session.ensureOpen();
        while (true) {
            if (!awaitConnected(Deadline.none())) {
                throw new IllegalStateException("unreachable");
            }
            Reply<List<String>> l = Reply.await(ZkOps.children(session.zookeeper(), serverPath, null), Deadline.none());
            if (l.ok()) {
                return parse(l.value());
            }
            if (l.code() == Code.NONODE) {
                return List.of();
            }
            if (l.code() == Code.NOAUTH) {
                throw new AccessDeniedException("not allowed to list " + path, path, session.sessionId(), null);
            }
            if (!l.connectionTrouble() && l.code() != Code.SESSIONEXPIRED) {
                throw new CoordinationException("cannot list " + path + ": " + l.code(), path, session.sessionId(), null);
            }
        }
    }

    /**
     * Every queue node with its data and stat, in queue order: one getChildren, then one getData
     * per node, pipelined (about 2 round trips in all). Nodes deleted in between, and persistent
     * nodes with queue names (no session holds them), are left out.
     *
     * @throws AccessDeniedException naming the node if this session may not read one of them
     */
    public List<NodeInfo> describe() throws InterruptedException {
        List<QueueNode> nodes = list();
        ZooKeeper zk = session.zookeeper();
        List<CompletableFuture<Reply<byte[]>>> replies = new ArrayList<>(nodes.size());
        for (QueueNode n : nodes) {
            replies.add(ZkOps.data(zk, serverPath + "/" + n.name(), null));
        }
        List<NodeInfo> out = new ArrayList<>(nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            Reply<byte[]> r = Reply.await(replies.get(i), Deadline.none());
            // A persistent node with a queue name is nobody's: waiters ignore it, so does introspection.
            if (r.ok() && r.stat().getEphemeralOwner() != 0) {
                out.add(new NodeInfo(nodes.get(i), r.value(), r.stat()));
            } else if (r.code() == Code.NOAUTH) {
                throw new AccessDeniedException("not allowed to read " + path + "/" + nodes.get(i).name(),
                        path + "/" + nodes.get(i).name(), session.sessionId(), null);
            }
        }
        return out;
    }

    /**
     * A queue node as read from the server.
     *
     * @param node the parsed name
     * @param data the node data (see {@link io.github.zkrecipes.Participant#decode})
     * @param stat the node's stat: {@code czxid} (fence), {@code ephemeralOwner} (session), {@code ctime}
     */
    public record NodeInfo(QueueNode node, byte[] data, Stat stat) {
        /** As the public introspection record, with {@code dir} the queue's user path. */
        public io.github.zkrecipes.RecipeNode toRecipeNode(String dir) {
            return new io.github.zkrecipes.RecipeNode(dir + "/" + node.name(), node.kind().segment(), node.weight(),
                    stat.getCzxid(), stat.getEphemeralOwner(), io.github.zkrecipes.Participant.decode(data),
                    java.time.Instant.ofEpochMilli(stat.getCtime()));
        }
    }

    /** Every queue node as {@link io.github.zkrecipes.RecipeNode}, in queue order (about 2 round trips). */
    public List<io.github.zkrecipes.RecipeNode> recipeNodes() throws InterruptedException {
        List<io.github.zkrecipes.RecipeNode> out = new ArrayList<>();
        for (NodeInfo n : describe()) {
            out.add(n.toRecipeNode(path));
        }
        return out;
    }

    /**
     * Waits until the head of the queue (its first node in queue order) is no longer {@code known},
     * and returns the new head with its data and stat, or empty if the queue is empty. For
     * observers that are not in the queue (an election's watchers of the leader).
     *
     * <p>{@code known} is the name of the head last seen, {@code ""} for "the queue was empty", or
     * {@code null} to return the current head at once. Exactly one watch is set while waiting: on
     * the head node (only a deletion or data change of the head wakes the caller, so joins and
     * leaves behind it cost nothing), on the directory's children when the queue is empty, or an
     * exists watch on the directory when it does not exist. Connection trouble and session loss
     * are ridden through (looked at again once connected); a change missed while disconnected is
     * found by the listing that follows. Cost: 1 getChildren + 1 getData per call that returns at
     * once; +1 getData (the watch) and another such pair per change waited for.
     *
     * @throws InterruptedException if interrupted; the watch is removed
     * @throws SessionLostException if the session is closed
     */
    public Optional<NodeInfo> awaitHead(String known) throws InterruptedException {
        Waiter waiter = new Waiter(session.sessionId());
        Registration registration;
        try {
            registration = session.addStateListener(waiter);
        } catch (IllegalStateException closed) {
            throw new SessionLostException("session closed", path, session.sessionId(), null);
        }
        boolean knownEmpty = known != null && known.isEmpty();
        java.util.Set<String> foreign = new java.util.HashSet<>(); // persistent nodes with queue names
        try {
            boolean armed = false; // a watch is set on what we saw: wait for it before looking again
            while (true) {
                if (armed) {
                    waiter.next(Deadline.none()); // any signal: look again, trust nothing
                    armed = false;
                }
                awaitConnected(Deadline.none());
                ZooKeeper zk = session.zookeeper();
                Reply<List<String>> l = Reply.await(ZkOps.children(zk, serverPath, null), Deadline.none());
                if (l.code() == Code.NOAUTH) {
                    throw new AccessDeniedException("not allowed to list " + path, path, session.sessionId(), null);
                }
                if (l.code() == Code.NONODE || (l.ok() && withoutNames(parse(l.value()), foreign).isEmpty())) {
                    if (!knownEmpty) {
                        return Optional.empty();
                    }
                    if (l.ok()) {
                        // Only a join can change an empty queue: watch the children of the directory.
                        Reply<List<String>> w = Reply.await(waiter.watchChildren(zk, serverPath), Deadline.none());
                        armed = w.ok() && withoutNames(parse(w.value()), foreign).isEmpty();
                    } else {
                        // No directory yet (or reaped): an exists watch fires when it is created.
                        Reply<Stat> e = Reply.await(waiter.watchExists(zk, serverPath), Deadline.none());
                        armed = e.code() == Code.NONODE;
                    }
                    continue;
                }
                if (!l.ok()) {
                    if (!l.connectionTrouble() && l.code() != Code.SESSIONEXPIRED) {
                        throw new CoordinationException("cannot list " + path + ": " + l.code(), path,
                                session.sessionId(), null);
                    }
                    continue; // wait for the connection, then look again
                }
                QueueNode head = withoutNames(parse(l.value()), foreign).get(0);
                String headPath = serverPath + "/" + head.name();
                if (head.name().equals(known)) {
                    // getData, not exists: if the head is already gone no watch is left behind.
                    Reply<byte[]> d = Reply.await(waiter.watchData(zk, headPath), Deadline.none());
                    if (d.code() == Code.NONODE || d.code() == Code.NOAUTH) {
                        waiter.notArmed(headPath);
                    }
                    if (d.code() == Code.NOAUTH) {
                        throw new AccessDeniedException("not allowed to read " + session.userPath(headPath),
                                session.userPath(headPath), session.sessionId(), KeeperException.create(Code.NOAUTH, headPath));
                    }
                    if (d.ok() && d.stat().getEphemeralOwner() == 0) {
                        waiter.disarm(headPath);
                        foreign.add(head.name()); // persistent: nobody's, never the head
                        continue;
                    }
                    armed = d.ok();
                    continue;
                }
                Reply<byte[]> d = Reply.await(ZkOps.data(zk, headPath, null), Deadline.none());
                if (d.ok() && d.stat().getEphemeralOwner() == 0) {
                    LOG.warn("ignoring {}: a persistent node with a queue node's name", headPath);
                    foreign.add(head.name());
                    continue;
                }
                if (d.ok()) {
                    return Optional.of(new NodeInfo(head, d.value(), d.stat()));
                }
                if (d.code() == Code.NOAUTH) {
                    throw new AccessDeniedException("not allowed to read " + session.userPath(headPath),
                            session.userPath(headPath), session.sessionId(), KeeperException.create(Code.NOAUTH, headPath));
                }
                // gone in between, or connection trouble: look again
            }
        } finally {
            registration.close();
            waiter.disarm();
        }
    }

    private void ensureAlive(QueueEntry entry) {
        if (session.isClosed()) {
            throw new SessionLostException("session closed while waiting", entry.path(), entry.sessionId(), null);
        }
        SessionState s = session.state();
        if (s == SessionState.LOST || session.sessionId() != entry.sessionId()) {
            throw new SessionLostException("session expired while waiting; the queue node is gone", entry.path(),
                    entry.sessionId(), null);
        }
    }

    /** The current handle, if the entry's session is still the current one. */
    /**
     * True if a synchronous request may stand in for an awaited asynchronous one: the deadline is
     * further away than the client's own failure detection (two thirds of the session timeout),
     * so a stalled connection fails the request before the deadline would have.
     */
    private static boolean syncAllowed(ZooKeeper zk, Deadline deadline) {
        return deadline.isForever() || deadline.remainingNanos() > TimeUnit.MILLISECONDS.toNanos(zk.getSessionTimeout());
    }

    private ZooKeeper handleFor(QueueEntry entry) {
        ensureAlive(entry);
        try {
            return session.zookeeper();
        } catch (IllegalStateException closed) {
            throw new SessionLostException("session closed while waiting", entry.path(), entry.sessionId(), null);
        }
    }

    private CoordinationException gone(QueueEntry entry, Code code) {
        return new SessionLostException("queue node was deleted by someone else (" + code + ") while its session lives",
                entry.path(), entry.sessionId(), null);
    }

    /** Secure ACLs name the creator ({@code auth} scheme): the server refuses them to a session that authenticated as nobody. */
    private AccessDeniedException noIdentity(long sid, KeeperException cause) {
        return new AccessDeniedException("the server refused the ACL " + session.aclProvider().getAclForPath(serverPath)
                + " for a node in " + path + ": secure ACLs need a session that authenticated (digest, SASL or a TLS"
                + " client certificate)", path, sid, cause);
    }

    /** A child that names something we cannot read: report it rather than wait blind or spin. */
    private AccessDeniedException unreadable(QueueEntry entry, String childServerPath) {
        return new AccessDeniedException("not allowed to read " + session.userPath(childServerPath)
                + ", a node ahead in the queue (a node of another tenant, or a directory shared without READ)",
                session.userPath(childServerPath), entry.sessionId(),
                KeeperException.create(Code.NOAUTH, childServerPath));
    }

    private void ensureDirectory() throws InterruptedException {
        try {
            ZKPaths.mkdirs(session.zookeeper(), serverPath, true, session.aclProvider(), true);
        } catch (KeeperException.NoAuthException e) {
            throw new AccessDeniedException("not allowed to create the directory " + path + " (or a parent of it)",
                    path, session.sessionId(), e);
        } catch (KeeperException.InvalidACLException e) {
            throw noIdentity(session.sessionId(), e);
        } catch (KeeperException e) {
            Code c = e.code();
            if (c != Code.CONNECTIONLOSS && c != Code.OPERATIONTIMEOUT && c != Code.SESSIONEXPIRED
                    && c != Code.SESSIONMOVED && c != Code.NODEEXISTS && c != Code.NONODE) {
                throw new CoordinationException("cannot create the directory " + path + ": " + c, path,
                        session.sessionId(), e);
            }
            // Connection trouble: the caller waits for the connection and tries again. NONODE: a
            // parent is an empty container the server reaped between two of mkdirs' creates: the
            // caller's next create fails with NONODE again and makes the parents anew.
        }
    }

    /**
     * Waits until the session is connected; false if the deadline passed first.
     *
     * @throws SessionLostException if the session is closed
     */
    private boolean awaitConnected(Deadline deadline) throws InterruptedException {
        return Connections.awaitConnected(session, path, deadline);
    }

    private void awaitNewSession(long expired, Deadline deadline) throws InterruptedException {
        // Curator replaces the expired handle; CONNECTED with a new id follows.
        CountDownLatch latch = new CountDownLatch(1);
        Registration r;
        try {
            r = session.addStateListener((state, id) -> {
                if ((state == SessionState.CONNECTED && id != expired) || state == SessionState.CLOSED) {
                    latch.countDown();
                }
            });
        } catch (IllegalStateException closed) {
            throw new SessionLostException("session closed", path, expired, closed);
        }
        try {
            if (session.sessionId() != expired && session.state().isConnected()) {
                return;
            }
            if (deadline.isForever()) {
                latch.await();
            } else {
                latch.await(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
            }
        } finally {
            r.close();
        }
    }

    static List<QueueNode> parse(List<String> children) {
        if (children == null) {
            return null;
        }
        List<QueueNode> nodes = new ArrayList<>(children.size());
        for (String c : children) {
            QueueNode n = QueueNode.parse(c);
            if (n != null) {
                nodes.add(n);
            }
        }
        nodes.sort(QueueNode.ORDER);
        return nodes;
    }

    private static int indexOf(List<QueueNode> nodes, QueueNode me) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).name().equals(me.name())) {
                return i;
            }
        }
        return -1;
    }

    private static List<QueueNode> withoutNames(List<QueueNode> nodes, java.util.Set<String> names) {
        if (names.isEmpty()) {
            return nodes;
        }
        List<QueueNode> copy = new ArrayList<>(nodes.size());
        for (QueueNode n : nodes) {
            if (!names.contains(n.name())) {
                copy.add(n);
            }
        }
        return copy;
    }

    private static List<QueueNode> without(List<QueueNode> nodes, List<QueueNode> gone) {
        List<QueueNode> copy = new ArrayList<>(nodes.size());
        for (QueueNode n : nodes) {
            boolean keep = true;
            for (QueueNode g : gone) {
                keep &= g == null || !n.name().equals(g.name());
            }
            if (keep) {
                copy.add(n);
            }
        }
        return copy;
    }
}
