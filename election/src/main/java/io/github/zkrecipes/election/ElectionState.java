package io.github.zkrecipes.election;

/**
 * Where a {@link Candidacy} (or an {@link ElectedTask}) stands.
 *
 * <pre>
 * LATENT ──start()──▶ CONTENDING ◀──────────────┐ lost, resigned (re-joins at the tail)
 *                        │ granted              │
 *                        ▼                      │
 *                     LEADING ◀──▶ UNCERTAIN ───┘
 * any state ──close()/session closed──▶ CLOSED      any state ──unexpected error──▶ FAILED
 * </pre>
 *
 * <ul>
 *   <li>{@link #LATENT}: built, not started; no node on the ensemble.
 *   <li>{@link #CONTENDING}: the candidate has a node (or is making one, or waits for its session
 *       to come back) and waits for every candidate ahead of it to leave.
 *   <li>{@link #LEADING}: its node is the first; the session was connected at the last event.
 *   <li>{@link #UNCERTAIN}: it was leading, and the connection is suspended: the session, and so
 *       the leadership, may already be gone. Act as a non-leader until {@code LEADING} again.
 *   <li>{@link #CLOSED}: closed by the user, or its session was closed. Terminal; no node left.
 *   <li>{@link #FAILED}: the election thread met an error it cannot ride through (for example
 *       access denied); {@code failure()} tells the cause. Terminal; no node left.
 * </ul>
 */
public enum ElectionState {
    LATENT,
    CONTENDING,
    LEADING,
    UNCERTAIN,
    CLOSED,
    FAILED;

    /** True for {@link #CLOSED} and {@link #FAILED}. */
    public boolean isTerminal() {
        return this == CLOSED || this == FAILED;
    }

    /** True for {@link #LEADING} and {@link #UNCERTAIN}: a term is in progress. */
    public boolean inTerm() {
        return this == LEADING || this == UNCERTAIN;
    }
}
