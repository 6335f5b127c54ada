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
 * No I/O; guarded by its own monitor.
 */
final class Holds {
    private static final Map<ZkSession, Map<String, Holds>> REGISTRY = new WeakHashMap<>();

    private final ZkSession session;
    private final String key;
    private final boolean perThread;
    Thread owner;
    HeldGrant grant;
    int count;

    private Holds(ZkSession session, String key, boolean perThread) {
        this.session = session;
        this.key = key;
        this.perThread = perThread;
    }

    /** The record shared by every thread (an exclusive lock, a write lock). */
    static Holds of(ZkSession session, String path, String kind) {
        return lookup(session, kind + ":" + path, false);
    }

    /** The calling thread's own record (a read lock, which many threads hold at once). */
    static Holds ofCurrentThread(ZkSession session, String path, String kind) {
        return lookup(session, kind + ":" + path + "@" + Thread.currentThread().getId(), true);
    }

    private static Holds lookup(ZkSession session, String key, boolean perThread) {
        synchronized (REGISTRY) {
            return REGISTRY.computeIfAbsent(session, s -> new HashMap<>()).computeIfAbsent(key,
                    k -> new Holds(session, k, perThread));
        }
    }

    /** A per-thread record released by its owner is dropped, so short-lived threads leave nothing. */
    void forgetIfIdle() {
        if (perThread && owner == null && Thread.currentThread() == lastOwner) {
            synchronized (REGISTRY) {
                Map<String, Holds> m = REGISTRY.get(session);
                if (m != null && m.get(key) == this) {
                    m.remove(key);
                }
            }
        }
    }

    private Thread lastOwner;

    void set(Thread owner, HeldGrant grant) {
        this.owner = owner;
        this.lastOwner = owner;
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
}
