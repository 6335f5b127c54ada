package io.github.zkrecipes.it.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import io.github.zkrecipes.testing.Await;

/**
 * Three ZooKeeper servers, each its own JVM ({@code QuorumPeerMain} under {@link ServerMain}), on
 * loopback ports chosen at start, with data directories under target/chaos. Tests kill them with
 * SIGKILL, pause them with SIGSTOP/SIGCONT and restart them on the same ports and data.
 *
 * <p>Settings from FAULTS.md: tickTime 250 ms (sessions of 0.5-5 s allowed), initLimit 20,
 * syncLimit 4, {@code -Xmx96m -XX:+UseSerialGC}, admin server off, four-letter words on. {@code
 * forceSync=no}: a killed process does not lose the page cache, so only a machine crash could lose
 * acknowledged writes, which these tests do not simulate.
 */
final class ServerEnsemble implements AutoCloseable {
    static final int SIZE = 3;
    /**
     * How long a peer proxy retries a refused connect to its server before it resets the peer:
     * a follower that dials a just-elected leader before it listens then gets through, as with a
     * refused connect it would retry every 100 ms, instead of waiting out initLimit (see {@link Proxy}).
     */
    private static final Duration PEER_CONNECT_RETRY = Duration.ofSeconds(1);

    private final Path dir;
    private final int[] clientPorts = new int[SIZE];
    private final int[] quorumPorts = new int[SIZE];
    private final int[] electionPorts = new int[SIZE];
    private final Process[] processes = new Process[SIZE];
    private final boolean[] paused = new boolean[SIZE];
    /** With proxied peers: "from-to" -> {quorum proxy, election proxy} that server "from" dials. */
    private final java.util.Map<String, Proxy[]> peerProxies = new java.util.HashMap<>();
    private final List<Path> mounts = new ArrayList<>();
    private final List<String> extraJvmArgs = new ArrayList<>();

    ServerEnsemble(String runId) {
        this(runId, false);
    }

    /**
     * With {@code proxiedPeers}, every server reaches every other server's quorum and election
     * ports through a {@link Proxy} of its own (each server's zoo.cfg names the proxies for its
     * peers and the real ports for itself), so tests can partition servers from each other
     * without iptables: {@link #cut} rejects both directions of a server-server link (existing
     * connections reset, new ones refused), like an iptables REJECT rule, except for the election
     * connections that bypass the proxies (see {@link #peerProxyPorts}).
     */
    ServerEnsemble(String runId, boolean proxiedPeers) {
        this.dir = ChildJvm.workDir(runId);
        int[] ports = freePorts(SIZE * 3);
        for (int i = 0; i < SIZE; i++) {
            clientPorts[i] = ports[i];
            quorumPorts[i] = ports[SIZE + i];
            electionPorts[i] = ports[2 * SIZE + i];
        }
        for (int i = 0; i < SIZE; i++) {
            StringJoiner servers = new StringJoiner("\n");
            for (int j = 0; j < SIZE; j++) {
                if (!proxiedPeers || i == j) {
                    servers.add("server." + (j + 1) + "=127.0.0.1:" + ports[SIZE + j] + ":" + ports[2 * SIZE + j]);
                } else {
                    String name = "peer" + (i + 1) + "-" + (j + 1);
                    Proxy q = new Proxy(name + "q", ports[SIZE + j], PEER_CONNECT_RETRY);
                    Proxy e = new Proxy(name + "e", ports[2 * SIZE + j], PEER_CONNECT_RETRY);
                    peerProxies.put(i + "-" + j, new Proxy[] {q, e});
                    servers.add("server." + (j + 1) + "=127.0.0.1:" + q.port() + ":" + e.port());
                }
            }
            Path data = dir.resolve("server" + (i + 1));
            try {
                Files.createDirectories(data);
                Files.writeString(data.resolve("myid"), Integer.toString(i + 1));
                Files.writeString(config(i), String.join("\n",
                        "tickTime=250", "initLimit=20", "syncLimit=4",
                        "dataDir=" + data.toAbsolutePath(),
                        "clientPortAddress=127.0.0.1", "clientPort=" + clientPorts[i],
                        "admin.enableServer=false", "4lw.commands.whitelist=*",
                        "forceSync=no", "preAllocSize=4096", "maxClientCnxns=0",
                        "reconfigEnabled=false", "standaloneEnabled=false",
                        servers.toString(), ""));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Before {@link #start()}: more JVM options for every server, e.g. {@code -Dreadonlymode.enabled=true}. */
    ServerEnsemble serverJvmArgs(String... args) {
        extraJvmArgs.addAll(List.of(args));
        return this;
    }

    /** Before {@link #start()}: appends settings to every server's zoo.cfg. */
    ServerEnsemble serverConfig(String... lines) {
        for (int i = 0; i < SIZE; i++) {
            try {
                Files.writeString(config(i), String.join("\n", lines) + "\n", StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return this;
    }

    /**
     * Makes every transaction-log flush of {@code server} sleep {@code millis} first (0: none),
     * from its next flush on: a slow fsync (see {@link ServerMain}).
     */
    void fsyncDelay(int server, long millis) {
        try {
            OutputStream in = processes[server].getOutputStream();
            in.write(("fsync-delay " + millis + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("server " + server + " is gone", e);
        }
    }

    /** Starts every server and waits until the ensemble has a leader and every server serves. */
    ServerEnsemble start() {
        for (int i = 0; i < SIZE; i++) {
            launch(i);
        }
        awaitAllServing();
        return this;
    }

    /** host:port of each server's client port, for clients that bypass the proxies. */
    String connectString() {
        StringJoiner j = new StringJoiner(",");
        for (int port : clientPorts) {
            j.add("127.0.0.1:" + port);
        }
        return j.toString();
    }

    int clientPort(int server) {
        return clientPorts[server];
    }

    /** The port {@code server} itself listens on for followers (the quorum port). */
    int quorumPort(int server) {
        return quorumPorts[server];
    }

    /** The port {@code server} itself listens on for leader election. */
    int electionPort(int server) {
        return electionPorts[server];
    }

    /**
     * With proxied peers: the ports of the two proxies (quorum, election) that server {@code from}
     * dials, as its zoo.cfg says, to reach server {@code to}; no other server's traffic crosses
     * them. Not every connection between the two does: a server that receives an election
     * connection from a lower id closes it and dials back the address that peer advertised in its
     * handshake, which is its real election port ({@code QuorumCnxManager.handleConnection}).
     */
    List<Integer> peerProxyPorts(int from, int to) {
        requirePeerProxies();
        Proxy[] ps = peerProxies.get(from + "-" + to);
        return List.of(ps[0].port(), ps[1].port());
    }

    /** The process id of {@code server}'s JVM. */
    long pid(int server) {
        return processes[server].pid();
    }

    /** The index of the current leader, or -1 if no reachable server says it leads. */
    int leader() {
        for (int i = 0; i < SIZE; i++) {
            if (mode(i).equals("leader")) {
                return i;
            }
        }
        return -1;
    }

    /** A follower's index (a serving server that is not the leader), or -1. */
    int follower() {
        for (int i = 0; i < SIZE; i++) {
            if (mode(i).equals("follower")) {
                return i;
            }
        }
        return -1;
    }

    /** "leader", "follower", "read-only" (readonlymode), or "down" (not serving, paused, or killed). */
    String mode(int server) {
        if (processes[server] == null || !processes[server].isAlive() || paused[server]) {
            return "down";
        }
        String srvr = fourLetterWord(server, "srvr");
        for (String line : srvr.split("\n")) {
            if (line.startsWith("Mode: ")) {
                return line.substring(6).trim();
            }
        }
        return "down";
    }

    /** Total watches the servers report ({@code wchs}); -1 if a server could not answer. */
    int watches() {
        int total = 0;
        for (int i = 0; i < SIZE; i++) {
            if (mode(i).equals("down")) {
                continue;
            }
            String out = fourLetterWord(i, "wchs");
            int at = out.indexOf("watches:");
            if (at < 0) {
                return -1;
            }
            total += Integer.parseInt(out.substring(at + "watches:".length()).trim().split("\\s")[0]);
        }
        return total;
    }

    /**
     * Before {@link #start()}: puts {@code server}'s data directory on a tmpfs of {@code megabytes}
     * (needs root and mount; unmounted by {@link #close()}). Returns false if mounting failed.
     */
    boolean limitDisk(int server, int megabytes) {
        Path data = dataDir(server);
        try {
            Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m", "tmpfs",
                    data.toAbsolutePath().toString()).redirectErrorStream(true).start();
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
                return false;
            }
            mounts.add(data);
            Files.writeString(data.resolve("myid"), Integer.toString(server + 1));
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    Path dataDir(int server) {
        return dir.resolve("server" + (server + 1));
    }

    /** Rejects both directions of the link between servers {@code a} and {@code b}. */
    void cut(int a, int b) {
        requirePeerProxies();
        for (String key : new String[] {a + "-" + b, b + "-" + a}) {
            for (Proxy p : peerProxies.get(key)) {
                // Like REJECT. An earlier blackhole form stalled 90 s, the followers re-electing the
                // unreachable leader every initLimit, and DROP was blamed; the proxies were the
                // cause: election connections dialled back to a lower id's real port bypass them
                // (see peerProxyPorts), so the isolated leader's votes still reached the followers,
                // and a blackholed proxy accepts their connects to it and holds them until
                // initLimit. iptables DROP that cuts those connections too lets the majority
                // proceed in about 2 s (NetfilterChaosIT row 16d). This cut leaks through them as
                // well; PartitionChaosIT uses iptables when it can.
                p.refuse(true);
                p.reset();
            }
        }
    }

    /** Cuts {@code server} off from both other servers. */
    void isolate(int server) {
        for (int i = 0; i < SIZE; i++) {
            if (i != server) {
                cut(server, i);
            }
        }
    }

    /** Heals every server-server link. */
    void healPeers() {
        requirePeerProxies();
        peerProxies.values().forEach(ps -> {
            for (Proxy p : ps) {
                p.heal();
            }
        });
    }

    private void requirePeerProxies() {
        if (peerProxies.isEmpty()) {
            throw new IllegalStateException("this ensemble was not built with proxied peers");
        }
    }

    void kill9(int server) {
        paused[server] = false;
        ChildJvm.kill9(processes[server]);
    }

    void pause(int server) {
        ChildJvm.signal(processes[server], "STOP");
        paused[server] = true;
    }

    void resume(int server) {
        ChildJvm.signal(processes[server], "CONT");
        paused[server] = false;
    }

    /** Starts a killed server again on its ports and data directory. */
    void restart(int server) {
        if (processes[server] != null && processes[server].isAlive()) {
            throw new IllegalStateException("server " + server + " is still running");
        }
        launch(server);
    }

    /** Waits until every server runs and serves, one of them as leader. */
    void awaitAllServing() {
        Await.until("all " + SIZE + " servers to serve with one leader", () -> {
            int leaders = 0;
            for (int i = 0; i < SIZE; i++) {
                String m = mode(i);
                if (m.equals("down")) {
                    return false;
                }
                leaders += m.equals("leader") ? 1 : 0;
            }
            return leaders == 1;
        }, Duration.ofSeconds(60));
    }

    @Override
    public void close() {
        for (int i = 0; i < SIZE; i++) {
            if (processes[i] != null && processes[i].isAlive()) {
                ChildJvm.kill9(processes[i]);
            }
        }
        peerProxies.values().forEach(ps -> {
            for (Proxy p : ps) {
                p.close();
            }
        });
        for (Path m : mounts) {
            try {
                new ProcessBuilder("umount", "-l", m.toAbsolutePath().toString()).redirectErrorStream(true).start()
                        .waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (IOException e) {
                System.err.println("cannot unmount " + m + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        mounts.clear();
    }

    private void launch(int i) {
        List<String> jvmArgs = new ArrayList<>(List.of("-Xmx96m", "-XX:+UseSerialGC",
                "-Dzookeeper.admin.enableServer=false",
                "-Dorg.slf4j.simpleLogger.log.org.apache.zookeeper.server.quorum=info",
                "-Dzookeeper.4lw.commands.whitelist=*"));
        jvmArgs.addAll(extraJvmArgs);
        processes[i] = ChildJvm.start(ServerMain.class.getName(), jvmArgs,
                List.of(config(i).toAbsolutePath().toString()), dir.resolve("server" + (i + 1) + ".log"), false);
        paused[i] = false;
    }

    private Path config(int i) {
        return dir.resolve("zoo" + (i + 1) + ".cfg");
    }

    private String fourLetterWord(int server, String word) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", clientPorts[server]), 1000);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write(word.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    static int[] freePorts(int n) {
        List<ServerSocket> held = new ArrayList<>();
        int[] ports = new int[n];
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }
}
