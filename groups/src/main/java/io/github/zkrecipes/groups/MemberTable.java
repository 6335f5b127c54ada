package io.github.zkrecipes.groups;

import io.github.zkrecipes.internal.queue.QueueNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * A {@link GroupView}'s table: every member node known, and per id the member shown (the earliest
 * node carrying it). Each change returns what users see change, if anything. Not thread-safe: the
 * view calls it in its locked steps only.
 */
final class MemberTable {
    /** A visible change of one id: joined ({@code before} null), left ({@code after} null), or changed. */
    record Change(Member before, Member after, Map<String, Member> snapshot) { }

    private final Map<String, Member> byNode = new HashMap<>();
    private final Map<String, TreeMap<QueueNode, Member>> byId = new HashMap<>();

    /** The node names known. */
    Set<String> nodes() {
        return Collections.unmodifiableSet(byNode.keySet());
    }

    Member at(String name) {
        return byNode.get(name);
    }

    /**
     * Records {@code m} as node {@code name}'s member; the visible change, or null. The caller
     * removes the node first if it carried another id.
     */
    Change put(String name, Member m) {
        Member before = shown(m.id());
        byNode.put(name, m);
        byId.computeIfAbsent(m.id(), id -> new TreeMap<>(QueueNode.ORDER)).put(QueueNode.parse(name), m);
        return change(before, shown(m.id()));
    }

    /** Forgets node {@code name}; the visible change, or null. */
    Change remove(String name) {
        Member old = byNode.remove(name);
        if (old == null) {
            return null;
        }
        Member before = shown(old.id());
        TreeMap<QueueNode, Member> nodes = byId.get(old.id());
        nodes.remove(QueueNode.parse(name));
        if (nodes.isEmpty()) {
            byId.remove(old.id());
        }
        return change(before, shown(old.id()));
    }

    private Member shown(String id) {
        TreeMap<QueueNode, Member> nodes = byId.get(id);
        return nodes == null || nodes.isEmpty() ? null : nodes.firstEntry().getValue();
    }

    private Change change(Member before, Member after) {
        return Objects.equals(before, after) ? null : new Change(before, after, snapshot());
    }

    /** The members shown, id to member, in join order (czxid). */
    Map<String, Member> snapshot() {
        List<Member> all = new ArrayList<>(byId.size());
        for (TreeMap<QueueNode, Member> nodes : byId.values()) {
            all.add(nodes.firstEntry().getValue());
        }
        all.sort((a, b) -> Long.compare(a.czxid(), b.czxid()));
        Map<String, Member> m = new LinkedHashMap<>();
        for (Member x : all) {
            m.put(x.id(), x);
        }
        return Collections.unmodifiableMap(m);
    }
}
