package io.github.zkrecipes.testing;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.apache.jute.Record;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.proto.Create2Response;
import org.apache.zookeeper.proto.CreateResponse;
import org.apache.zookeeper.proto.ReplyHeader;
import org.apache.zookeeper.server.NIOServerCnxn;
import org.apache.zookeeper.server.NIOServerCnxnFactory;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * <b>Test-only</b> fault injection: a ZooKeeper server connection factory that simulates
 * "the create was applied on the server, but its reply was lost".
 *
 * <p>When armed with {@link #dropNextCreateReplies(String, int)}, the next {@code count} successful
 * create replies ({@code create}, {@code create2}, {@code createContainer}, {@code createTTL}, in
 * any {@link org.apache.zookeeper.CreateMode}, including sequential ones) whose <em>created</em>
 * path starts with the given prefix are not sent. Instead, the server closes that client's
 * connection (only the TCP connection, <em>not</em> the session). The node exists on the server,
 * but the client sees {@code KeeperException.ConnectionLossException} for that create, then
 * reconnects and resumes the <em>same</em> session (so an ephemeral node created by the lost
 * request still belongs to it). This is exactly the situation that Curator's "protected" creates,
 * or any recipe that must find its own sequential node after a connection loss, has to handle.
 *
 * <h2>Installing</h2>
 * The factory is chosen by {@code ServerCnxnFactory.createFactory()} from the system property
 * {@value ServerCnxnFactory#ZOOKEEPER_SERVER_CNXN_FACTORY} <em>when a server starts</em>, so call
 * {@link #install()} before starting the server, and {@link #uninstall()} when done so that
 * servers started later by other test classes in the same JVM are unaffected:
 * <pre>{@code
 * ReplyDroppingServerCnxnFactory.install();
 * TestingServer server = new TestingServer(true);   // uses this factory
 * ...
 * ReplyDroppingServerCnxnFactory.dropNextCreateReplies("/queue/", 1);
 * zk.create("/queue/n-", data, acl, CreateMode.EPHEMERAL_SEQUENTIAL); // -> ConnectionLossException
 * ...
 * server.close();
 * ReplyDroppingServerCnxnFactory.uninstall();
 * }</pre>
 * Until it is armed, the factory behaves exactly like ZooKeeper's default
 * {@link NIOServerCnxnFactory}.
 *
 * <h2>Details and limits</h2>
 * <ul>
 *   <li>The control state is static and thread-safe; it is shared by every server started while
 *       the factory is installed (the first matching create on any of them consumes an arming).</li>
 *   <li>The prefix is compared with the path as the <em>server</em> sees it: the actual created
 *       path (with a sequential suffix), including any chroot the client uses.</li>
 *   <li>Only successful creates count; a failed create (e.g. {@code NodeExists}) gets its normal
 *       error reply and does not consume an arming. A successful {@code multi} counts when one
 *       of its creates matches (its whole reply is dropped).</li>
 *   <li>The close is queued behind the replies already queued on that connection, so replies to
 *       earlier requests are still delivered; replies to requests the client pipelined after the
 *       create are lost as well (the client sees connection loss for them too), as with a real
 *       broken connection.</li>
 * </ul>
 */
public class ReplyDroppingServerCnxnFactory extends NIOServerCnxnFactory {

    private static final Logger LOG = LoggerFactory.getLogger(ReplyDroppingServerCnxnFactory.class);

    private static final String PROPERTY = ServerCnxnFactory.ZOOKEEPER_SERVER_CNXN_FACTORY;

    private static final Object LOCK = new Object();

    // All guarded by LOCK.
    private static boolean installed;
    private static String previousFactory;
    private static String armedPrefix;
    private static int remainingDrops;
    private static final List<String> droppedPaths = new ArrayList<>();

    /** Instantiated reflectively by {@code ServerCnxnFactory.createFactory()}. */
    public ReplyDroppingServerCnxnFactory() {
        super();
    }

    // ------------------------------------------------------------------ control API

    /**
     * Makes servers started from now on (in this JVM) use this factory, by setting the system
     * property {@value ServerCnxnFactory#ZOOKEEPER_SERVER_CNXN_FACTORY}. The previous value is kept
     * and restored by {@link #uninstall()}. Calling it again while installed has no effect. Servers
     * that are already running are not affected.
     */
    public static void install() {
        synchronized (LOCK) {
            if (installed) {
                return;
            }
            previousFactory = System.setProperty(PROPERTY, ReplyDroppingServerCnxnFactory.class.getName());
            installed = true;
        }
    }

    /**
     * Restores the system property to its value before {@link #install()} (removing it if it was
     * unset) and {@linkplain #reset() resets} the control state. Servers already started with this
     * factory keep using it (disarmed) until they stop. No effect if not installed.
     */
    public static void uninstall() {
        synchronized (LOCK) {
            if (installed) {
                if (previousFactory == null) {
                    System.clearProperty(PROPERTY);
                } else {
                    System.setProperty(PROPERTY, previousFactory);
                }
                previousFactory = null;
                installed = false;
            }
            reset();
        }
    }

    /** Whether {@link #install()} is in effect. */
    public static boolean isInstalled() {
        synchronized (LOCK) {
            return installed;
        }
    }

    /**
     * Arms the fault: the next {@code count} successful create replies whose created path starts
     * with {@code pathPrefix} are dropped, and the connection that would have carried each of them
     * is closed. Replaces any previous arming (the dropped count is kept).
     *
     * @param pathPrefix server-side path prefix, e.g. {@code "/q"} or {@code "/locks/lock-"}
     * @param count number of create replies to drop; {@code 0} disarms
     */
    public static void dropNextCreateReplies(String pathPrefix, int count) {
        Objects.requireNonNull(pathPrefix, "pathPrefix");
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0: " + count);
        }
        synchronized (LOCK) {
            armedPrefix = count == 0 ? null : pathPrefix;
            remainingDrops = count;
        }
    }

    /** How many create replies are still to be dropped under the current arming. */
    public static int remainingDrops() {
        synchronized (LOCK) {
            return remainingDrops;
        }
    }

    /** How many create replies have been dropped since the last {@link #reset()}. */
    public static int droppedCount() {
        synchronized (LOCK) {
            return droppedPaths.size();
        }
    }

    /**
     * The created paths (as the server named them, e.g. with the sequential suffix) whose replies
     * were dropped since the last {@link #reset()}, oldest first.
     */
    public static List<String> droppedPaths() {
        synchronized (LOCK) {
            return List.copyOf(droppedPaths);
        }
    }

    /** Disarms and clears the dropped count/paths. Does not change installation. */
    public static void reset() {
        synchronized (LOCK) {
            armedPrefix = null;
            remainingDrops = 0;
            droppedPaths.clear();
        }
    }

    /** Consumes one arming if {@code createdPath} matches; records it. */
    private static boolean claimDrop(String createdPath) {
        synchronized (LOCK) {
            if (remainingDrops <= 0 || createdPath == null || !createdPath.startsWith(armedPrefix)) {
                return false;
            }
            if (--remainingDrops == 0) {
                armedPrefix = null;
            }
            droppedPaths.add(createdPath);
            return true;
        }
    }

    // ------------------------------------------------------------------ server side

    @Override
    protected NIOServerCnxn createConnection(SocketChannel sock, SelectionKey sk, SelectorThread selectorThread)
            throws IOException {
        return new ReplyDroppingCnxn(zkServer, sock, sk, this, selectorThread);
    }

    /**
     * A connection that, for an armed matching create reply, closes itself instead of replying.
     * All replies go through the 6-argument {@code sendResponse} (the 3-argument overload in
     * {@code ServerCnxn} delegates to it).
     */
    private static final class ReplyDroppingCnxn extends NIOServerCnxn {

        ReplyDroppingCnxn(ZooKeeperServer zk, SocketChannel sock, SelectionKey sk,
                          NIOServerCnxnFactory factory, SelectorThread selectorThread) throws IOException {
            super(zk, sock, sk, factory, selectorThread);
        }

        @Override
        public int sendResponse(ReplyHeader h, Record r, String tag, String cacheKey, Stat stat, int opCode) {
            String createdPath = createdPath(h, r);
            if (createdPath != null && claimDrop(createdPath)) {
                LOG.info("Fault injection: dropping reply to create of {} (xid {}, zxid 0x{}) and closing "
                        + "the connection of session 0x{}", createdPath, h.getXid(), Long.toHexString(h.getZxid()),
                        Long.toHexString(getSessionId()));
                // Not a session close: this queues NIOServerCnxn's "close connection" marker behind the
                // replies already queued, and the selector closes only the socket when it reaches it.
                sendCloseSession();
                return 0;
            }
            return super.sendResponse(h, r, tag, cacheKey, stat, opCode);
        }

        /** The created path if this is the reply to a successful create of any kind, else null. */
        private static String createdPath(ReplyHeader h, Record r) {
            if (h == null || h.getErr() != 0) {
                return null;
            }
            if (r instanceof CreateResponse) {          // create
                return ((CreateResponse) r).getPath();
            }
            if (r instanceof Create2Response) {         // create2, createContainer, createTTL
                return ((Create2Response) r).getPath();
            }
            if (r instanceof org.apache.zookeeper.MultiResponse multi) { // a transaction: its last create
                String last = null;
                for (org.apache.zookeeper.OpResult result : multi.getResultList()) {
                    if (result instanceof org.apache.zookeeper.OpResult.CreateResult created) {
                        last = created.getPath();
                    } else if (result instanceof org.apache.zookeeper.OpResult.ErrorResult) {
                        return null; // failed: nothing was created
                    }
                }
                return last;
            }
            return null;
        }
    }
}
