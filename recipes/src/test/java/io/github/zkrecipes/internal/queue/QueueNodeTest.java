package io.github.zkrecipes.internal.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class QueueNodeTest {
    private static final String ID = "0123456789abcdef0123456789abcdef";

    @Test
    void parsesKindWeightIdAndSignedSequence() {
        QueueNode n = QueueNode.parse("lease.3_" + ID + "_-000000042");
        assertEquals(NodeKind.LEASE, n.kind());
        assertEquals(3, n.weight());
        assertEquals(ID, n.id());
        assertEquals(-42, n.sequence());
        assertEquals(1, QueueNode.parse("lock_" + ID + "_0000000007").weight());
        assertEquals(Integer.MIN_VALUE, QueueNode.parse("lock_" + ID + "_-2147483648").sequence());
    }

    @Test
    void foreignNamesAreNotQueueNodes() {
        for (String name : List.of("junk", "lock_", "lock_xyz_0000000001", "lock_" + ID + "_abc", "lock_" + ID,
                "nosuchkind_" + ID + "_0000000001", "lease.0_" + ID + "_0000000001", "lease.x_" + ID + "_0000000001",
                "lock_" + ID.toUpperCase() + "_0000000001", "_c_" + ID + "-lock0000000001")) {
            assertNull(QueueNode.parse(name), name);
        }
    }

    @Test
    void sequenceNumbersAreOrderedAsSerialNumbersAcrossTheWrap() {
        // Arrival order as ZooKeeper's 32-bit counter wraps from 2^31-1 to -2^31.
        List<String> arrival = List.of(
                name(2147483645), name(2147483646), name(2147483647),
                name(-2147483648), name(-2147483647), name(-2));
        List<QueueNode> nodes = new ArrayList<>();
        for (String s : arrival) {
            nodes.add(QueueNode.parse(s));
        }
        Collections.shuffle(nodes, new java.util.Random(7));
        nodes.sort(QueueNode.ORDER);
        assertEquals(arrival, nodes.stream().map(QueueNode::name).toList());
        // String order would put the negative numbers first, and plain signed order too.
        List<String> byString = new ArrayList<>(arrival);
        byString.sort(null);
        org.junit.jupiter.api.Assertions.assertNotEquals(arrival, byString);
    }

    @Test
    void smallSequencesOrderNumericallyNotAsStrings() {
        List<QueueNode> nodes = new ArrayList<>(List.of(QueueNode.parse(name(-1)), QueueNode.parse(name(-10)),
                QueueNode.parse(name(3))));
        nodes.sort(QueueNode.ORDER);
        assertEquals(List.of(-10, -1, 3), nodes.stream().map(QueueNode::sequence).toList());
    }

    static String name(int sequence) {
        return "lock_" + ID + "_" + String.format(java.util.Locale.ROOT, "%010d", sequence);
    }
}
