package io.github.zkrecipes.election;

import io.github.zkrecipes.Participant;
import java.time.Instant;

/**
 * The leader of an election as read from the ensemble: who, in which term, with which session.
 * What anyone can see, participant or not ({@link ZkElection#leader()}, {@link
 * ZkElection#observe}).
 *
 * @param participant who created the leader's node (participant id, host, pid, thread)
 * @param epoch the term's epoch: the {@code czxid} of the leader's node; strictly larger for every
 *     later term of this election
 * @param sessionId the ZooKeeper session that owns the leader's node
 * @param path the leader's node (without the session's namespace)
 * @param joined when the server created the node (server clock; the candidate joined then and may
 *     have become leader later)
 */
public record Leader(Participant participant, long epoch, long sessionId, String path, Instant joined) {
}
