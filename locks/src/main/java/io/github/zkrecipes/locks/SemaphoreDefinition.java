package io.github.zkrecipes.locks;

import io.github.zkrecipes.AccessDeniedException;
import io.github.zkrecipes.CoordinationException;
import io.github.zkrecipes.ZkSession;
import java.nio.charset.StandardCharsets;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * Where a semaphore's permit count N lives: the data of its directory, as {@code permits=N}. The
 * first participant defines it (creating the directory as a container with that data); others
 * read it and must agree; {@link ZkSemaphore#setPermits} changes it with a compare-and-set.
 */
final class SemaphoreDefinition {
    private SemaphoreDefinition() {}

    static byte[] encode(int permits) {
        return ("permits=" + permits).getBytes(StandardCharsets.UTF_8);
    }

    /** N from directory data, or 0 if there is none. */
    static int parse(byte[] data) {
        if (data == null || data.length == 0) {
            return 0;
        }
        String s = new String(data, StandardCharsets.UTF_8).trim();
        if (!s.startsWith("permits=")) {
            return 0;
        }
        try {
            int n = Integer.parseInt(s.substring("permits=".length()).trim());
            return n > 0 ? n : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Reads N, defining it as {@code declared} if nobody has: one getData when it exists. */
    static int readOrDefine(ZkSession session, String path, int declared) throws InterruptedException {
        String serverPath = session.serverPath(path);
        while (true) {
            ZooKeeper zk = session.zookeeper();
            try {
                Stat stat = new Stat();
                int stored = parse(zk.getData(serverPath, false, stat));
                if (stored > 0) {
                    return stored;
                }
                zk.setData(serverPath, encode(declared), stat.getVersion()); // empty: define it
                return declared;
            } catch (KeeperException.NoNodeException e) {
                try {
                    String parent = ZKPaths.getPathAndNode(serverPath).getPath();
                    if (!parent.equals("/")) {
                        ZKPaths.mkdirs(zk, parent, true, session.aclProvider(), true);
                    }
                    zk.create(serverPath, encode(declared), session.aclProvider().getAclForPath(serverPath),
                            CreateMode.CONTAINER);
                    return declared;
                } catch (KeeperException.NodeExistsException raced) {
                    // defined by someone else meanwhile: read theirs
                } catch (KeeperException.NoNodeException reaped) {
                    // a parent was an empty container the server reaped meanwhile: make it again
                } catch (KeeperException k) {
                    fail(k, path, session);
                }
            } catch (KeeperException.BadVersionException raced) {
                // defined by someone else meanwhile: read theirs
            } catch (KeeperException k) {
                fail(k, path, session);
            }
        }
    }

    /** Sets N from {@code expected} to {@code next}; returns false if the stored N was not {@code expected}. */
    static boolean compareAndSet(ZkSession session, String path, int expected, int next) throws InterruptedException {
        String serverPath = session.serverPath(path);
        while (true) {
            ZooKeeper zk = session.zookeeper();
            try {
                Stat stat = new Stat();
                int stored = parse(zk.getData(serverPath, false, stat));
                if (stored != 0 && stored != expected) {
                    return false;
                }
                zk.setData(serverPath, encode(next), stat.getVersion());
                return true;
            } catch (KeeperException.NoNodeException e) {
                readOrDefine(session, path, next);
                return true;
            } catch (KeeperException.BadVersionException raced) {
                // changed meanwhile: look again
            } catch (KeeperException k) {
                fail(k, path, session);
            }
        }
    }

    private static void fail(KeeperException k, String path, ZkSession session) throws InterruptedException {
        switch (k.code()) {
            case CONNECTIONLOSS, OPERATIONTIMEOUT, SESSIONEXPIRED, SESSIONMOVED -> {
                session.ensureOpen();
                session.curator().blockUntilConnected(1, java.util.concurrent.TimeUnit.SECONDS);
                return; // try again (ensureOpen stops the loop once the session is closed)
            }
            case NOAUTH -> throw new AccessDeniedException("not allowed to read or define the semaphore's permits", path,
                    session.sessionId(), k);
            case INVALIDACL -> throw new AccessDeniedException("the server refused the semaphore directory's ACL "
                    + session.aclProvider().getAclForPath(session.serverPath(path))
                    + ": secure ACLs need a session that authenticated (digest, SASL or a TLS client certificate)",
                    path, session.sessionId(), k);
            default -> throw new CoordinationException("cannot read the semaphore's permits: " + k.code(), path,
                    session.sessionId(), k);
        }
    }
}
