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

    Thread owner;
    HeldGrant grant;
    int count;

    static Holds of(ZkSession session, String path, String kind) {
        synchronized (REGISTRY) {
            return REGISTRY.computeIfAbsent(session, s -> new HashMap<>()).computeIfAbsent(kind + ":" + path, k -> new Holds());
        }
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
