package io.github.zkrecipes.groups;

import io.github.zkrecipes.CoordinationException;
import io.github.zkrecipes.Registration;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.Validation;
import io.github.zkrecipes.internal.queue.Connections;
import io.github.zkrecipes.internal.queue.Deadline;
import io.github.zkrecipes.internal.queue.Reply;
import io.github.zkrecipes.internal.queue.SequentialQueue;
import io.github.zkrecipes.internal.queue.ZkOps;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shared, versioned configuration for a group: one persistent node holding a value that every
 * member can read, change with a compare-and-set, and follow.
 *
 * <pre>{@code
 * GroupConfig<String> cfg = GroupConfig.strings(session, "/groups/workers-config");
 * Versioned<String> now = cfg.read();
 * cfg.compareAndSet(now.version(), "batch=64");      // ConfigConflictException if someone was first
 * try (Registration r = cfg.addListener(v -> apply(v.value()))) { ... }
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>{@link #compareAndSet} writes only if the stored version is the expected one (ZooKeeper's
 *       conditional setData, or a create for {@link Versioned#ABSENT}); otherwise it throws
 *       {@link ConfigConflictException} and writes nothing. A write whose reply was lost is never
 *       reported as a conflict nor as a success by guesswork: see {@link #compareAndSet}.
 *   <li>A listener sees the current value first, then every value the node takes while connected
 *       (one persistent watch, no gaps between re-arming), in order, on its own thread; after a
 *       reconnection or session expiry it is re-read and delivered only if it changed. Rapid
 *       successive writes may be seen only as the latest one (each event reads the current value).
 * </ul>
 *
 * <h2>Cost in ZooKeeper round trips</h2>
 * read: 1; compareAndSet: 1 (+1 read on conflict); set: 1 (+1 if the node must be created);
 * a listener: 1 addWatch + 1 read, then 1 read per change; it holds one server-side watch.
 *
 * <h2>Not guaranteed</h2>
 * A read is sequentially consistent, not linearizable: it may be behind a write another client
 * just made; use {@code compareAndSet} to act on a version. The configuration is a persistent
 * node: it stays until {@link #delete()}d. Values are limited to about 1 MB.
 *
 * <h2>Threads</h2>
 * An immutable, thread-safe descriptor; no I/O in the constructor.
 */
public final class GroupConfig<T> {
    private static final Logger LOG = LoggerFactory.getLogger(GroupConfig.class);

    private final ZkSession session;
    private final String path;
    private final Codec<T> codec;

    /** @throws IllegalArgumentException naming the path if it is invalid */
    public GroupConfig(ZkSession session, String path, Codec<T> codec) {
        this.session = Objects.requireNonNull(session, "session");
        this.path = Validation.recipePath(path);
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    /** A configuration of raw bytes. */
    public static GroupConfig<byte[]> bytes(ZkSession session, String path) {
        return new GroupConfig<>(session, path, Codec.bytes());
    }

    /** A configuration of UTF-8 text. */
    public static GroupConfig<String> strings(ZkSession session, String path) {
        return new GroupConfig<>(session, path, Codec.utf8());
    }

    public String path() {
        return path;
    }

    /** The value and its version, or {@link Versioned#ABSENT} if there is none (1 round trip). */
    public Versioned<T> read() throws InterruptedException {
        Raw raw = readRaw();
        return raw == null ? Versioned.absent() : new Versioned<>(codec.decode(raw.data), raw.version);
    }

    private record Raw(byte[] data, int version) { }

    private Raw readRaw() throws InterruptedException {
        Stat stat = new Stat();
        try {
            byte[] data = curator().getData().storingStatIn(stat).forPath(path);
            return new Raw(data == null ? new byte[0] : data, stat.getVersion());
        } catch (KeeperException.NoNodeException e) {
            return null;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw failure("cannot read", e);
        }
    }

    /**
     * Writes {@code value} if the stored version is {@code expectedVersion} ({@link
     * Versioned#ABSENT}: only if there is none yet). 1 round trip.
     *
     * <p>Not retried blindly across a connection loss: a retry could not tell its own earlier
     * write from someone else's. After reconnecting, the version is read: if it is still the
     * expected one, the write was not applied and is sent again; otherwise the outcome is unknown
     * and a {@link CoordinationException} says so.
     *
     * @return the value written, with its new version
     * @throws ConfigConflictException if the version is another (nothing was written)
     * @throws CoordinationException if the connection dropped and the outcome cannot be known
     */
    public Versioned<T> compareAndSet(int expectedVersion, T value) throws InterruptedException {
        if (expectedVersion < Versioned.ABSENT) {
            throw new IllegalArgumentException("expected version must be ABSENT (-1) or at least 0, was "
                    + expectedVersion + " for " + path);
        }
        byte[] bytes = encode(value);
        String serverPath = session.serverPath(path);
        int parentsMade = 0; // a parent container may be reaped between making it and the create: a few tries
        while (true) {
            session.ensureOpen();
            Connections.awaitConnected(session, path, Deadline.none());
            ZooKeeper zk = session.zookeeper();
            Reply<?> r;
            if (expectedVersion == Versioned.ABSENT) {
                java.util.concurrent.CompletableFuture<Reply<String>> f = new java.util.concurrent.CompletableFuture<>();
                zk.create(serverPath, bytes, session.aclProvider().getAclForPath(serverPath), CreateMode.PERSISTENT,
                        (rc, p, ctx, name) -> f.complete(new Reply<>(Code.get(rc), name, null)), null);
                r = Reply.await(f, Deadline.none());
            } else {
                r = Reply.await(ZkOps.setData(zk, serverPath, bytes, expectedVersion), Deadline.none());
            }
            switch (r.code()) {
                case OK -> {
                    return new Versioned<>(value, expectedVersion == Versioned.ABSENT ? 0 : ((Stat) r.value()).getVersion());
                }
                case NONODE -> {
                    if (expectedVersion == Versioned.ABSENT && parentsMade < 5) {
                        makeParents(zk, serverPath);
                        parentsMade++;
                        continue;
                    }
                    throw new ConfigConflictException(path, session.sessionId(), expectedVersion, Versioned.ABSENT);
                }
                case BADVERSION, NODEEXISTS -> {
                    Raw now = readRaw();
                    throw new ConfigConflictException(path, session.sessionId(), expectedVersion,
                            now == null ? Versioned.ABSENT : now.version);
                }
                default -> {
                    if (!r.connectionTrouble() && r.code() != Code.SESSIONEXPIRED) {
                        throw failure("cannot write", KeeperException.create(r.code(), path));
                    }
                    Raw now = readRaw(); // after reconnecting (Curator retries the read)
                    int found = now == null ? Versioned.ABSENT : now.version;
                    if (found != expectedVersion) {
                        throw new CoordinationException("connection lost during compareAndSet of " + path
                                + " from version " + expectedVersion + ": it may or may not have been applied; the"
                                + " configuration is now at version " + found, path, session.sessionId(),
                                KeeperException.create(r.code(), path));
                    }
                    // still at the expected version: not applied; send it again
                }
            }
        }
    }

    private void makeParents(ZooKeeper zk, String serverPath) throws InterruptedException {
        String parent = ZKPaths.getPathAndNode(serverPath).getPath();
        if (parent.equals("/")) {
            return;
        }
        try {
            ZKPaths.mkdirs(zk, parent, true, session.aclProvider(), true);
        } catch (KeeperException e) {
            if (e.code() != Code.NODEEXISTS && e.code() != Code.CONNECTIONLOSS && e.code() != Code.NONODE) {
                throw failure("cannot create the parents of", e); // NONODE: a parent container was reaped meanwhile
            }
        }
    }

    /** Writes {@code value} whatever the stored version (1 round trip, 2 if the node is created). */
    public Versioned<T> set(T value) throws InterruptedException {
        byte[] bytes = encode(value);
        while (true) {
            try {
                Stat s = curator().setData().forPath(path, bytes);
                return new Versioned<>(value, s.getVersion());
            } catch (KeeperException.NoNodeException absent) {
                try {
                    curator().create().creatingParentContainersIfNeeded().forPath(path, bytes);
                    return new Versioned<>(value, 0);
                } catch (KeeperException.NodeExistsException raced) {
                    continue; // created meanwhile: overwrite it
                } catch (InterruptedException e) {
                    throw e;
                } catch (Exception e) {
                    throw failure("cannot create", e);
                }
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                throw failure("cannot write", e);
            }
        }
    }

    /**
     * Read, apply {@code change}, compare-and-set, repeated until no one else wrote in between.
     * {@code change} gets null if there is no value, and may run more than once.
     *
     * @return the value written
     */
    public Versioned<T> update(UnaryOperator<T> change) throws InterruptedException {
        Objects.requireNonNull(change, "change");
        while (true) {
            Versioned<T> now = read();
            try {
                return compareAndSet(now.version(), change.apply(now.value()));
            } catch (ConfigConflictException raced) {
                if (Thread.interrupted()) {
                    throw new InterruptedException("interrupted while updating " + path);
                }
            }
        }
    }

    /** Deletes the configuration, whatever its version; false if there was none. */
    public boolean delete() throws InterruptedException {
        try {
            curator().delete().guaranteed().forPath(path);
            return true;
        } catch (KeeperException.NoNodeException e) {
            return false;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw failure("cannot delete", e);
        }
    }

    /**
     * Follows the configuration: {@code listener} gets the current value (or an {@link
     * Versioned#ABSENT} one) and then every change, in order, on a thread of its own. One
     * persistent watch; closing the registration removes it and stops the thread.
     */
    public Registration addListener(Consumer<Versioned<T>> listener) {
        Objects.requireNonNull(listener, "listener");
        session.ensureOpen();
        Follower f = new Follower(listener);
        f.watch.start();
        return f::close;
    }

    /** One listener's state machine, on its watch's thread. */
    private final class Follower {
        private final Consumer<Versioned<T>> listener;
        private final PersistentWatch watch;
        private final String serverPath = session.serverPath(path);
        private boolean delivered;
        private long lastMzxid = -1; // of the value last delivered; -1: absent

        Follower(Consumer<Versioned<T>> listener) {
            this.listener = listener;
            this.watch = new PersistentWatch(session, serverPath, AddWatchMode.PERSISTENT, "zkr-group-config" + path,
                    this::onEvent, this::read);
        }

        private void onEvent(WatchedEvent e) {
            if (serverPath.equals(e.getPath())) {
                try {
                    read(session.zookeeper());
                } catch (RuntimeException closed) {
                    // session closed
                }
            }
        }

        private void read(ZooKeeper zk) {
            if (zk != null) {
                ZkOps.data(zk, serverPath, null).thenAccept(r -> watch.locked(() -> apply(r)));
            }
        }

        private void apply(Reply<byte[]> r) {
            if (!r.ok() && r.code() != Code.NONODE) {
                return; // connection trouble: the reconnection reads again
            }
            long mzxid = r.ok() ? r.stat().getMzxid() : -1;
            if (delivered && mzxid == lastMzxid) {
                return; // already seen
            }
            if (r.ok() && mzxid < lastMzxid) {
                return; // older than what was delivered
            }
            Versioned<T> v;
            try {
                v = r.ok() ? new Versioned<>(codec.decode(r.value() == null ? new byte[0] : r.value()), r.stat().getVersion())
                        : Versioned.absent();
            } catch (RuntimeException undecodable) {
                LOG.warn("configuration {} holds data the codec cannot decode; not delivered", path, undecodable);
                return;
            }
            delivered = true;
            lastMzxid = mzxid;
            watch.post(() -> {
                try {
                    listener.accept(v);
                } catch (RuntimeException e) {
                    LOG.warn("configuration listener of {} threw", path, e);
                }
            });
        }

        void close() {
            Duration wait;
            try {
                wait = session.isClosed() ? Duration.ZERO : session.negotiatedSessionTimeout();
            } catch (RuntimeException e) {
                wait = Duration.ZERO;
            }
            watch.close(wait);
        }
    }

    private byte[] encode(T value) {
        byte[] bytes = codec.encode(Objects.requireNonNull(value, "value"));
        if (bytes.length > SequentialQueue.MAX_DATA_BYTES) {
            throw new IllegalArgumentException("configuration value of " + bytes.length + " bytes for " + path
                    + " exceeds the " + SequentialQueue.MAX_DATA_BYTES + "-byte limit");
        }
        return bytes;
    }

    private CuratorFramework curator() {
        session.ensureOpen();
        return session.curator();
    }

    private CoordinationException failure(String what, Exception e) {
        Throwable cause = e;
        while (cause != null && !(cause instanceof org.apache.zookeeper.KeeperException)) {
            cause = cause.getCause();
        }
        if (cause instanceof org.apache.zookeeper.KeeperException.NoAuthException
                || cause instanceof org.apache.zookeeper.KeeperException.InvalidACLException) {
            return new io.github.zkrecipes.AccessDeniedException(what + " configuration " + path + ": not allowed ("
                    + ((org.apache.zookeeper.KeeperException) cause).code() + ")", path, session.sessionId(), e);
        }
        return new CoordinationException(what + " configuration " + path + ": " + e, path, session.sessionId(), e);
    }

    @Override
    public String toString() {
        return "GroupConfig[" + path + "]";
    }
}
