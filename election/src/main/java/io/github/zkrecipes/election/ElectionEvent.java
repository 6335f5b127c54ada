package io.github.zkrecipes.election;

/**
 * A state change of a {@link Candidacy}, as delivered to its listeners, in order.
 *
 * @param previous the state before
 * @param state the state now
 * @param leadership the term this event concerns: the term gained, made uncertain, or just
 *     ended; {@code null} when no term is involved
 * @param cause for {@link ElectionState#FAILED}, what went wrong; otherwise {@code null}
 */
public record ElectionEvent(ElectionState previous, ElectionState state, Leadership leadership, Throwable cause) {

    /** The epoch of {@link #leadership()}, or 0 if none. */
    public long epoch() {
        return leadership == null ? 0 : leadership.epoch();
    }

    /** True if this event starts a term (leadership gained). */
    public boolean gainedLeadership() {
        return state == ElectionState.LEADING && !previous.inTerm();
    }

    /** True if this event ends a term: lost, resigned, closed or failed while leading. */
    public boolean lostLeadership() {
        return previous.inTerm() && !state.inTerm();
    }
}
