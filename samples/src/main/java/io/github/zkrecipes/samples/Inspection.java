package io.github.zkrecipes.samples;

import io.github.zkrecipes.Participant;
import io.github.zkrecipes.internal.queue.NodeKind;
import io.github.zkrecipes.internal.queue.QueueNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;

/**
 * What {@code zkr inspect} found under a path: every directory holding recipe nodes, read as the
 * recipe its node kinds make (lock, read-write lock, semaphore, election, barrier, group), and the
 * findings: orphaned nodes, nodes whose owner session disagrees with their recorded identity, and
 * world-writable recipe nodes.
 *
 * <p>Reads only names, data, stats and ACLs: a node's kind, weight and sequence come from its
 * name, its owner from its data ({@link Participant}), its fence (czxid), creation time and owner
 * session (ephemeralOwner) from its stat. Nothing is written. Round trips: one {@code
 * getChildren} per znode under the path, plus {@code getData} and {@code getACL} for each recipe
 * node and directory.
 */
final class Inspection {
    /** A recipe node as read. */
    record Node(String name, QueueNode q, Stat stat, Participant owner, String data, List<ACL> acl) {
        /** False if this session may not read the node: then its data and ACL are unknown (acl null). */
        boolean readable() {
            return acl != null;
        }

        long fence() {
            return stat.getCzxid();
        }

        long session() {
            return stat.getEphemeralOwner();
        }

        Instant created() {
            return Instant.ofEpochMilli(stat.getCtime());
        }

        String ownerId() {
            return owner.id() != null ? owner.id() : "?";
        }
    }

    /**
     * One recipe in one directory.
     *
     * @param type lock, rwlock, semaphore, election, barrier or group
     * @param nodes in queue order
     * @param holders how many of the first nodes hold it (leader: 1; barrier and group: all)
     * @param permits a semaphore's N from its directory data, 0 if unknown
     */
    record Recipe(String dir, String type, List<Node> nodes, int holders, int permits, List<ACL> dirAcl) {
        String role(int i) {
            return switch (type) {
                case "election" -> i == 0 ? "leader" : "candidate";
                case "barrier" -> "entered";
                case "group" -> "member";
                default -> i < holders ? "holder" : "waiter";
            };
        }
    }

    /** Something wrong: {@code kind} is orphan, identity, unreadable or world-writable. */
    record Finding(String path, String kind, String detail) {}

    final String root;
    final List<Recipe> recipes = new ArrayList<>();
    final List<Finding> findings = new ArrayList<>();
    final SessionList sessions;

    private Inspection(String root, SessionList sessions) {
        this.root = root;
        this.sessions = sessions;
    }

    /**
     * Walks the tree under {@code root} (the {@code /zookeeper} system tree excepted).
     *
     * @param sessions the live sessions, or {@code null} to skip the liveness check
     * @throws KeeperException.NoNodeException if {@code root} does not exist
     */
    static Inspection of(ZooKeeper zk, String root, SessionList sessions) throws KeeperException, InterruptedException {
        Inspection in = new Inspection(root, sessions);
        Deque<String> todo = new ArrayDeque<>();
        todo.add(root);
        boolean first = true;
        while (!todo.isEmpty()) {
            String dir = todo.poll();
            List<String> children;
            try {
                children = new ArrayList<>(zk.getChildren(dir, false));
            } catch (KeeperException.NoNodeException gone) {
                if (first) {
                    throw gone;
                }
                continue; // deleted while we walked
            } catch (KeeperException.NoAuthException denied) {
                if (first) {
                    throw denied;
                }
                // A tenant's secure directory: say so, and go on with the rest of the tree.
                in.findings.add(new Finding(dir, "unreadable", "this session may not list it (no READ in its ACL): "
                        + "its recipes are not shown; inspect with --digest of an identity that may read it"));
                continue;
            }
            first = false;
            children.sort(null);
            List<String> recipeChildren = new ArrayList<>();
            for (String child : children) {
                String path = dir.equals("/") ? "/" + child : dir + "/" + child;
                if (path.equals("/zookeeper")) {
                    continue;
                }
                if (QueueNode.parse(child) != null) {
                    recipeChildren.add(child);
                } else {
                    todo.add(path);
                }
            }
            if (!recipeChildren.isEmpty()) {
                in.readDirectory(zk, dir, recipeChildren);
            }
        }
        in.checkIdentities();
        // The worst first: orphans block queues, identity mismatches mislead, open ACLs are a risk.
        List<String> order = List.of("orphan", "identity", "world-writable", "unreadable");
        in.findings.sort(java.util.Comparator.comparing((Finding f) -> order.indexOf(f.kind())).thenComparing(Finding::path));
        return in;
    }

    private void readDirectory(ZooKeeper zk, String dir, List<String> names) throws KeeperException, InterruptedException {
        Map<NodeKind, List<Node>> byKind = new LinkedHashMap<>();
        List<Node> all = new ArrayList<>();
        for (String name : names) {
            String path = dir.equals("/") ? "/" + name : dir + "/" + name;
            QueueNode q = QueueNode.parse(name);
            Node n;
            try {
                Stat stat = new Stat();
                byte[] data = zk.getData(path, false, stat);
                List<ACL> acl = zk.getACL(path, new Stat());
                Participant owner = Participant.decode(data);
                String shown = text(data);
                if (owner.id() == null && q.kind() == NodeKind.MEMBER) {
                    // ZkGroup writes "<id>\n<data>", not participant lines: read it as the group does.
                    Participant member = MemberNodes.owner(zk, dir, data, stat);
                    if (member != null) {
                        owner = member;
                        shown = MemberNodes.payload(data);
                    }
                }
                n = new Node(name, q, stat, owner, shown, acl);
            } catch (KeeperException.NoNodeException released) {
                continue; // released while we read: not part of the picture any more
            } catch (KeeperException.NoAuthException denied) {
                // exists needs no permission: the node's order, owner and fence are still known.
                Stat stat = zk.exists(path, false);
                if (stat == null) {
                    continue;
                }
                n = new Node(name, q, stat, Participant.decode(null), "", null);
            }
            byKind.computeIfAbsent(q.kind(), k -> new ArrayList<>()).add(n);
            all.add(n);
        }
        for (List<Node> l : byKind.values()) {
            l.sort((a, b) -> QueueNode.ORDER.compare(a.q(), b.q()));
        }
        Stat dirStat = new Stat();
        byte[] dirData;
        List<ACL> dirAcl;
        try {
            dirData = zk.getData(dir, false, dirStat);
            dirAcl = zk.getACL(dir, new Stat());
        } catch (KeeperException.NoNodeException gone) {
            return;
        } catch (KeeperException.NoAuthException denied) {
            dirData = null; // listable but not readable: READ was given on the children only
            dirAcl = null;
        }

        // Read-write lock nodes and plain lock nodes in one directory: lock nodes count as writers,
        // as the read-write lock's rules treat them.
        Set<NodeKind> kinds = EnumSet.noneOf(NodeKind.class);
        kinds.addAll(byKind.keySet());
        if (kinds.contains(NodeKind.READ) || kinds.contains(NodeKind.WRITE)) {
            List<Node> rw = new ArrayList<>();
            for (NodeKind k : List.of(NodeKind.READ, NodeKind.WRITE, NodeKind.LOCK)) {
                rw.addAll(byKind.getOrDefault(k, List.of()));
            }
            rw.sort((a, b) -> QueueNode.ORDER.compare(a.q(), b.q()));
            int holders = 0;
            while (holders < rw.size() && rw.get(holders).q().kind() == NodeKind.READ) {
                holders++;
            }
            recipes.add(new Recipe(dir, "rwlock", rw, rw.isEmpty() ? 0 : Math.max(holders, 1), 0, dirAcl));
        } else if (kinds.contains(NodeKind.LOCK)) {
            recipes.add(new Recipe(dir, "lock", byKind.get(NodeKind.LOCK), 1, 0, dirAcl));
        }
        if (kinds.contains(NodeKind.LEASE)) {
            List<Node> leases = byKind.get(NodeKind.LEASE);
            int permits = permits(dirData);
            int holders = 0;
            long used = 0;
            for (Node n : leases) {
                used += n.q().weight();
                if (permits > 0 && used > permits) {
                    break; // FIFO: nobody behind a lease that does not fit is granted
                }
                holders++;
            }
            recipes.add(new Recipe(dir, "semaphore", leases, permits > 0 ? holders : 0, permits, dirAcl));
        }
        if (kinds.contains(NodeKind.CANDIDATE)) {
            recipes.add(new Recipe(dir, "election", byKind.get(NodeKind.CANDIDATE), 1, 0, dirAcl));
        }
        if (kinds.contains(NodeKind.BARRIER)) {
            List<Node> b = byKind.get(NodeKind.BARRIER);
            recipes.add(new Recipe(dir, "barrier", b, b.size(), 0, dirAcl));
        }
        if (kinds.contains(NodeKind.MEMBER)) {
            List<Node> m = byKind.get(NodeKind.MEMBER);
            recipes.add(new Recipe(dir, "group", m, m.size(), 0, dirAcl));
        }

        for (Node n : all) {
            String path = dir.equals("/") ? "/" + n.name() : dir + "/" + n.name();
            if (!n.readable()) {
                findings.add(new Finding(path, "unreadable", "this session may not read it (no READ in its ACL): its "
                        + "owner's identity, data and ACL are not shown"));
                continue;
            }
            if (n.session() == 0) {
                findings.add(new Finding(path, "orphan", "persistent node with a protected name: no session owns it, "
                        + "so nothing will ever delete it" + (blocks(n.q().kind())
                                ? "; zk-recipes skips it, older clients queue behind it" : "")));
            } else if (sessions != null && sessions.complete() && !sessions.sessions().contains(n.session())) {
                findings.add(new Finding(path, "orphan", "owner session 0x" + Long.toHexString(n.session())
                        + " has no connection to any server: its client is gone, and the node stays until the session"
                        + " expires"));
            }
            String recorded = n.owner().extra().get("session");
            if (recorded != null && n.session() != 0 && parseSession(recorded) != n.session()) {
                findings.add(new Finding(path, "identity", "its data records session " + recorded
                        + " but it is owned by session 0x" + Long.toHexString(n.session())));
            }
            if (n.owner().id() == null) {
                findings.add(new Finding(path, "identity", "its data records no participant identity"));
            }
        }
        worldWritable(dir, dirAcl, all);
    }

    /** Several participants recorded in the nodes of one session: at most one of them is telling the truth. */
    private void checkIdentities() {
        Map<Long, Set<String>> ids = new HashMap<>();
        Map<Long, List<String>> paths = new HashMap<>();
        for (Recipe r : recipes) {
            for (Node n : r.nodes()) {
                if (n.session() != 0 && n.owner().id() != null) {
                    ids.computeIfAbsent(n.session(), s -> new LinkedHashSet<>()).add(identity(n.owner()));
                    paths.computeIfAbsent(n.session(), s -> new ArrayList<>()).add(join(r.dir(), n.name()));
                }
            }
        }
        ids.forEach((session, who) -> {
            // A group member's node records only its id (ZkGroup's format), no host: it agrees with
            // any node of the same id that names one.
            who.removeIf(w -> !w.contains(" on ") && who.stream().anyMatch(o -> o.startsWith(w + " on ")));
            if (who.size() > 1) {
                for (String path : paths.get(session)) {
                    findings.add(new Finding(path, "identity", "session 0x" + Long.toHexString(session)
                            + " owns nodes recorded as different participants: " + String.join(", ", who)));
                }
            }
        });
    }

    private void worldWritable(String dir, List<ACL> dirAcl, List<Node> nodes) {
        String dirPerms = dirAcl == null ? null : worldPerms(dirAcl);
        List<Node> open = nodes.stream().filter(n -> n.readable() && worldPerms(n.acl()) != null).toList();
        if (dirPerms != null) {
            findings.add(new Finding(dir, "world-writable", "world:anyone may " + dirPerms
                    + " on the directory: anyone can add nodes to the queue or delete a holder's node"
                    + (open.isEmpty() ? "" : "; so may they on " + open.size() + " of its " + nodes.size() + " nodes")));
        } else {
            for (Node n : open) {
                findings.add(new Finding(join(dir, n.name()), "world-writable", "world:anyone may "
                        + worldPerms(n.acl()) + ": anyone can overwrite its data"));
            }
        }
    }

    /** The permissions world:anyone has, as cdrwa letters, if they include write, create or delete; else null. */
    static String worldPerms(List<ACL> acl) {
        for (ACL a : acl) {
            if ("world".equals(a.getId().getScheme()) && "anyone".equals(a.getId().getId())) {
                int p = a.getPerms();
                if ((p & (Perms.WRITE | Perms.CREATE | Perms.DELETE)) != 0) {
                    return perms(p);
                }
            }
        }
        return null;
    }

    /**
     * An ACL in one short line: {@code scheme:id=perms} per entry, comma-separated, permissions as
     * {@code cdrwa} letters (absent ones left out); a digest id shows its user only (the hash
     * tells a reader nothing); {@code ?} if this session may not read the ACL.
     */
    static String compact(List<ACL> acl) {
        if (acl == null) {
            return "?";
        }
        StringBuilder b = new StringBuilder();
        for (ACL a : acl) {
            String id = a.getId().getId();
            if ("digest".equals(a.getId().getScheme()) && id.indexOf(':') > 0) {
                id = id.substring(0, id.indexOf(':'));
            }
            b.append(b.length() == 0 ? "" : ",").append(a.getId().getScheme()).append(':').append(id).append('=')
                    .append(perms(a.getPerms()).replace("-", ""));
        }
        return b.toString();
    }

    static String perms(int p) {
        StringBuilder b = new StringBuilder();
        b.append((p & Perms.CREATE) != 0 ? 'c' : '-');
        b.append((p & Perms.DELETE) != 0 ? 'd' : '-');
        b.append((p & Perms.READ) != 0 ? 'r' : '-');
        b.append((p & Perms.WRITE) != 0 ? 'w' : '-');
        b.append((p & Perms.ADMIN) != 0 ? 'a' : '-');
        return b.toString();
    }

    private static boolean blocks(NodeKind k) {
        return k == NodeKind.LOCK || k == NodeKind.WRITE || k == NodeKind.READ || k == NodeKind.LEASE
                || k == NodeKind.CANDIDATE;
    }

    private static String identity(Participant p) {
        return "[" + p.id() + "]" + (p.host() != null ? " on " + p.host() + (p.pid() >= 0 ? " pid " + p.pid() : "") : "");
    }

    static String join(String dir, String name) {
        return dir.equals("/") ? "/" + name : dir + "/" + name;
    }

    private static long parseSession(String s) {
        String v = s.strip().toLowerCase(java.util.Locale.ROOT);
        try {
            return v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** N from a semaphore directory's data {@code permits=N}; 0 if absent or unreadable. */
    static int permits(byte[] data) {
        String s = text(data).strip();
        if (!s.startsWith("permits=")) {
            return 0;
        }
        try {
            return Math.max(0, Integer.parseInt(s.substring("permits=".length()).strip()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static String text(byte[] data) {
        return data == null ? "" : new String(data, StandardCharsets.UTF_8);
    }
}
