/**
 * Groups on ZooKeeper: membership with a live view, double barriers, and a shared configuration.
 *
 * <ul>
 *   <li>{@link io.github.zkrecipes.groups.ZkGroup}: join with a unique member id and data
 *       ({@link io.github.zkrecipes.groups.Membership}: update, leave, automatic re-join after
 *       session expiry with listener notification); a one-shot {@code members()} listing.
 *   <li>{@link io.github.zkrecipes.groups.GroupView}: a live id-to-member map kept current with
 *       one persistent recursive watch, one read per change, listeners for joined, left and
 *       data-changed in order, convergence after reconnection and expiry.
 *   <li>{@link io.github.zkrecipes.groups.ZkDoubleBarrier}: enter and leave together, N
 *       participants, reusable rounds separated by a round marker in the directory's data,
 *       refusal of entrants beyond N, clean timeouts.
 *   <li>{@link io.github.zkrecipes.groups.GroupConfig}: a versioned value with compare-and-set,
 *       a change listener, and a {@link io.github.zkrecipes.groups.Codec} hook (bytes, UTF-8
 *       text, and {@code Codec.text} to plug in the JSON library of your choice: zk-recipes has
 *       no JSON dependency).
 * </ul>
 *
 * <p>Member and barrier nodes are created and removed through the shared queue engine ({@code
 * io.github.zkrecipes.internal.queue.SequentialQueue}): protected creates adopted after a lost
 * reply, session binding, guaranteed cleanup. Two plain nodes live beside them: a member id's
 * ephemeral claim ({@code id-<id>}, which makes ids unique on the ensemble) and the barrier's
 * round marker (the directory's data).
 *
 * <p><b>Not included:</b> group communication (a broadcast message log for the members), the
 * stretch goal of issue 5, is left out: its entries are persistent sequential nodes, which the
 * queue engine (the only place sequential nodes may be made) does not offer yet.
 */
package io.github.zkrecipes.groups;
