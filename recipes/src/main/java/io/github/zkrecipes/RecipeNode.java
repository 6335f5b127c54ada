package io.github.zkrecipes;

import java.time.Duration;
import java.time.Instant;

/**
 * One node of a recipe as read from the server, for introspection: who holds a lock or waits for
 * it, in queue order. Returned by the recipes' {@code holders()}, {@code waiters()} and {@code
 * queue()} and printed by {@code zkr inspect}.
 *
 * @param path the node's path (without the session's namespace)
 * @param kind the node kind ({@code lock}, {@code read}, {@code write}, {@code lease}, ...)
 * @param weight the weight carried in the name (a lease's permits), 1 otherwise
 * @param fence the node's {@code czxid}: the fencing token of the grant it stands for
 * @param sessionId the session that owns it ({@code ephemeralOwner})
 * @param owner who created it, from its data
 * @param created when the server created it (server clock)
 */
public record RecipeNode(String path, String kind, int weight, long fence, long sessionId, Participant owner,
        Instant created) {

    /** How long ago the server created the node, by this machine's clock (for display). */
    public Duration age() {
        Duration d = Duration.between(created, Instant.now());
        return d.isNegative() ? Duration.ZERO : d;
    }
}
