/**
 * The shared sequential-node queue: the one mechanism every zk-recipes recipe is built from.
 * <strong>Not for users:</strong> this package is public only so that the recipe modules can
 * reach it; it is not a stable API.
 *
 * <p>{@link io.github.zkrecipes.internal.queue.SequentialQueue} is the only code that creates,
 * lists, orders and watches ephemeral-sequential nodes. A recipe contributes only its {@link
 * io.github.zkrecipes.internal.queue.WaitRule}: given the nodes ahead of its own, is it granted,
 * or which one node (or the directory) must change before it could be?
 */
package io.github.zkrecipes.internal.queue;
