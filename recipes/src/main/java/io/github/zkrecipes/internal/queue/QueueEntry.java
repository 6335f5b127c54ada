package io.github.zkrecipes.internal.queue;

import java.util.List;

/**
 * This session's own node in a {@link SequentialQueue}: what the engine knows of it from its
 * create reply. The {@code czxid} is the fencing token: ZooKeeper's transaction ids only grow, so
 * a later grant always carries a larger one, even across container re-creation (where sequence
 * numbers restart).
 */
public final class QueueEntry {
    private final SequentialQueue queue;
    private final QueueNode node;
    private final long czxid;
    private final long sessionId;
    private final byte[] data;
    private volatile List<String> initialListing;
    private volatile byte[] directoryData;   // the directory's data read with the create, if asked for
    private volatile org.apache.zookeeper.data.Stat directoryStat;

    QueueEntry(SequentialQueue queue, QueueNode node, long czxid, long sessionId, byte[] data, List<String> initialListing) {
        this.data = data;
        this.queue = queue;
        this.node = node;
        this.czxid = czxid;
        this.sessionId = sessionId;
        this.initialListing = initialListing;
    }

    public SequentialQueue queue() {
        return queue;
    }

    public QueueNode node() {
        return node;
    }

    /** The node's path, as the session's users see it (without the namespace). */
    public String path() {
        return queue.path() + "/" + node.name();
    }

    /** The node's path on the server (with the namespace). */
    public String serverPath() {
        return queue.serverPath() + "/" + node.name();
    }

    /** The transaction id that created the node: the fencing token. */
    public long czxid() {
        return czxid;
    }

    /** The session that owns the node (its {@code ephemeralOwner}). */
    public long sessionId() {
        return sessionId;
    }

    /** The data the node was created with. */
    byte[] data() {
        return data;
    }

    /**
     * The directory's data as read in the create's round trip (after the create), if the entry
     * was made with {@code readDirectory}; null otherwise or if the read failed.
     */
    public byte[] directoryData() {
        return directoryData;
    }

    /** The directory's stat read with {@link #directoryData()} (its data version), or null likewise. */
    public org.apache.zookeeper.data.Stat directoryStat() {
        return directoryStat;
    }

    void directoryData(byte[] data, org.apache.zookeeper.data.Stat stat) {
        this.directoryData = data;
        this.directoryStat = stat;
    }

    /**
     * The listing pipelined with the create (taken after the create, and after the directory's
     * data when that was read), for the first decision; handed out once, null after that or if
     * it failed.
     */
    public List<String> takeInitialListing() {
        List<String> l = initialListing;
        initialListing = null;
        return l;
    }

    @Override
    public String toString() {
        return path() + " (czxid " + czxid + ", session 0x" + Long.toHexString(sessionId) + ")";
    }
}
