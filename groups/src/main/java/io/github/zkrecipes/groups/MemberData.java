package io.github.zkrecipes.groups;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A member node's data: the member id in UTF-8, a newline, then the member's own bytes, so that
 * {@code zkCli get} shows who it is. Ids cannot contain a newline ({@link #validateId}).
 */
final class MemberData {
    static final int MAX_ID_LENGTH = 256;

    private MemberData() {}

    /**
     * @throws IllegalArgumentException naming the id if it is null, empty, too long, or contains a
     *     control character
     */
    static String validateId(String id) {
        if (id == null) {
            throw new IllegalArgumentException("member id is null");
        }
        if (id.isEmpty() || id.isBlank()) {
            throw new IllegalArgumentException("member id '" + id + "' is blank");
        }
        if (id.length() > MAX_ID_LENGTH) {
            throw new IllegalArgumentException("member id '" + id.substring(0, 32) + "...' is " + id.length()
                    + " characters long; at most " + MAX_ID_LENGTH + " are allowed");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (Character.isISOControl(c)) {
                throw new IllegalArgumentException("member id '" + id.replaceAll("\\p{Cntrl}", "?")
                        + "' contains a control character (U+" + String.format("%04X", (int) c) + ") at index " + i);
            }
        }
        return id;
    }

    static byte[] encode(String id, byte[] data) {
        byte[] head = (id + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(head, head.length + data.length);
        System.arraycopy(data, 0, out, head.length, data.length);
        return out;
    }

    /** The id of member node data, or null if it is not member data. */
    static String id(byte[] raw) {
        if (raw == null) {
            return null;
        }
        for (int i = 0; i < raw.length && i <= MAX_ID_LENGTH * 4; i++) {
            if (raw[i] == '\n') {
                return i == 0 ? null : new String(raw, 0, i, StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** The member's own bytes of member node data (everything after the id line). */
    static byte[] payload(byte[] raw) {
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '\n') {
                return Arrays.copyOfRange(raw, i + 1, raw.length);
            }
        }
        return new byte[0];
    }

    /** A member from a node's data and stat, or null if the data is not member data. */
    static Member member(String dir, String name, byte[] raw, org.apache.zookeeper.data.Stat stat) {
        String id = id(raw);
        if (id == null) {
            return null;
        }
        return new Member(id, dir + "/" + name, stat.getEphemeralOwner(), stat.getCzxid(), stat.getVersion(), payload(raw));
    }
}
