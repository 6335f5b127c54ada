package io.github.zkrecipes;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Who created a recipe node: written as the node's data when it is created, read back by
 * introspection ({@code holders()}, {@code waiters()}, {@code zkr inspect}).
 *
 * <p>The data is plain UTF-8 text, one {@code key=value} per line, so that {@code zkCli get}
 * shows it readably. Unknown keys are kept in {@link #extra()}; data that does not parse (a node
 * someone else wrote) yields a participant whose fields are {@code null}, never an exception.
 *
 * @param id the session's participant id (default {@code host:pid})
 * @param host the host name of the creating process
 * @param pid the process id of the creating process, or -1 if unknown
 * @param thread the name of the thread that created the node
 * @param createdAt when the node was created, by the creator's wall clock (for display only)
 * @param extra recipe-specific entries
 */
public record Participant(String id, String host, long pid, String thread, Instant createdAt,
        Map<String, String> extra) {

    public Participant {
        extra = Map.copyOf(extra);
    }

    /** The participant for the calling thread of {@code session}, now. */
    public static Participant current(ZkSession session) {
        return new Participant(session.participantId(), ZkSession.localHost(), ProcessHandle.current().pid(),
                Thread.currentThread().getName(), Instant.now(), Map.of());
    }

    /** A copy with one more recipe-specific entry. */
    public Participant with(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(extra);
        m.put(key, value);
        return new Participant(id, host, pid, thread, createdAt, m);
    }

    /** The node data: UTF-8 {@code key=value} lines. Newlines in values are replaced by spaces. */
    public byte[] encode() {
        StringBuilder b = new StringBuilder(96);
        put(b, "id", id);
        put(b, "host", host);
        if (pid >= 0) {
            put(b, "pid", Long.toString(pid));
        }
        put(b, "thread", thread);
        if (createdAt != null) {
            put(b, "at", createdAt.toString());
        }
        extra.forEach((k, v) -> put(b, k, v));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void put(StringBuilder b, String key, String value) {
        if (value != null) {
            b.append(key).append('=').append(value.replace('\n', ' ').replace('\r', ' ')).append('\n');
        }
    }

    /** Reads node data written by {@link #encode()}; tolerant of anything else. */
    public static Participant decode(byte[] data) {
        Map<String, String> m = new LinkedHashMap<>();
        if (data != null && data.length > 0 && data.length <= 64 * 1024) {
            for (String line : new String(data, StandardCharsets.UTF_8).split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    m.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        }
        String id = m.remove("id");
        String host = m.remove("host");
        long pid = -1;
        String pidText = m.remove("pid");
        if (pidText != null) {
            try {
                pid = Long.parseLong(pidText);
            } catch (NumberFormatException ignored) {
                // foreign data: leave the pid unknown
            }
        }
        String thread = m.remove("thread");
        Instant at = null;
        String atText = m.remove("at");
        if (atText != null) {
            try {
                at = Instant.parse(atText);
            } catch (RuntimeException ignored) {
                // foreign data: leave the time unknown
            }
        }
        return new Participant(id, host, pid, thread, at, m);
    }
}
