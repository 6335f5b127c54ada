package io.github.zkrecipes.it.chaos;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Packet faults on loopback with iptables (root only; {@code -Pchaos} only): one chain of its own
 * per instance, entered from {@code OUTPUT} for packets leaving on {@code lo}. A loopback packet
 * passes {@code OUTPUT} once, so a rule there drops it with exactly its probability.
 *
 * <p>Everything this class adds is named after the run: the chain is {@code ZKR-<pid>-<n>} and
 * every rule, the jump from {@code OUTPUT} too, carries the comment {@code zkr-chaos:<pid>-<n>}.
 * It only ever deletes what carries that prefix: its own chain in {@link #close()} (call it in
 * {@code finally}), and at {@link #open} the chains of earlier runs whose JVM is gone (a run that
 * was killed before its {@code finally}). Rules match only ports this test owns (proxies and
 * servers it started on ports chosen at start).
 *
 * <p>Each fault's rules go in with one {@code iptables-restore --noflush} (one transaction: they
 * take effect together, not rule by rule over a second). Each port gets a counting rule (no
 * target) before its drop rule, so {@link #counts()} tells how many packets were seen and how many
 * were dropped.
 */
final class Netfilter implements AutoCloseable {
    private static final String CHAIN_PREFIX = "ZKR-";
    private static final String COMMENT_PREFIX = "zkr-chaos:";
    private static final AtomicInteger NEXT = new AtomicInteger();

    private final String chain;
    private final String comment;

    private Netfilter(String id) {
        this.chain = CHAIN_PREFIX + id;
        this.comment = COMMENT_PREFIX + id;
    }

    /** Why iptables cannot be used here (not installed, not root), or empty if it can. */
    static Optional<String> unavailable() {
        try {
            Result r = run(List.of("iptables", "-w", "5", "-S", "OUTPUT"));
            if (r.code != 0) {
                return Optional.of("iptables -S OUTPUT failed (needs root): " + r.output.trim());
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("iptables is not installed (apt-get install -y iptables): " + e.getMessage());
        }
    }

    /**
     * Removes the chains of earlier runs whose JVM is gone, then creates this run's chain and jumps
     * to it from {@code OUTPUT} for loopback packets. The chain starts empty (nothing dropped).
     */
    static Netfilter open() {
        removeStale();
        Netfilter n = new Netfilter(ProcessHandle.current().pid() + "-" + NEXT.incrementAndGet());
        n.must("-N", n.chain);
        n.must("-I", "OUTPUT", "1", "-o", "lo", "-m", "comment", "--comment", n.comment, "-j", n.chain);
        return n;
    }

    String chain() {
        return chain;
    }

    /**
     * Drops TCP packets to or from each of {@code ports} with {@code probability} (1 = all: a
     * silent link, sockets stay open and nothing is delivered, not even SYN or RST).
     */
    void drop(double probability, Collection<Integer> ports) {
        List<String> random = probability < 1
                ? List.of("-m", "statistic", "--mode", "random", "--probability",
                        String.format(Locale.ROOT, "%.4f", probability))
                : List.of();
        List<String> rules = new ArrayList<>();
        for (int port : ports) {
            countAndDrop(rules, List.of("-p", "tcp", "--dport", Integer.toString(port)), random);
            countAndDrop(rules, List.of("-p", "tcp", "--sport", Integer.toString(port)), random);
        }
        apply(rules);
    }

    /**
     * Drops every packet of the TCP connection between local ports {@code a} and {@code b}, both
     * directions (a connection that does not go through a port of {@link #drop}).
     */
    void dropConnection(int a, int b) {
        List<String> rules = new ArrayList<>();
        countAndDrop(rules, List.of("-p", "tcp", "--sport", Integer.toString(a), "--dport", Integer.toString(b)), List.of());
        countAndDrop(rules, List.of("-p", "tcp", "--sport", Integer.toString(b), "--dport", Integer.toString(a)), List.of());
        apply(rules);
    }

    /**
     * Rejects TCP packets to or from each of {@code ports}: each is dropped and its sender gets a
     * RST (an open connection is reset at its next packet, a connect is refused), as a host
     * rejecting with {@code tcp-reset} would. The RSTs themselves pass: on loopback the RST that
     * REJECT sends goes through OUTPUT again, and a rule for its port would drop it.
     */
    void reject(Collection<Integer> ports) {
        List<String> rules = new ArrayList<>();
        for (int port : ports) {
            countAndReject(rules, List.of("-p", "tcp", "--dport", Integer.toString(port)));
            countAndReject(rules, List.of("-p", "tcp", "--sport", Integer.toString(port)));
        }
        apply(rules);
    }

    /** Rejects (as {@link #reject}) both directions of the TCP connection between local ports a and b. */
    void rejectConnection(int a, int b) {
        List<String> rules = new ArrayList<>();
        for (int[] fromTo : new int[][] {{a, b}, {b, a}}) {
            countAndReject(rules, List.of("-p", "tcp", "--sport", Integer.toString(fromTo[0]),
                    "--dport", Integer.toString(fromTo[1])));
        }
        apply(rules);
    }

    /** A counting rule (no target) for {@code match}, then its REJECT rule, which spares RSTs. */
    private void countAndReject(List<String> rules, List<String> match) {
        String m = String.join(" ", match);
        String tag = "-m comment --comment " + comment;
        rules.add("-A " + chain + " " + m + " " + tag);
        rules.add("-A " + chain + " " + m + " ! --tcp-flags RST RST " + tag
                + " -j REJECT --reject-with tcp-reset");
    }

    /** A counting rule (no target) for {@code match}, then its DROP rule with {@code extra} matches. */
    private void countAndDrop(List<String> rules, List<String> match, List<String> extra) {
        String m = String.join(" ", match);
        String tag = "-m comment --comment " + comment;
        rules.add("-A " + chain + " " + m + " " + tag);
        rules.add("-A " + chain + " " + m + (extra.isEmpty() ? "" : " " + String.join(" ", extra)) + " " + tag
                + " -j DROP");
    }

    /** Adds {@code rules} to the chain in one iptables-restore transaction: all take effect at once. */
    private void apply(List<String> rules) {
        String input = "*filter\n" + String.join("\n", rules) + "\nCOMMIT\n";
        try {
            Process p = new ProcessBuilder("iptables-restore", "-w", "5", "--noflush").redirectErrorStream(true).start();
            p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("iptables-restore failed: " + out.trim() + "\n" + input);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run iptables-restore", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted adding iptables rules", e);
        }
    }

    /** Empties the chain: every link this instance faulted works again. */
    void heal() {
        must("-F", chain);
    }

    /**
     * {seen, dropped, rejected} packets over the rules now in the chain (read before {@link
     * #heal()}); "seen" counts every packet of a faulted port or connection, RSTs included.
     */
    long[] counts() {
        long seen = 0;
        long dropped = 0;
        long rejected = 0;
        try {
            Result r = run(List.of("iptables", "-w", "5", "-L", chain, "-n", "-v", "-x"));
            for (String line : r.output.split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 3 || !f[0].matches("\\d+")) {
                    continue;
                }
                // pkts bytes target prot ...: a counting rule has no target, so "tcp" comes third.
                if (f[2].equals("DROP")) {
                    dropped += Long.parseLong(f[0]);
                } else if (f[2].equals("REJECT")) {
                    rejected += Long.parseLong(f[0]);
                } else {
                    seen += Long.parseLong(f[0]);
                }
            }
        } catch (IOException e) {
            return new long[] {-1, -1, -1};
        }
        return new long[] {seen, dropped, rejected};
    }

    /** One established loopback TCP connection of a process: its local and remote port. */
    record Connection(int localPort, int remotePort) { }

    /**
     * The established IPv4/IPv6 TCP connections whose socket process {@code pid} holds open, read
     * from /proc (its fd table and its network namespace's TCP tables).
     */
    static List<Connection> connectionsOf(long pid) {
        Set<String> inodes = new HashSet<>();
        File[] fds = new File("/proc/" + pid + "/fd").listFiles();
        if (fds == null) {
            return List.of();
        }
        for (File fd : fds) {
            try {
                String target = Files.readSymbolicLink(fd.toPath()).toString();
                if (target.startsWith("socket:[")) {
                    inodes.add(target.substring(8, target.length() - 1));
                }
            } catch (IOException e) {
                // closed while listing
            }
        }
        List<Connection> out = new ArrayList<>();
        for (String table : new String[] {"tcp", "tcp6"}) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "net", table))) {
                    String[] f = line.trim().split("\\s+");
                    // sl local_address rem_address st ... inode (index 9); st 01 = ESTABLISHED
                    if (f.length > 9 && f[3].equals("01") && inodes.contains(f[9])) {
                        out.add(new Connection(port(f[1]), port(f[2])));
                    }
                }
            } catch (IOException e) {
                // no such table
            }
        }
        return out;
    }

    private static int port(String hexAddress) {
        return Integer.parseInt(hexAddress.substring(hexAddress.lastIndexOf(':') + 1), 16);
    }

    /** Deletes the jump from OUTPUT and this run's chain. Safe to call twice. */
    @Override
    public void close() {
        remove(chain, comment);
    }

    private static void removeStale() {
        try {
            Result r = run(List.of("iptables", "-w", "5", "-S"));
            for (String line : r.output.split("\n")) {
                if (!line.startsWith("-N " + CHAIN_PREFIX)) {
                    continue;
                }
                String name = line.substring(3).trim();
                String id = name.substring(CHAIN_PREFIX.length());
                long pid;
                try {
                    pid = Long.parseLong(id.substring(0, id.indexOf('-')));
                } catch (RuntimeException e) {
                    continue; // not of our form: not ours
                }
                if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isEmpty()) {
                    System.out.println("removing stale iptables chain " + name + " of a finished run");
                    remove(name, COMMENT_PREFIX + id);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list iptables rules", e);
        }
    }

    /** Deletes every OUTPUT rule jumping to {@code chain} with {@code comment}, then the chain. */
    private static void remove(String chain, String comment) {
        try {
            Result r = run(List.of("iptables", "-w", "5", "-S", "OUTPUT"));
            for (String line : r.output.split("\n")) {
                List<String> spec = List.of(line.trim().replace("\"", "").split("\\s+"));
                if (spec.size() > 2 && spec.get(0).equals("-A") && spec.contains(comment)
                        && spec.get(spec.size() - 1).equals(chain)) {
                    List<String> delete = new ArrayList<>(List.of("iptables", "-w", "5", "-D"));
                    delete.addAll(spec.subList(1, spec.size()));
                    report(run(delete), delete);
                }
            }
            if (run(List.of("iptables", "-w", "5", "-S", chain)).code == 0) {
                report(run(List.of("iptables", "-w", "5", "-F", chain)), List.of("-F", chain));
                report(run(List.of("iptables", "-w", "5", "-X", chain)), List.of("-X", chain));
            }
        } catch (IOException e) {
            System.err.println("cannot remove iptables chain " + chain + ": " + e);
        }
    }

    private static void report(Result r, List<String> what) {
        if (r.code != 0) {
            System.err.println("iptables " + what + " failed: " + r.output.trim());
        }
    }

    private void must(String... args) {
        List<String> command = new ArrayList<>(List.of("iptables", "-w", "5"));
        command.addAll(List.of(args));
        try {
            Result r = run(command);
            if (r.code != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + r.output.trim());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command, e);
        }
    }

    private record Result(int code, String output) { }

    private static Result run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out");
            }
            return new Result(p.exitValue(), out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return new Result(-1, "interrupted");
        }
    }
}
