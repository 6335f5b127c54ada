/**
 * Leader election with epochs, observers, resign, and defined behaviour across connection loss.
 *
 * <ul>
 *   <li>{@link io.github.zkrecipes.election.ZkElection}: the election (session and path); reads
 *       and observes the leader, for participants and non-participants alike.
 *   <li>{@link io.github.zkrecipes.election.Candidacy}: latch style: join, {@code isLeader()},
 *       await leadership, listeners, {@code resign()}, {@code close()}.
 *   <li>{@link io.github.zkrecipes.election.ElectedTask}: callback style: a {@link
 *       io.github.zkrecipes.election.LeaderTask} runs while leading and is cancelled on loss.
 *   <li>{@link io.github.zkrecipes.election.Leadership}: one term: its epoch (fencing token) and
 *       guarded writes.
 * </ul>
 *
 * <p>Built on the shared queue engine ({@code io.github.zkrecipes.internal.queue}): one
 * ephemeral-sequential candidate node per term, the exclusive wait rule.
 *
 * <p><b>Not provided:</b> balancing (candidate priorities, or a limit on how many elections one
 * participant leads at once). Candidates lead in arrival order.
 */
package io.github.zkrecipes.election;
