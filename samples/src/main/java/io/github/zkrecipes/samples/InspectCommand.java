package io.github.zkrecipes.samples;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.samples.Inspection.Finding;
import io.github.zkrecipes.samples.Inspection.Node;
import io.github.zkrecipes.samples.Inspection.Recipe;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.common.PathUtils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code zkr inspect [path]}: every recipe under a path, as the troubleshooting tool. See {@link
 * Inspection} for what is read and what is flagged. Prints a table per recipe and the findings, or
 * one JSON document with {@code --json}.
 */
@Command(name = "inspect",
        description = {
            "Show every recipe under a path: locks (holder, fence, held since, waiters in order), read-write locks, "
                    + "semaphores (holders, permits, waiters), elections (leader, epoch, candidates), barriers "
                    + "(who entered) and groups (members and data).",
            "%nShows each directory's and node's ACL in short form (scheme:id=cdrwa; digest ids by user name).",
            "%nFlags orphaned nodes (persistent nodes with protected names; nodes whose session's client is gone), "
                    + "nodes whose owner session disagrees with their recorded identity, world-writable recipe "
                    + "nodes, and what this session may not read (give --digest user:password to read a tenant's "
                    + "secure recipes). Reads only; writes nothing.%n"})
final class InspectCommand extends ZkrCommand {
    @Mixin
    ConnectOptions connection;

    @Parameters(index = "0", arity = "0..1", paramLabel = "<path>", defaultValue = "/",
            description = "Where to start (default: ${DEFAULT-VALUE}).")
    String path;

    @Option(names = "--json", description = "Print one JSON document instead of tables, for scripts.")
    boolean json;

    @Override
    protected void run(PrintWriter out) throws Exception {
        try {
            PathUtils.validatePath(path);
        } catch (IllegalArgumentException e) {
            throw badValue("invalid path '" + path + "': " + oneLine(e));
        }
        connection.validate(this);
        try (Ensemble zk = Ensemble.open(connection.connect, 1);
             ZkSession session = connection.session(zk, "zkr-inspect")) {
            SessionList sessions = SessionList.of(zk.connectString(),
                    (int) Math.min(connection.connectTimeout.toMillis(), 5_000));
            Inspection in;
            try {
                in = Inspection.of(session.zookeeper(), path, sessions);
            } catch (KeeperException.NoNodeException e) {
                throw new Exception("no znode " + path + " on " + zk.connectString());
            } catch (KeeperException.NoAuthException e) {
                throw new Exception("not allowed to read " + e.getPath() + " on " + zk.connectString());
            }
            if (json) {
                out.println(json(in, zk.connectString()));
            } else {
                table(out, in, zk);
            }
        }
    }

    private static void table(PrintWriter out, Inspection in, Ensemble zk) {
        out.printf("zkr inspect %s on %s%s; %s%n", in.root, zk.connectString(),
                zk.isEmbedded() ? " (an embedded ZooKeeper: empty; give --connect)" : "", in.sessions.note());
        if (in.recipes.isEmpty()) {
            out.println("No recipe nodes under " + in.root + ".");
        }
        Instant now = Instant.now();
        for (Recipe r : in.recipes) {
            out.println();
            out.println(r.dir() + ": " + summary(r));
            out.println("  directory ACL: " + Inspection.compact(r.dirAcl()));
            out.printf("  %-10s %-18s %-19s %-12s %-24s %8s  %-24s %s%n", "ROLE", "OWNER", "SESSION", "FENCE", "SINCE",
                    "AGE", "ACL", r.type().equals("group") ? "NODE / DATA" : "NODE");
            int waiter = 0;
            for (int i = 0; i < r.nodes().size(); i++) {
                Node n = r.nodes().get(i);
                String role = r.role(i);
                if (role.equals("waiter")) {
                    role = "waiter " + (++waiter);
                }
                out.printf("  %-10s %-18s %-19s %-12s %-24s %8s  %-24s %s%s%n", role, "[" + printable(n.ownerId()) + "]",
                        n.session() == 0 ? "(none)" : "0x" + Long.toHexString(n.session()),
                        "0x" + Long.toHexString(n.fence()), n.created(), age(n.created(), now),
                        printable(Inspection.compact(n.acl())), n.name(), r.type().equals("group") && !memberData(n).isEmpty() || r.type().equals("semaphore") && n.q().weight() > 1
                                ? "  " + (r.type().equals("group") ? memberData(n) : "(" + n.q().weight() + " permits)") : "");
            }
        }
        out.println();
        if (in.findings.isEmpty()) {
            out.println("Findings: none.");
        } else {
            out.println("Findings (" + in.findings.size() + "):");
            for (Finding f : in.findings) {
                out.printf("  %-15s %s: %s%n", f.kind().toUpperCase(Locale.ROOT), f.path(), printable(f.detail()));
            }
        }
    }

    private static String summary(Recipe r) {
        int n = r.nodes().size();
        String first = n == 0 ? "nobody" : "[" + printable(r.nodes().get(0).ownerId()) + "]";
        return switch (r.type()) {
            case "lock" -> "lock, held by " + first + " (fence 0x" + Long.toHexString(r.nodes().get(0).fence()) + ")"
                    + ", " + (n - 1) + " waiting";
            case "rwlock" -> "read-write lock, " + (r.holders() == 1 && !r.nodes().get(0).q().kind().segment().equals("read")
                    ? "write-locked by " + first : "read by " + r.holders()) + ", " + (n - r.holders()) + " waiting";
            case "semaphore" -> r.permits() > 0
                    ? "semaphore of " + r.permits() + " permits, " + used(r) + " held by " + r.holders() + ", "
                            + (n - r.holders()) + " waiting"
                    : "semaphore, permit count unknown (no permits=N in the directory's data), " + n + " leases";
            case "election" -> "election, leader " + first + ", epoch 0x" + Long.toHexString(r.nodes().get(0).fence())
                    + ", " + n + " candidate" + (n == 1 ? "" : "s");
            case "barrier" -> "barrier, " + n + " entered";
            case "group" -> "group, " + n + " member" + (n == 1 ? "" : "s");
            default -> r.type();
        };
    }

    private static int used(Recipe r) {
        int used = 0;
        for (int i = 0; i < r.holders(); i++) {
            used += r.nodes().get(i).q().weight();
        }
        return used;
    }

    private static String memberData(Node n) {
        StringBuilder b = new StringBuilder();
        n.owner().extra().forEach((k, v) -> b.append(b.length() == 0 ? "" : " ").append(k).append('=').append(v));
        if (b.length() == 0 && n.owner().id() == null) {
            b.append(n.data().strip().replaceAll("\\s+", " "));
        }
        String s = printable(b.toString());
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    /** Foreign data goes to a terminal: control characters are shown as '?', never sent as such. */
    static String printable(String s) {
        return s.replaceAll("\\p{Cntrl}", "?");
    }

    private static String age(Instant created, Instant now) {
        Duration d = Duration.between(created, now);
        return Durations.format(d.isNegative() ? Duration.ZERO : d);
    }

    private static String json(Inspection in, String connectString) {
        Json j = new Json().beginObject()
                .field("path", in.root)
                .field("connect", connectString)
                .name("sessionCheck").beginObject()
                .field("complete", in.sessions.complete())
                .field("servers", in.sessions.servers())
                .field("answered", in.sessions.answered())
                .field("note", in.sessions.note())
                .endObject()
                .name("recipes").beginArray();
        for (Recipe r : in.recipes) {
            j.beginObject().field("path", r.dir()).field("type", r.type()).field("acl", Inspection.compact(r.dirAcl()));
            if (r.type().equals("semaphore")) {
                j.field("permits", r.permits());
            }
            if (r.type().equals("election") && !r.nodes().isEmpty()) {
                j.field("leader", r.nodes().get(0).ownerId()).field("epoch", r.nodes().get(0).fence());
            }
            j.field("holders", r.holders()).field("waiting", waiting(r));
            j.name("nodes").beginArray();
            for (int i = 0; i < r.nodes().size(); i++) {
                Node n = r.nodes().get(i);
                j.beginObject()
                        .field("name", n.name())
                        .field("role", r.role(i))
                        .field("kind", n.q().kind().segment())
                        .field("weight", n.q().weight())
                        .field("sequence", n.q().sequence())
                        .field("fence", n.fence())
                        .field("fenceHex", "0x" + Long.toHexString(n.fence()))
                        .field("session", n.session() == 0 ? null : "0x" + Long.toHexString(n.session()))
                        .field("acl", Inspection.compact(n.acl()))
                        .field("created", n.created().toString())
                        .name("owner").beginObject()
                        .field("id", n.owner().id())
                        .field("host", n.owner().host())
                        .field("pid", n.owner().pid())
                        .field("thread", n.owner().thread());
                j.name("extra").beginObject();
                n.owner().extra().forEach(j::field);
                j.endObject().endObject();
                if (n.owner().id() == null) {
                    j.field("data", n.data());
                }
                j.endObject();
            }
            j.endArray().endObject();
        }
        j.endArray().name("findings").beginArray();
        for (Finding f : in.findings) {
            j.beginObject().field("path", f.path()).field("kind", f.kind()).field("detail", f.detail()).endObject();
        }
        return j.endArray().endObject().toString();
    }

    private static int waiting(Recipe r) {
        return switch (r.type()) {
            case "election", "barrier", "group" -> 0;
            default -> r.nodes().size() - r.holders();
        };
    }
}
