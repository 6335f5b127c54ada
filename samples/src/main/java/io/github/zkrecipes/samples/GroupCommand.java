package io.github.zkrecipes.samples;

import io.github.zkrecipes.Registration;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.groups.ConfigConflictException;
import io.github.zkrecipes.groups.GroupConfig;
import io.github.zkrecipes.groups.GroupListener;
import io.github.zkrecipes.groups.GroupView;
import io.github.zkrecipes.groups.Member;
import io.github.zkrecipes.groups.Membership;
import io.github.zkrecipes.groups.Versioned;
import io.github.zkrecipes.groups.ZkGroup;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zkr group}: one member of a group ({@link ZkGroup}). It opens a live view of the group
 * for the whole run and prints every member joining, leaving or changing its data, as the view's
 * listener is told; each round it joins with {@code --data}, stays for {@code --hold} and leaves.
 * With {@code --config key=value} it also sets that key of the group's shared configuration
 * ({@link GroupConfig}, text of {@code key=value} lines) by compare-and-set when it joins, and
 * prints every version of the configuration; a conflicting writer is reported, re-read and retried.
 */
@Command(name = "group",
        description = {
            "Join a group with some data, stay, leave; print every member joining, leaving or changing, as a live "
                    + "view sees it, with a timestamp.",
            "%nRun it in several terminals with the same --connect and --path and different --id. With --config "
                    + "key=value it also sets that key of the group's configuration (compare-and-set) on joining.%n"})
final class GroupCommand extends RoundCommand {
    private static final int CAS_ATTEMPTS = 10;

    @Option(names = "--path", paramLabel = "<znode>", defaultValue = "/zkr/group",
            description = "The group's directory (default: ${DEFAULT-VALUE}).")
    String path;

    @Option(names = "--data", paramLabel = "<text>", defaultValue = "",
            description = "The member's data, as text (default: none).")
    String data;

    @Option(names = "--config", paramLabel = "<key=value>",
            description = "Set this key of the group's configuration when joining (compare-and-set); may be repeated.")
    List<String> config = List.of();

    @Option(names = "--config-path", paramLabel = "<znode>",
            description = "Where the group's configuration lives (default: the --path with -config appended).")
    String configPath;

    private final Map<String, String> settings = new LinkedHashMap<>();
    private GroupView view;
    private Registration viewListener;
    private Registration configListener;

    @Override
    String path() {
        return path;
    }

    @Override
    void validateOptions() {
        if (configPath == null) {
            configPath = path + "-config";
        }
        checkPath("--config-path", configPath);
        for (String kv : config) {
            int eq = kv.indexOf('=');
            if (eq <= 0 || kv.indexOf('\n') >= 0) {
                throw badValue("--config '" + kv + "' is not key=value");
            }
            settings.put(kv.substring(0, eq).strip(), kv.substring(eq + 1).strip());
        }
        if (data.indexOf('\n') >= 0) {
            throw badValue("--data must be one line");
        }
    }

    @Override
    void started(ZkSession session) throws Exception {
        String me = session.participantId();
        view = new ZkGroup(session, path).view();
        java.util.Set<String> before = new java.util.HashSet<>();
        view.members().values().forEach(m -> before.add(m.node()));
        print("view of group %s opened: %s", path, list(view.members().keySet()));
        viewListener = view.addListener(new GroupListener() {
            // The members as this listener's events tell it, on the view's thread: consistent with each line.
            private final Map<String, Member> members = new LinkedHashMap<>();

            @Override
            public void joined(Member m) {
                members.put(m.id(), m);
                if (before.remove(m.node())) {
                    return; // first told of a member that was there when the view opened: listed above
                }
                print("view: [%s] JOINED%s%s; members: %s", m.id(), data(m), m.id().equals(me) ? " (this one)" : "",
                        list(members.keySet()));
            }

            @Override
            public void left(Member m) {
                members.remove(m.id());
                print("view: [%s] LEFT; members: %s", m.id(), list(members.keySet()));
            }

            @Override
            public void dataChanged(Member was, Member now) {
                members.put(now.id(), now);
                print("view: [%s] CHANGED data '%s' -> '%s'", now.id(), InspectCommand.printable(was.dataAsString()),
                        InspectCommand.printable(now.dataAsString()));
            }
        });
        if (!settings.isEmpty()) {
            configListener = GroupConfig.strings(session, configPath).addListener(v -> print("config %s: %s",
                    v.exists() ? "version " + v.version() : "(none)", v.exists() ? oneLineConfig(v.value()) : "-"));
        }
    }

    @Override
    void round(ZkSession session, int round) throws Exception {
        String me = session.participantId();
        print("round %d: joining group %s as [%s]%s", round, path, me, data.isEmpty() ? "" : " with data '" + data + "'");
        long asked = System.nanoTime();
        CompletableFuture<Void> lost = new CompletableFuture<>();
        try (Membership m = new ZkGroup(session, path).join(me, data)) {
            Registration r = m.addListener((membership, state) -> {
                print("membership %s%s", state, meaning(state));
                if (state == Membership.State.LOST) {
                    lost.complete(null);
                }
            });
            print("JOINED %s after %s: %s", path, since(asked), m.node());
            if (!settings.isEmpty()) {
                setConfig(session);
            }
            long joined = System.nanoTime();
            if (interactive) {
                print("member; Enter leaves and joins again, q and Enter leaves and quits");
            }
            if (holdOrLose(lost)) {
                throw new Exit(Zkr.LOST, "lost membership of " + path + ": "
                        + (m.lostCause() == null ? m.state() : oneLine(m.lostCause())));
            }
            r.close();
            m.close();
            print("left after %s", since(joined));
        }
    }

    /** Read, change, compare-and-set; on a conflict someone wrote first: read again and retry. */
    private void setConfig(ZkSession session) throws Exception {
        GroupConfig<String> cfg = GroupConfig.strings(session, configPath);
        for (int attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
            Versioned<String> now = cfg.read();
            Map<String, String> values = parse(now.value());
            values.putAll(settings);
            String next = values.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining("\n"));
            try {
                Versioned<String> written = cfg.compareAndSet(now.version(), next);
                print("config set at version %d (was %s): %s", written.version(),
                        now.exists() ? "version " + now.version() : "absent", oneLineConfig(next));
                return;
            } catch (ConfigConflictException e) {
                print("config CONFLICT: %s; reading again", oneLine(e));
            }
        }
        throw new Exception("could not set the configuration " + configPath + ": " + CAS_ATTEMPTS
                + " compare-and-sets in a row met a conflicting writer");
    }

    @Override
    void finished(ZkSession session) {
        for (Registration r : new Registration[] {configListener, viewListener}) {
            if (r != null) {
                r.close();
            }
        }
        if (view != null) {
            view.close();
        }
    }

    private static String meaning(Membership.State s) {
        return switch (s) {
            case ACTIVE -> ": the member node exists in the current session";
            case UNCERTAIN -> ": the connection is suspended; the node may already be gone";
            case REJOINING -> ": the session expired and took the node; joining again in the new session";
            case LOST -> ": the node is gone and will not come back";
            case LEFT -> "";
        };
    }

    private static Map<String, String> parse(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        if (text != null) {
            for (String line : text.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    m.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        }
        return m;
    }

    private static String oneLineConfig(String text) {
        return text == null || text.isEmpty() ? "(empty)" : text.replace('\n', ' ');
    }

    private static String data(Member m) {
        String d = m.dataAsString();
        return d.isEmpty() ? "" : " with data '" + InspectCommand.printable(d) + "'";
    }

    private static String list(java.util.Collection<String> ids) {
        return ids.isEmpty() ? "(none)"
                : ids.stream().map(id -> "[" + id + "]").collect(Collectors.joining(", "));
    }
}
