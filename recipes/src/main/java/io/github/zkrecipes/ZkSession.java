package io.github.zkrecipes;

import io.github.zkrecipes.internal.Validation;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.RetryPolicy;
import org.apache.curator.framework.AuthInfo;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.framework.imps.DefaultACLProvider;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A ZooKeeper session: the connection every zk-recipes recipe runs on, and the owner of
 * everything those recipes hold.
 *
 * <p>A session wraps a Curator {@link CuratorFramework} (connection handling, retries) and adds
 * the one connection-state model every recipe uses ({@link SessionState}), the participant
 * identity written into recipe nodes, and a {@link #close()} that ends everything: the ZooKeeper
 * session is closed, so the ensemble deletes every ephemeral node it created (locks, leases,
 * candidates, members) at once; blocked callers fail with {@link SessionLostException}; held
 * grants turn {@link GrantState#RELEASED}; the session's threads stop.
 *
 * <pre>{@code
 * try (ZkSession session = ZkSession.builder("zk1:2181,zk2:2181,zk3:2181")
 *         .namespace("my-service")
 *         .sessionTimeout(Duration.ofSeconds(10))
 *         .connect()) {
 *     // build recipes on the session
 * }
 * }</pre>
 *
 * <p><b>Connection states.</b> Listeners added with {@link #addStateListener} see every change in
 * order. After {@link SessionState#SUSPENDED} the session may still be alive; after {@link
 * SessionState#LOST} it is gone, and the session reconnects with a new ZooKeeper session ({@link
 * SessionState#CONNECTED}, new {@link #sessionId()}). Recipes follow these states themselves: no
 * listener needs to be wired by hand to learn that a lock was lost.
 *
 * <p><b>Cost.</b> Making a session costs one connection handshake; the session itself makes no
 * requests of its own (Curator's ensemble tracker, which would watch {@code /zookeeper/config},
 * is off).
 *
 * <p><b>Threads.</b> Thread-safe. Owns the ZooKeeper client's two threads and Curator's
 * background and connection-state threads; all stop in {@link #close()}.
 */
public final class ZkSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ZkSession.class);
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final String DEFAULT_PARTICIPANT = defaultParticipantId();

    private final String connectString;
    private final String namespace;
    private final String participantId;
    private final boolean pipelinedRelease;
    private final Duration connectionTimeout;
    private final ACLProvider aclProvider;
    private final CuratorFramework curator;
    private final ExecutorService runSafe;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object dispatchLock = new Object();
    private final Set<SessionStateListener> listeners = new LinkedHashSet<>();
    private volatile SessionState state; // null until first connected
    private volatile long sessionId;

    private ZkSession(Builder b) {
        this.connectString = b.connectString;
        this.namespace = b.namespace;
        this.participantId = b.participantId != null ? b.participantId : DEFAULT_PARTICIPANT;
        this.pipelinedRelease = b.pipelinedRelease;
        this.connectionTimeout = b.connectionTimeout;
        this.aclProvider = b.aclProvider != null ? b.aclProvider : new DefaultACLProvider();
        int n = COUNTER.incrementAndGet();
        // curator-framework 5.9.0 never shuts down the runSafe executor it makes for itself;
        // we hand it ours and shut it down in close().
        this.runSafe = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "zkr-session-" + n + "-safe");
            t.setDaemon(true);
            return t;
        });
        CuratorFrameworkFactory.Builder cb = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs(toIntMillis("session timeout", b.sessionTimeout))
                .connectionTimeoutMs(toIntMillis("connection timeout", b.connectionTimeout))
                .retryPolicy(b.retryPolicy != null ? b.retryPolicy : new ExponentialBackoffRetry(100, 5, 2_000))
                .aclProvider(aclProvider)
                .ensembleTracker(false)
                .runSafeService(runSafe)
                .threadFactory(r -> {
                    Thread t = new Thread(r, "zkr-session-" + n + "-curator");
                    t.setDaemon(true);
                    return t;
                });
        if (namespace != null) {
            cb.namespace(namespace);
        }
        if (!b.authInfos.isEmpty()) {
            cb.authorization(b.authInfos);
        }
        if (b.clientConfig != null) {
            cb.zkClientConfig(b.clientConfig);
        }
        this.curator = cb.build();
        this.curator.getConnectionStateListenable().addListener((client, newState) -> onCuratorState(newState));
    }

    /** Starts building a session to {@code connectString} ({@code host:port[,host:port...][/chroot]}). */
    public static Builder builder(String connectString) {
        return new Builder(connectString);
    }

    /** Connects with default settings; see {@link Builder#connect()}. */
    public static ZkSession connect(String connectString) {
        return builder(connectString).connect();
    }

    private void start() {
        curator.start();
        boolean connected;
        long started = System.nanoTime();
        try {
            connected = curator.blockUntilConnected((int) connectionTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly();
            throw new EnsembleUnreachableException("interrupted while connecting to '" + connectString + "'", e);
        }
        if (!connected) {
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            closeQuietly();
            throw new EnsembleUnreachableException("could not connect to ZooKeeper at '" + connectString
                    + "' within the connection timeout (waited " + waited + " ms)", null);
        }
        synchronized (dispatchLock) {
            if (state == null) {
                sessionId = currentZkSessionId();
                state = SessionState.CONNECTED;
            }
        }
        LOG.debug("session 0x{} connected to {}", Long.toHexString(sessionId), connectString);
    }

    private void closeQuietly() {
        closed.set(true);
        try {
            curator.close();
        } finally {
            runSafe.shutdownNow();
        }
    }

    private void onCuratorState(ConnectionState newState) {
        if (closed.get()) {
            return;
        }
        switch (newState) {
            case CONNECTED, RECONNECTED -> onConnected();
            case SUSPENDED, READ_ONLY -> publish(SessionState.SUSPENDED, sessionId);
            case LOST -> publish(SessionState.LOST, sessionId);
            default -> { }
        }
    }

    private void onConnected() {
        long id = currentZkSessionId();
        synchronized (dispatchLock) {
            if (state == null) {
                sessionId = id;
                state = SessionState.CONNECTED;
                return;
            }
            if (id == sessionId && state != SessionState.LOST) {
                if (state == SessionState.SUSPENDED) {
                    publish(SessionState.RECONNECTED, id);
                }
                return;
            }
            // A different session: the old one is gone whether or not anyone said so.
            if (state != SessionState.LOST) {
                publish(SessionState.LOST, sessionId);
            }
            sessionId = id;
            publish(SessionState.CONNECTED, id);
        }
    }

    private long currentZkSessionId() {
        try {
            return curator.getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            return 0;
        }
    }

    private void publish(SessionState newState, long id) {
        List<SessionStateListener> snapshot;
        synchronized (dispatchLock) {
            if (state == newState || state == SessionState.CLOSED) {
                return;
            }
            state = newState;
            LOG.debug("session 0x{}: {}", Long.toHexString(id), newState);
            snapshot = new ArrayList<>(listeners);
            for (SessionStateListener l : snapshot) {
                try {
                    l.stateChanged(newState, id);
                } catch (RuntimeException e) {
                    LOG.warn("session state listener {} threw on {}", l, newState, e);
                }
            }
        }
    }

    /**
     * Adds a listener for every later state change. The returned registration removes it.
     *
     * @throws IllegalStateException if the session is closed
     */
    public Registration addStateListener(SessionStateListener listener) {
        Objects.requireNonNull(listener, "listener");
        synchronized (dispatchLock) {
            ensureOpen();
            listeners.add(listener);
        }
        return () -> {
            synchronized (dispatchLock) {
                listeners.remove(listener);
            }
        };
    }

    /** The current state. Never null once the session is built. */
    public SessionState state() {
        return state;
    }

    /**
     * The current ZooKeeper session id. It changes after {@link SessionState#LOST}, when a new
     * session is established.
     */
    public long sessionId() {
        return sessionId;
    }

    /** True once {@link #close()} was called. */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Throws if this session is closed.
     *
     * @throws IllegalStateException naming the connect string and the session
     */
    public void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("session 0x" + Long.toHexString(sessionId) + " to '" + connectString
                    + "' is closed");
        }
    }

    /** The connect string this session was built with. */
    public String connectString() {
        return connectString;
    }

    /** The namespace every path is relative to, or {@code null} for none. */
    public String namespace() {
        return namespace;
    }

    /**
     * The identity this session writes into the recipe nodes it creates (default {@code
     * host:pid}), shown by introspection and {@code zkr inspect}.
     */
    public String participantId() {
        return participantId;
    }

    /** The ACL provider recipe nodes are created with. */
    /** True if releases are pipelined (see {@link Builder#pipelinedRelease(boolean)}). */
    public boolean pipelinedRelease() {
        return pipelinedRelease;
    }

    public ACLProvider aclProvider() {
        return aclProvider;
    }

    /** True if this session runs in secure mode ({@link Builder#secure()}). */
    public boolean isSecure() {
        return aclProvider instanceof SecureAcls;
    }

    /** The session timeout the ensemble granted (it clamps requests to [2, 20] × tickTime). */
    public Duration negotiatedSessionTimeout() {
        try {
            return Duration.ofMillis(curator.getZookeeperClient().getZooKeeper().getSessionTimeout());
        } catch (Exception e) {
            throw new CoordinationException("cannot read the session timeout", null, sessionId, e);
        }
    }

    /**
     * The Curator client under this session, with the session's namespace applied: for your own
     * znodes and for building the operations passed to {@link Grant#guarded}. Do not change or
     * delete recipe nodes through it, and do not close it: close the session.
     */
    public CuratorFramework curator() {
        return curator;
    }

    /**
     * The current raw ZooKeeper handle. It is replaced after {@link SessionState#LOST}. Used by
     * the recipes for pipelined requests; prefer {@link #curator()}.
     */
    public ZooKeeper zookeeper() {
        ensureOpen();
        try {
            return curator.getZookeeperClient().getZooKeeper();
        } catch (Exception e) {
            throw new CoordinationException("no ZooKeeper handle for '" + connectString + "'", null, sessionId, e);
        }
    }

    /** The path as the ensemble sees it: {@code path} with this session's namespace in front. */
    public String serverPath(String path) {
        return namespace == null ? path : ZKPaths.fixForNamespace(namespace, path);
    }

    /** The path as this session's users see it: {@code serverPath} without the namespace. */
    public String userPath(String serverPath) {
        if (namespace == null) {
            return serverPath;
        }
        String prefix = "/" + namespace;
        if (serverPath.equals(prefix)) {
            return "/";
        }
        return serverPath.startsWith(prefix + "/") ? serverPath.substring(prefix.length()) : serverPath;
    }

    /**
     * Closes the session. Idempotent; does not throw; waits at most about a second for the
     * ensemble to acknowledge. Listeners see {@link SessionState#CLOSED} first (so held grants
     * turn {@link GrantState#RELEASED} and blocked callers fail), then the ZooKeeper session is
     * closed, which makes the ensemble delete every ephemeral node of the session at once, and the
     * session's threads stop.
     */
    @Override
    public void close() {
        if (state == null || closed.get()) {
            return;
        }
        List<SessionStateListener> snapshot;
        long id;
        synchronized (dispatchLock) {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            id = sessionId;
            state = SessionState.CLOSED;
            snapshot = new ArrayList<>(listeners);
            for (SessionStateListener l : snapshot) {
                try {
                    l.stateChanged(SessionState.CLOSED, id);
                } catch (RuntimeException e) {
                    LOG.warn("session state listener {} threw on CLOSED", l, e);
                }
            }
            listeners.clear();
        }
        try {
            curator.close();
        } catch (RuntimeException e) {
            LOG.warn("closing session 0x{} failed", Long.toHexString(id), e);
        } finally {
            runSafe.shutdownNow();
        }
        LOG.debug("session 0x{} closed", Long.toHexString(id));
    }

    @Override
    public String toString() {
        return "ZkSession[0x" + Long.toHexString(sessionId) + " " + connectString
                + (namespace != null ? " ns=" + namespace : "") + " " + state + "]";
    }

    private static int toIntMillis(String what, Duration d) {
        long ms = d.toMillis();
        if (ms > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + " is too long: " + d);
        }
        return (int) ms;
    }

    private static String defaultParticipantId() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                host = "unknown-host";
            }
        }
        return host + ":" + ProcessHandle.current().pid();
    }

    /** The host name written into recipe nodes (from {@code HOSTNAME} or the local address). */
    static String localHost() {
        String id = DEFAULT_PARTICIPANT;
        return id.substring(0, id.lastIndexOf(':'));
    }

    /** Builds a {@link ZkSession}. Every setting has a default; only the connect string is required. */
    public static final class Builder {
        /** The longest participant id accepted (it goes into the data of every node). */
        public static final int MAX_PARTICIPANT_ID = 1024;
        private final String connectString;
        private String namespace;
        private Duration sessionTimeout = Duration.ofSeconds(15);
        private Duration connectionTimeout = Duration.ofSeconds(15);
        private RetryPolicy retryPolicy;
        private final List<AuthInfo> authInfos = new ArrayList<>();
        private ACLProvider aclProvider;
        private ZKClientConfig clientConfig;
        private String participantId;
        private boolean pipelinedRelease;

        private Builder(String connectString) {
            this.connectString = Validation.connectString(connectString);
        }

        /** A path prefix (without the leading '/') applied to every path of this session. */
        public Builder namespace(String namespace) {
            this.namespace = Validation.namespace(namespace);
            return this;
        }

        /**
         * The session timeout to ask for (default 15 s). The ensemble clamps it to [2, 20] ×
         * tickTime; {@link ZkSession#negotiatedSessionTimeout()} tells what was granted.
         */
        public Builder sessionTimeout(Duration timeout) {
            this.sessionTimeout = Validation.positive("session timeout", timeout);
            return this;
        }

        /** How long {@link #connect()} waits for the first connection (default 15 s). */
        public Builder connectionTimeout(Duration timeout) {
            this.connectionTimeout = Validation.positive("connection timeout", timeout);
            return this;
        }

        /** Curator's retry policy for operations on {@link ZkSession#curator()} (default exponential backoff, 5 retries). */
        public Builder retryPolicy(RetryPolicy policy) {
            this.retryPolicy = Objects.requireNonNull(policy, "retry policy");
            return this;
        }

        /** Adds authentication sent on every connection, for example {@code ("digest", "user:pw")}. */
        public Builder authorization(String scheme, byte[] auth) {
            if (scheme == null || scheme.isBlank()) {
                throw new IllegalArgumentException("authentication scheme is empty");
            }
            this.authInfos.add(new AuthInfo(scheme, Objects.requireNonNull(auth, "auth").clone()));
            return this;
        }

        /** Adds digest authentication as {@code user:password}. */
        public Builder digest(String user, String password) {
            if (user == null || user.isEmpty() || user.indexOf(':') >= 0) {
                throw new IllegalArgumentException("digest user '" + user + "' must be non-empty and contain no ':'");
            }
            if (password == null) {
                throw new IllegalArgumentException("digest password of user '" + user + "' is null");
            }
            return authorization("digest", (user + ":" + password).getBytes(StandardCharsets.UTF_8));
        }

        /**
         * The ACLs recipe nodes and their parents are created with (default: open ACL, {@code
         * world:anyone} may do anything). Replaces an earlier {@link #secure()}.
         */
        public Builder aclProvider(ACLProvider provider) {
            this.aclProvider = Objects.requireNonNull(provider, "ACL provider");
            return this;
        }

        /**
         * Secure mode: every node and directory the recipes create is writable, deletable and
         * readable only by the identity this session authenticates as ({@link #digest}, {@link
         * #authorization}, SASL, or a TLS client certificate), so no other client can break a
         * lock, pose as leader or member, or read member data. Same as {@code
         * secure(SecureAcls.creatorOnly())}; see {@link SecureAcls} and {@code docs/SECURITY.md}.
         *
         * <p>The session must authenticate: a recipe that creates a node without an
         * authenticated identity fails with {@link AccessDeniedException} saying so.
         */
        public Builder secure() {
            return secure(SecureAcls.creatorOnly());
        }

        /**
         * Secure mode with readers or co-users, for example {@code
         * secure(SecureAcls.creatorOnly().readableBy(SecureAcls.digest("ops", pw)))}.
         * Replaces an earlier {@link #aclProvider}.
         */
        public Builder secure(SecureAcls acls) {
            return aclProvider(Objects.requireNonNull(acls, "secure ACLs"));
        }

        /** ZooKeeper client settings (TLS, SASL, ...), passed through unchanged. */
        public Builder clientConfig(ZKClientConfig config) {
            this.clientConfig = Objects.requireNonNull(config, "client config");
            return this;
        }

        /**
         * Connects over TLS: ZooKeeper's Netty client socket, with {@code keyStore} holding this
         * client's key and certificate (its subject becomes the session's {@code x509} identity,
         * which secure mode's ACLs name) and {@code trustStore} the certificates, or CA, of the
         * servers. Store types follow the file names ({@code .p12}/{@code .pfx}, {@code .jks},
         * {@code .pem}). Sets these properties on the {@link #clientConfig} (a new one if none was
         * given); the connect string must name the servers' secure client ports.
         *
         * @throws IllegalArgumentException naming the file if a store does not exist
         */
        public Builder tls(java.nio.file.Path keyStore, String keyStorePassword, java.nio.file.Path trustStore,
                String trustStorePassword) {
            for (java.nio.file.Path f : new java.nio.file.Path[] {keyStore, trustStore}) {
                if (f == null || !java.nio.file.Files.isRegularFile(f) || !java.nio.file.Files.isReadable(f)) {
                    throw new IllegalArgumentException("TLS store '" + f + "' is not a readable file");
                }
            }
            ZKClientConfig c = clientConfig != null ? clientConfig : new ZKClientConfig();
            c.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
            c.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, "org.apache.zookeeper.ClientCnxnSocketNetty");
            c.setProperty("zookeeper.ssl.keyStore.location", keyStore.toString());
            c.setProperty("zookeeper.ssl.keyStore.password", Objects.requireNonNull(keyStorePassword, "key store password"));
            c.setProperty("zookeeper.ssl.trustStore.location", trustStore.toString());
            c.setProperty("zookeeper.ssl.trustStore.password",
                    Objects.requireNonNull(trustStorePassword, "trust store password"));
            this.clientConfig = c;
            return this;
        }

        /**
         * Whether releasing a grant (closing a lock handle, a lease, a term) waits for the
         * ensemble to confirm the delete of its node ({@code false}, the default) or only sends it
         * ({@code true}).
         *
         * <p>Confirmed (the default): when {@code close()} returns, the grant is free for every
         * client: one round trip per release. Pipelined: {@code close()} returns at once; this
         * session's next request is applied after the delete (so its own next acquire sees the
         * grant free), but <em>other</em> clients see it free only one commit later: a client told
         * "released" by other means may still find it held for a moment ({@code tryAcquire(ZERO)}
         * can fail). In exchange a session that releases and acquires in a loop waits for one
         * commit per cycle instead of two (uncontended lock cycles: about 1.5x). Safety is the
         * same either way: mutual exclusion, fences and guarded writes do not depend on it. A
         * failed delete is retried in the background in both modes.
         */
        public Builder pipelinedRelease(boolean pipelined) {
            this.pipelinedRelease = pipelined;
            return this;
        }

        /** The identity written into recipe nodes (default {@code host:pid}). */
        public Builder participantId(String id) {
            if (id == null || id.isBlank() || id.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("participant id '" + id + "' must be non-blank and one line");
            }
            if (id.length() > MAX_PARTICIPANT_ID) {
                // It is written into every recipe node: keep nodes far below ZooKeeper's 1 MB limit.
                throw new IllegalArgumentException("participant id '" + id.substring(0, 40) + "...' is " + id.length()
                        + " characters long; at most " + MAX_PARTICIPANT_ID + " are allowed");
            }
            this.participantId = id;
            return this;
        }

        /**
         * Builds the session and waits until it is connected.
         *
         * @throws EnsembleUnreachableException if no server answered within the connection
         *     timeout; the message names the connect string and the time waited
         */
        public ZkSession connect() {
            ZkSession s = new ZkSession(this);
            s.start();
            return s;
        }
    }
}
