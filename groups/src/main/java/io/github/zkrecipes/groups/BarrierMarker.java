package io.github.zkrecipes.groups;

import java.nio.charset.StandardCharsets;

/**
 * The round marker of a {@link ZkDoubleBarrier}, stored as its directory's data: round {@code
 * round} consists of the barrier nodes with sequence numbers up to {@code last} (and above the
 * previous round's last). Written once per round, by the participant that sees the round complete,
 * with a compare-and-set on the directory's data version. Text: {@code round=<k> last=<seq>}.
 */
record BarrierMarker(long round, int last) {

    /** The marker in {@code data}, or null if there is none (a fresh directory). */
    static BarrierMarker parse(byte[] data) {
        if (data == null || data.length == 0) {
            return null;
        }
        long round = -1;
        Integer last = null;
        for (String part : new String(data, StandardCharsets.UTF_8).trim().split("\\s+")) {
            try {
                if (part.startsWith("round=")) {
                    round = Long.parseLong(part.substring(6));
                } else if (part.startsWith("last=")) {
                    last = Integer.parseInt(part.substring(5));
                }
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return round < 0 || last == null ? null : new BarrierMarker(round, last);
    }

    byte[] encode() {
        return ("round=" + round + " last=" + last).getBytes(StandardCharsets.UTF_8);
    }

    /** True if a node with {@code sequence} belongs to this round or an earlier one (serial-number order). */
    boolean covers(int sequence) {
        return last - sequence >= 0; // wraps on purpose: 32-bit serial-number arithmetic
    }
}
