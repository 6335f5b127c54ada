package io.github.zkrecipes.it.chaos;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * One row of the matrix on a running {@link ServerEnsemble}: its own namespace, history, fenced
 * resource, worker processes (each behind its own {@link ClientLink}), an admin session that talks
 * to the servers directly, and a sampler that checks, every 100 ms, that no session has more than
 * one node in the recipe's directory. {@link #close()} kills and closes everything, also after a
 * failed test.
 */
final class Scenario implements AutoCloseable {
    /** A queue node's name: kind[.weight]_protected-id_sequence (see the engine's QueueNode). */
    private static final java.util.regex.Pattern QUEUE_NODE = java.util.regex.Pattern.compile(
            "[a-z]+(\\.\\d+)?_[0-9a-f]{32}_-?\\d+");

    /** Session timeout T of every worker. */
    static final Duration T = Duration.ofSeconds(3);

    final String row;
    final String title;
    final ServerEnsemble ensemble;
    final History history = new History();
    final FencedResource resource = new FencedResource();
    final String namespace;
    final ZkSession admin;
    private final Path dir;
    private final long seed;
    private final Map<String, WorkerProcess> workers = new LinkedHashMap<>();
    private final Map<String, ClientLink> links = new HashMap<>();
    private final List<String> samplerViolations = new CopyOnWriteArrayList<>();
    private final AtomicBoolean sampling = new AtomicBoolean(true);
    private final Thread sampler;
    private final String recipeDir;
    /** Environment added to every worker started after it is set (e.g. libfaketime's). */
    private Map<String, String> workerEnv = Map.of();

    Scenario(String row, String title, ServerEnsemble ensemble, String recipeDir, long seed) {
        this.row = row;
        this.title = title;
        this.ensemble = ensemble;
        this.recipeDir = recipeDir;
        this.seed = seed;
        this.namespace = "chaos-row" + row + "-" + Long.toHexString(System.nanoTime());
        this.dir = ChildJvm.workDir("workers");
        this.admin = ZkSession.builder(ensemble.connectString()).namespace(namespace)
                .sessionTimeout(Duration.ofSeconds(5)).connectionTimeout(Duration.ofSeconds(30)).connect();
        try {
            admin.curator().create().forPath("/counter", "0".getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        this.sampler = new Thread(this::sample, "scenario-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** Starts a worker behind its own link. {@code conf} overrides the defaults. */
    WorkerProcess worker(String name, String workload, String... keyValues) {
        return worker(name, -1, workload, keyValues);
    }

    /**
     * Starts a worker whose connect string names only {@code server}'s proxy on its link (it
     * cannot fail over to another server).
     */
    WorkerProcess workerOn(int server, String name, String workload, String... keyValues) {
        return worker(name, server, workload, keyValues);
    }

    private WorkerProcess worker(String name, int onlyServer, String workload, String... keyValues) {
        ClientLink link = new ClientLink(name, ensemble);
        links.put(name, link);
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("connect", onlyServer < 0 ? link.connectString() : "127.0.0.1:" + link.proxy(onlyServer).port());
        conf.put("namespace", namespace);
        conf.put("sessionMs", Long.toString(T.toMillis()));
        conf.put("workload", workload);
        conf.put("fencedPort", Integer.toString(resource.port()));
        conf.put("seed", Long.toString(seed + workers.size()));
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            conf.put(keyValues[i], keyValues[i + 1]);
        }
        WorkerProcess w = new WorkerProcess(name, dir, conf, history, workerEnv);
        workers.put(name, w);
        return w;
    }

    /** Adds {@code env} to the environment of the workers started from now on. */
    void workerEnvironment(Map<String, String> env) {
        this.workerEnv = Map.copyOf(env);
    }

    WorkerProcess workers(String name) {
        return workers.get(name);
    }

    ClientLink link(String worker) {
        return links.get(worker);
    }

    /** Waits until every worker is connected (its {@code started} event). */
    void awaitStarted() {
        for (Map.Entry<String, WorkerProcess> w : workers.entrySet()) {
            String name = w.getKey();
            WorkerProcess p = w.getValue();
            Await.until(name + " to start", () -> {
                boolean started = history.count(x -> x.process().equals(name) && x.is("info", "started")) > 0;
                if (!started && !p.isAlive()) {
                    throw new AssertionError("worker " + name + " exited before it started; see "
                            + dir.resolve(name + ".log"));
                }
                return started;
            }, Duration.ofSeconds(60));
        }
    }

    /** Stops every live worker gracefully and waits for them to exit. */
    /** Three lock workers (w1 holding 0.2-1.5 s) on {@code ensemble}, started: the server-fault rows' workload. */
    static Scenario lockWorkers(String row, String title, ServerEnsemble ensemble, long seedBase) {
        Scenario s = new Scenario(row, title, ensemble, "/lock", seedBase + row.hashCode());
        s.worker("w1", "lock", "holdMinMs", "200", "holdMaxMs", "1500");
        s.worker("w2", "lock");
        s.worker("w3", "lock");
        s.awaitStarted();
        return s;
    }

    /** Waits for {@code n} releases after now; returns how long the first took, in ms (progress). */
    long progress(int n, java.time.Duration patience) {
        long since = System.nanoTime();
        Await.until(n + " more operations", () -> history.count(e -> e.nanos() > since
                && e.is("ok", "release")) >= n, patience);
        long first = history.events().stream().filter(e -> e.nanos() > since && e.is("ok", "release"))
                .mapToLong(Event::nanos).min().orElse(since);
        return (first - since) / 1_000_000;
    }

    void stopAll() throws InterruptedException {
        history.stopping();
        for (WorkerProcess w : workers.values()) {
            if (w.isAlive()) {
                w.stop();
            }
        }
        for (WorkerProcess w : workers.values()) {
            w.awaitExit(Duration.ofSeconds(60));
        }
    }

    long operations() {
        return history.count(e -> e.type().equals("invoke") || e.op().equals("elect"));
    }

    /**
     * After the workers are gone: the recipe directory empties within T + slack (nothing of a
     * closed or expired session stays), and the servers hold no watches; plus the sampler's
     * findings.
     */
    List<String> afterQuiescence() {
        List<String> v = new ArrayList<>(samplerViolations);
        try {
            Await.until("no nodes left in " + recipeDir, () -> children().isEmpty(), T.plus(Duration.ofSeconds(15)));
        } catch (AssertionError e) {
            v.add("nodes left after T: " + children());
        }
        try {
            Await.until("no watches left on the servers", () -> ensemble.watches() == 0, T.plus(Duration.ofSeconds(15)));
        } catch (AssertionError e) {
            v.add("watches left on the servers: " + ensemble.watches());
        }
        return v;
    }

    /** Records the row in the table and returns the violations, for the test to assert on. */
    List<String> report(List<String> violations, String note) {
        ChaosTable.add(new ChaosTable.Row(row, title, operations(), history.faults(), violations.size(), note));
        saveHistory();
        if (!violations.isEmpty()) {
            System.out.println("violations of row " + row + " " + title + ":\n  " + String.join("\n  ", violations));
            System.out.println("history:\n  " + String.join("\n  ", history.events().stream().map(Event::format).toList()));
        }
        return violations;
    }

    /** Writes the history to target/chaos/histories/row&lt;row&gt;.txt (also done by close). */
    void saveHistory() {
        try {
            Path file = ChildJvm.workDir("histories").resolve("row" + row + "-" + namespace + ".txt");
            java.nio.file.Files.write(file, history.events().stream().map(Event::format).toList());
        } catch (java.io.IOException e) {
            System.err.println("cannot save the history: " + e);
        }
    }

    long counter() throws Exception {
        return Long.parseLong(new String(admin.curator().getData().forPath("/counter"), StandardCharsets.UTF_8));
    }

    List<String> children() {
        try {
            return admin.curator().getChildren().forPath(recipeDir);
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        } catch (Exception e) {
            return List.of("<" + e.getClass().getSimpleName() + ">");
        }
    }

    /** The sessions (hex) that own nodes in the recipe's directory now. */
    java.util.Set<String> owners() {
        java.util.Set<String> out = new java.util.HashSet<>();
        try {
            for (String child : admin.curator().getChildren().forPath(recipeDir)) {
                Stat st = admin.curator().checkExists().forPath(recipeDir + "/" + child);
                if (st != null) {
                    out.add(Long.toHexString(st.getEphemeralOwner()));
                }
            }
        } catch (Exception e) {
            // none yet
        }
        return out;
    }

    private void sample() {
        CuratorFramework c = admin.curator();
        while (sampling.get()) {
            try {
                Map<Long, List<String>> byOwner = new HashMap<>();
                for (String child : c.getChildren().forPath(recipeDir)) {
                    if (!QUEUE_NODE.matcher(child).matches()) {
                        continue; // e.g. a group's id claim: one per member by design
                    }
                    Stat st = c.checkExists().forPath(recipeDir + "/" + child);
                    if (st != null && st.getEphemeralOwner() != 0) {
                        byOwner.computeIfAbsent(st.getEphemeralOwner(), k -> new ArrayList<>()).add(child);
                    }
                }
                byOwner.forEach((owner, nodes) -> {
                    if (nodes.size() > 1 && samplerViolations.size() < 10) {
                        samplerViolations.add("session " + Long.toHexString(owner) + " has " + nodes.size()
                                + " nodes: " + nodes);
                    }
                });
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                // no directory yet, or the ensemble is down: nothing to sample now
            }
            try {
                Thread.sleep(100); // the sampler's period, not a test wait
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        saveHistory();
        sampling.set(false);
        sampler.interrupt();
        workers.values().forEach(WorkerProcess::close);
        links.values().forEach(ClientLink::close);
        resource.close();
        admin.close();
    }
}
