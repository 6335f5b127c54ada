package io.github.zkrecipes.samples;

import io.github.zkrecipes.Participant;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * Group member nodes as {@link io.github.zkrecipes.groups.ZkGroup} writes them, read back for
 * {@code zkr inspect}: the data is the member id, a newline, then the member's own bytes (not
 * {@link Participant} lines), and the id is claimed by an ephemeral sibling {@code id-<url-encoded
 * id>} of the same session. Both formats are the groups module's; this mirrors them, and
 * {@code InspectRealRecipesTest} checks the mirror against the recipe itself.
 */
final class MemberNodes {
    private MemberNodes() {}

    /**
     * The member as a participant (its id, and its data as {@code extra}: its {@code key=value}
     * lines, or one entry {@code data}), or {@code null} if {@code data} is not a member's: no id
     * line, or no claim on that id owned by the node's session (1 round trip: an exists).
     */
    static Participant owner(ZooKeeper zk, String dir, byte[] data, Stat stat)
            throws KeeperException, InterruptedException {
        int nl = data == null ? -1 : indexOf(data, (byte) '\n');
        if (nl <= 0) {
            return null;
        }
        String id = new String(data, 0, nl, StandardCharsets.UTF_8);
        String claim = Inspection.join(dir, "id-" + URLEncoder.encode(id, StandardCharsets.UTF_8).replace(".", "%2E"));
        Stat claimStat = zk.exists(claim, false); // exists, not getData: no read permission needed, no watch left
        if (claimStat == null || claimStat.getEphemeralOwner() != stat.getEphemeralOwner()) {
            return null;
        }
        return new Participant(id, null, -1, null, null, extra(payload(data)));
    }

    /** The member's own data: everything after the id line. */
    static String payload(byte[] data) {
        int nl = indexOf(data, (byte) '\n');
        return new String(Arrays.copyOfRange(data, nl + 1, data.length), StandardCharsets.UTF_8);
    }

    private static Map<String, String> extra(String payload) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : payload.split("\n")) {
            int eq = line.indexOf('=');
            if (line.isBlank()) {
                continue;
            }
            if (eq <= 0) {
                return Map.of("data", payload.strip());
            }
            m.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return m;
    }

    private static int indexOf(byte[] data, byte b) {
        for (int i = 0; i < data.length; i++) {
            if (data[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
