package io.github.zkrecipes.election;

import io.github.zkrecipes.Grant;
import io.github.zkrecipes.internal.queue.QueueEntry;

/**
 * One term of leadership: the handle on the leader's node, a {@link Grant} that adds its epoch
 * and {@link #resign()}.
 *
 * <p>{@link #epoch()} is the fencing token of the term (the node's {@code czxid}, see {@link
 * Grant} for the fencing story): every later term of the same election, by anyone, has a larger
 * one. {@link #guarded} writes apply only while this term's node exists, so a deposed leader's
 * writes fail with {@link io.github.zkrecipes.OwnershipLostException} and apply nothing. {@link
 * #state()} is {@code HELD} while leading, {@code UNCERTAIN} while the connection is suspended,
 * {@code LOST} once the session expired or the node is gone, {@code RELEASED} after a resign or
 * close; a term never comes back: a candidate that leads again gets a new handle and a new epoch.
 *
 * <p>{@link #close()} ends the term like {@link #resign()}.
 */
public final class Leadership extends Grant {
    private final Candidacy candidacy;

    Leadership(Candidacy candidacy, QueueEntry entry) {
        super(entry);
        this.candidacy = candidacy;
    }

    /** The term's epoch: the {@code czxid} of the leader's node, the same as {@link #fence()}. */
    public long epoch() {
        return fence();
    }

    /**
     * Ends this term and joins again at the tail (one delete, then one join), without closing the
     * session: the next candidate leads. Does nothing if this term is already over. Does not wait.
     */
    public void resign() {
        candidacy.resign(this);
    }

    /** The candidacy this term belongs to. */
    public Candidacy candidacy() {
        return candidacy;
    }

    /** Deletes the node (one round trip); called by the election thread only. */
    void end() {
        super.close();
    }

    /** Ends the term here at once (not held from now on); {@link #end()} deletes the node later. */
    void endNow() {
        releaseNow();
    }

    /** Same as {@link #resign()}: the term ends and the candidate joins again. */
    @Override
    public void close() {
        resign();
    }
}
