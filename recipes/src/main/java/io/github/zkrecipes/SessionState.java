package io.github.zkrecipes;

/**
 * The connection and session state of a {@link ZkSession}, as every recipe sees it.
 *
 * <p>ZooKeeper distinguishes the <em>connection</em> (a TCP link to one server, which may drop and
 * come back) from the <em>session</em> (which lives on the ensemble until it expires or is closed,
 * and owns every ephemeral node: every lock, lease, leadership and membership). These states say
 * what the client knows about both:
 *
 * <ul>
 *   <li>{@link #CONNECTED}: a session is established. Emitted when a session is first
 *       established and when a <em>new</em> session replaces one that was {@link #LOST}.
 *   <li>{@link #SUSPENDED}: the connection is gone but the session may still be alive on the
 *       ensemble. Grants are in doubt: another client may be granted them once the session
 *       expires, and this client cannot know whether that has happened. Holders become
 *       {@link GrantState#UNCERTAIN}. Waiters keep waiting. A connection to a read-only server
 *       counts as suspended too: nothing can be written.
 *   <li>{@link #RECONNECTED}: the <em>same</em> session is back. Grants are re-validated with a
 *       write before holders report {@link GrantState#HELD} again.
 *   <li>{@link #LOST}: the session expired, or was given up after the session timeout passed
 *       while disconnected. Every ephemeral node of that session is gone or going: every grant is
 *       {@link GrantState#LOST}, every waiter fails. A new session follows ({@link #CONNECTED}).
 *   <li>{@link #CLOSED}: {@link ZkSession#close()} was called. Terminal.
 * </ul>
 */
public enum SessionState {
    CONNECTED,
    SUSPENDED,
    RECONNECTED,
    LOST,
    CLOSED;

    /** True when requests can be served now: {@link #CONNECTED} or {@link #RECONNECTED}. */
    public boolean isConnected() {
        return this == CONNECTED || this == RECONNECTED;
    }
}
