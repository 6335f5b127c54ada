package io.github.zkrecipes.groups;

import io.github.zkrecipes.CoordinationException;

/**
 * A join was refused because another live member of the group already holds the id (its claim
 * node exists, see {@link ZkGroup}). The refused join left nothing behind. The other member keeps
 * the id until it leaves or its session ends (a crashed process's member stays until its session
 * times out).
 */
public class DuplicateMemberException extends CoordinationException {
    private static final long serialVersionUID = 1L;

    private final String memberId;
    private final long holderSession;

    public DuplicateMemberException(String memberId, String group, String claimNode, long holderSession, long sessionId) {
        super("member id '" + memberId + "' is already taken in group " + group + " by session 0x"
                + Long.toHexString(holderSession) + " (claim " + claimNode + ")", group, sessionId, null);
        this.memberId = memberId;
        this.holderSession = holderSession;
    }

    /** The id that is taken. */
    public String memberId() {
        return memberId;
    }

    /** The session of the member that holds the id. */
    public long holderSession() {
        return holderSession;
    }
}
