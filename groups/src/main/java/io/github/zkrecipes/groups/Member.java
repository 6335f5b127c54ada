package io.github.zkrecipes.groups;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A live member of a {@link ZkGroup}, as read from the server: immutable.
 *
 * @param id the member id, unique in the group
 * @param node the member's node path (without the session's namespace)
 * @param sessionId the ZooKeeper session that owns the node: the member lives as long as it does
 * @param czxid the transaction that created the node; a re-joined member has a larger one
 * @param version the node's data version (0 at join, +1 per {@link Membership#update})
 */
public record Member(String id, String node, long sessionId, long czxid, int version, byte[] data) {

    public Member {
        Objects.requireNonNull(id, "id");
        data = data == null ? new byte[0] : data.clone();
    }

    /** A copy of the member's data. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /** The member's data as UTF-8 text. */
    public String dataAsString() {
        return new String(data, StandardCharsets.UTF_8);
    }

    boolean sameData(Member other) {
        return other != null && Arrays.equals(data, other.data);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Member m && id.equals(m.id) && node.equals(m.node) && sessionId == m.sessionId
                && czxid == m.czxid && version == m.version && Arrays.equals(data, m.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, node, czxid, version) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Member[" + id + " at " + node + ", session 0x" + Long.toHexString(sessionId) + ", " + data.length
                + " bytes]";
    }
}
