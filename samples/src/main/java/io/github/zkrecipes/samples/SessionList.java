package io.github.zkrecipes.samples;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.zookeeper.client.FourLetterWordMain;

/**
 * The sessions connected to an ensemble, from the {@code cons} four-letter word of every server in
 * the connect string. A session is listed by the server its client is connected to, so the list
 * is complete only if every server answered; otherwise {@link #complete()} is false and {@link
 * #note()} says which did not (the server may not allow {@code cons}: see ZooKeeper's {@code
 * 4lw.commands.whitelist}). Sessions whose client is gone but which have not expired yet are not
 * listed: that is what makes their nodes orphans.
 *
 * @param sessions the session ids seen
 * @param servers how many servers the connect string names
 * @param answered how many of them answered {@code cons}
 * @param note what was checked, or why the check is incomplete
 */
record SessionList(Set<Long> sessions, int servers, int answered, String note) {
    private static final Pattern SID = Pattern.compile("sid=0x([0-9a-fA-F]+)");

    boolean complete() {
        return servers > 0 && answered == servers;
    }

    /** Asks every server of {@code connectString} for its connections, each within {@code timeoutMs}. */
    static SessionList of(String connectString, int timeoutMs) {
        List<String[]> hosts = hosts(connectString);
        Set<Long> sessions = new HashSet<>();
        List<String> silent = new ArrayList<>();
        int answered = 0;
        for (String[] hp : hosts) {
            String server = hp[0] + ":" + hp[1];
            try {
                String reply = FourLetterWordMain.send4LetterWord(hp[0], Integer.parseInt(hp[1]), "cons", false, timeoutMs);
                if (reply.contains("not in the whitelist") || reply.contains("not executed")) {
                    silent.add(server + " (cons not allowed)");
                    continue;
                }
                Matcher m = SID.matcher(reply);
                while (m.find()) {
                    sessions.add(Long.parseUnsignedLong(m.group(1), 16));
                }
                answered++;
            } catch (Exception e) {
                silent.add(server + " (" + ZkrCommand.oneLine(e) + ")");
            }
        }
        String note = silent.isEmpty()
                ? "sessions checked with 'cons' on " + answered + " of " + hosts.size() + " server(s)"
                : "session liveness not checked: no 'cons' answer from " + String.join(", ", silent);
        return new SessionList(sessions, hosts.size(), answered, note);
    }

    /** {@code [host, port]} for each server of a connect string (chroot dropped, default port 2181). */
    static List<String[]> hosts(String connectString) {
        String hosts = connectString;
        int slash = hosts.indexOf('/');
        if (slash >= 0) {
            hosts = hosts.substring(0, slash);
        }
        List<String[]> out = new ArrayList<>();
        for (String entry : hosts.split(",")) {
            String hp = entry.strip();
            if (hp.startsWith("[")) {
                int close = hp.indexOf(']');
                String host = hp.substring(1, close);
                String rest = hp.substring(close + 1);
                out.add(new String[] {host, rest.startsWith(":") ? rest.substring(1) : "2181"});
            } else {
                int colon = hp.lastIndexOf(':');
                out.add(colon >= 0 ? new String[] {hp.substring(0, colon), hp.substring(colon + 1)}
                        : new String[] {hp, "2181"});
            }
        }
        return out;
    }
}
