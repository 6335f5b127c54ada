package io.github.zkrecipes.internal.queue;

import java.util.Comparator;
import java.util.Objects;

/**
 * One participant's node in a queue, parsed from its name:
 * {@code <kind>[.<weight>]_<id>_<sequence>}, for example {@code lease.3_5f0c…e1_0000000042}.
 *
 * <ul>
 *   <li>{@code kind}: {@link NodeKind#segment()};
 *   <li>{@code weight}: a positive count carried in the name (a semaphore lease's permits), 1 if
 *       absent, so that rules can count without reading node data;
 *   <li>{@code id}: the protected id, 32 hex digits, unique per join: after a connection loss
 *       during the create, the creator finds its node by it instead of creating a second one;
 *   <li>{@code sequence}: ZooKeeper's sequence suffix, a signed 32-bit number.
 * </ul>
 *
 * <p>Order is by sequence, compared as a 32-bit serial number (RFC 1982): {@code a} comes before
 * {@code b} when {@code b - a}, computed in 32 bits, is positive. This keeps arrival order across
 * the wrap from 2<sup>31</sup>−1 to −2<sup>31</sup>, which neither string order nor plain signed
 * order does, provided live nodes span less than 2<sup>31</sup> sequence numbers.
 *
 * @param name the node name (last path segment)
 * @param kind the node kind
 * @param weight the weight carried in the name, at least 1
 * @param id the protected id
 * @param sequence ZooKeeper's sequence number
 */
public record QueueNode(String name, NodeKind kind, int weight, String id, int sequence) {

    /** Queue order: serial-number order of sequences, then name (only ties of foreign nodes). */
    public static final Comparator<QueueNode> ORDER = (a, b) -> {
        int d = b.sequence - a.sequence; // wraps on purpose: serial-number arithmetic
        if (d != 0) {
            return d > 0 ? -1 : 1;
        }
        return a.name.compareTo(b.name);
    };

    static final int ID_LENGTH = 32;

    public QueueNode {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
    }

    /** The name prefix a node is created with; ZooKeeper appends the sequence. */
    static String prefix(NodeKind kind, int weight, String id) {
        return weight == 1 ? kind.segment() + "_" + id + "_" : kind.segment() + "." + weight + "_" + id + "_";
    }

    /**
     * Parses a child name, or returns {@code null} if it is not a queue node (a foreign child,
     * which every rule ignores).
     */
    public static QueueNode parse(String name) {
        int first = name.indexOf('_');
        if (first <= 0) {
            return null;
        }
        int idEnd = first + 1 + ID_LENGTH;
        if (name.length() < idEnd + 2 || name.charAt(idEnd) != '_') {
            return null;
        }
        String kindSegment = name.substring(0, first);
        int weight = 1;
        int dot = kindSegment.indexOf('.');
        if (dot >= 0) {
            try {
                weight = Integer.parseInt(kindSegment.substring(dot + 1));
            } catch (NumberFormatException e) {
                return null;
            }
            if (weight < 1) {
                return null;
            }
            kindSegment = kindSegment.substring(0, dot);
        }
        NodeKind kind = NodeKind.fromSegment(kindSegment);
        if (kind == null) {
            return null;
        }
        String id = name.substring(first + 1, idEnd);
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return null;
            }
        }
        String seq = name.substring(idEnd + 1);
        int sequence;
        try {
            sequence = Integer.parseInt(seq);
        } catch (NumberFormatException e) {
            return null;
        }
        return new QueueNode(name, kind, weight, id, sequence);
    }
}
