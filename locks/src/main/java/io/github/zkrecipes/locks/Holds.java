package io.github.zkrecipes.locks;

import io.github.zkrecipes.GrantState;
import io.github.zkrecipes.ZkSession;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Who holds what, in this JVM, per session, lock path and kind: the owner thread, the grant and
 * the hold count. Shared by every lock object on the same session and path, so a thread that holds
 * a lock through one {@link ZkLock} re-enters it through another instead of queueing behind itself.
 * No I/O.
 *
 * <p>A record lives while someone uses it: while it has an owner, or while an acquire that looked
 * it up is in flight ({@link #use} ... {@link #done}). Then it is dropped, so locking ever new
 * paths (one per customer, say) leaves nothing behind, and a closed session's records go with it
 * (the registry holds sessions weakly, and no record refers to its session).
 *
 * <p>Locking order: the registry's monitor, then a record's; never the other way round.
 */
final class Holds {
    private static final Map<ZkSession, Map<String, Holds>> REGISTRY = new WeakHashMap<>();

    private final Map<String, Holds> home; // the session's records; guarded by REGISTRY
    private final String key;
    private int users; // acquires in flight that looked this record up; guarded by REGISTRY
    Thread owner;
    HeldGrant grant;
    int count;

    private Holds(Map<String, Holds> home, String key) {
        this.home = home;
        this.key = key;
    }

    /** The record shared by every thread (an exclusive lock, a write lock), for an acquire: call {@link #done} after. */
    static Holds use(ZkSession session, String path, String kind) {
        return lookup(session, kind + ":" + path, true);
    }

    /** The calling thread's own record (a read lock, which many threads hold at once), for an acquire. */
    static Holds useOfCurrentThread(ZkSession session, String path, String kind) {
        return lookup(session, kind + ":" + path + "@" + Thread.currentThread().getId(), true);
    }

    /** The shared record if there is one (no acquire: nothing is created). */
    static Holds peek(ZkSession session, String path, String kind) {
        return lookup(session, kind + ":" + path, false);
    }

    /** The calling thread's own record if there is one. */
    static Holds peekOfCurrentThread(ZkSession session, String path, String kind) {
        return lookup(session, kind + ":" + path + "@" + Thread.currentThread().getId(), false);
    }

    private static Holds lookup(ZkSession session, String key, boolean use) {
        synchronized (REGISTRY) {
            Map<String, Holds> home = REGISTRY.get(session);
            if (home == null) {
                if (!use) {
                    return null;
                }
                home = new HashMap<>();
                REGISTRY.put(session, home);
            }
            Holds h = home.get(key);
            if (h == null) {
                if (!use) {
                    return null;
                }
                h = new Holds(home, key);
                home.put(key, h);
            }
            if (use) {
                h.users++;
            }
            return h;
        }
    }

    /** The acquire that called {@link #use} is over (granted or not). */
    void done() {
        synchronized (REGISTRY) {
            users--;
            forgetIfUnusedLocked();
        }
    }

    /** Drops the record if nobody holds it and no acquire uses it. Call without this record's monitor. */
    void forgetIfIdle() {
        synchronized (REGISTRY) {
            forgetIfUnusedLocked();
        }
    }

    private void forgetIfUnusedLocked() {
        if (users > 0) {
            return;
        }
        synchronized (this) {
            if (owner != null) {
                return;
            }
        }
        if (home.get(key) == this) {
            home.remove(key);
        }
    }

    /** Records {@code owner} as the holder of {@code grant}. Caller holds the monitor. */
    void set(Thread owner, HeldGrant grant) {
        this.owner = owner;
        this.grant = grant;
        this.count = 1;
    }

    /** The grant if {@code thread} holds it and it is not over, else null. Caller holds the monitor. */
    HeldGrant heldBy(Thread thread) {
        if (owner == thread && grant != null && !grant.state().isTerminal()) {
            return grant;
        }
        if (grant != null && grant.state().isTerminal() && owner == thread) {
            clear(); // lost: start afresh
        }
        return null;
    }

    void clear() {
        owner = null;
        grant = null;
        count = 0;
    }

    boolean isLive() {
        return grant != null && grant.state() != GrantState.RELEASED && grant.state() != GrantState.LOST;
    }

    /** How many records this JVM keeps for {@code session} (for tests). */
    static int size(ZkSession session) {
        synchronized (REGISTRY) {
            Map<String, Holds> home = REGISTRY.get(session);
            return home == null ? 0 : home.size();
        }
    }
}
