package io.github.zkrecipes.samples;

import io.github.zkrecipes.samples.bench.RawZooKeeper;
import io.github.zkrecipes.samples.bench.RecipeClient;
import io.github.zkrecipes.samples.bench.Result;
import io.github.zkrecipes.samples.bench.Scenario;
import io.github.zkrecipes.samples.bench.ZkRecipesClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code zkr bench}: the recipes' throughput and acquire latency against an ensemble, with the
 * ensemble's own limit (a bare client's create+delete loop) for scale. The scenarios are the ones
 * the benchmark suite in {@code it/} runs against Curator ({@link Scenario}); here only zk-recipes
 * runs, on the user's ensemble or an embedded one.
 */
@Command(name = "bench",
        description = {
            "Measure the recipes on an ensemble: throughput and acquire latency (p50, p99) per scenario, and the "
                    + "ensemble's own limit (one client's create+delete loop; pipelined creates) for scale.",
            "%nScenarios: raw (the ensemble's limit), lock (uncontended), lock-contended, rwlock (90 % reads), "
                    + "semaphore (3 permits). Work happens under /bench-*; nodes are removed when done.%n"})
final class BenchCommand extends ZkrCommand {
    static final List<String> SCENARIOS = List.of("raw", "lock", "lock-contended", "rwlock", "semaphore");

    @Mixin
    ConnectOptions connection;

    @Option(names = "--scenarios", split = ",", paramLabel = "<name>",
            description = "Which scenarios, comma-separated (default: all: raw,lock,lock-contended,rwlock,semaphore).")
    List<String> scenarios = SCENARIOS;

    @Option(names = "--duration", paramLabel = "<duration>", converter = Durations.class, defaultValue = "3s",
            description = "How long each scenario is measured, after a warm-up of a fifth of it (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--clients", paramLabel = "<n>", defaultValue = "8",
            description = "Clients (each its own session and thread) in the contended scenarios (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--json", description = "Print one JSON document instead of the table, for scripts.")
    boolean json;

    @Override
    protected void run(PrintWriter out) throws Exception {
        for (String s : scenarios) {
            if (!SCENARIOS.contains(s)) {
                throw badValue("unknown scenario '" + s + "'; choose from " + String.join(",", SCENARIOS));
            }
        }
        if (clients < 1 || clients > 1000) {
            throw badValue("--clients must be between 1 and 1000, was " + clients);
        }
        if (duration.isZero()) {
            throw badValue("--duration must be more than 0, was '0'");
        }
        connection.validate(this);
        PrintWriter err = spec.commandLine().getErr(); // progress goes to stderr: stdout stays the result
        Map<String, Result> results = new LinkedHashMap<>();
        Map<String, String> units = new LinkedHashMap<>();
        try (Ensemble zk = Ensemble.open(connection.connect, 1)) {
            String cs = zk.connectString();
            err.printf("zkr bench on %s%s, %s per scenario%n", cs, zk.isEmbedded() ? " (embedded)" : "",
                    Durations.format(duration));
            RecipeClient.Factory ours = factory();
            for (String s : scenarios) {
                switch (s) {
                    case "raw" -> {
                        measure(err, results, units, "zookeeper-create-delete", "create+delete cycles",
                                () -> call(() -> RawZooKeeper.createDeleteCycles(cs, duration)));
                        measure(err, results, units, "zookeeper-pipelined-creates", "creates",
                                () -> call(() -> RawZooKeeper.pipelinedCreates(cs, duration, 256)));
                    }
                    case "lock" -> scenario(err, results, units, Scenario.lockUncontended(), ours, cs);
                    case "lock-contended" -> scenario(err, results, units, Scenario.lockContended(clients), ours, cs);
                    case "rwlock" -> scenario(err, results, units, Scenario.readWrite(clients, 90), ours, cs);
                    case "semaphore" -> scenario(err, results, units, Scenario.semaphore(3, clients), ours, cs);
                    default -> throw new IllegalStateException(s);
                }
            }
        }
        if (json) {
            Json j = new Json().beginObject().field("connect", connection.connect == null ? "embedded" : connection.connect)
                    .field("durationMillis", duration.toMillis()).name("scenarios").beginArray();
            results.forEach((name, r) -> j.beginObject().field("name", name).field("unit", units.get(name))
                    .field("ops", r.ops()).field("opsPerSecond", r.perSecond()).field("p50Millis", r.p50Millis())
                    .field("p99Millis", r.p99Millis()).endObject());
            out.println(j.endArray().endObject());
        } else {
            out.printf(Locale.ROOT, "%-30s %-22s %10s %9s %9s%n", "SCENARIO", "UNIT", "OPS/S", "P50 MS", "P99 MS");
            results.forEach((name, r) -> out.printf(Locale.ROOT, "%-30s %-22s %10.0f %9.2f %9.2f%n", name,
                    units.get(name), r.perSecond(), r.p50Millis(), r.p99Millis()));
        }
    }

    private RecipeClient.Factory factory() {
        return new RecipeClient.Factory() {
            @Override
            public String name() {
                return "zk-recipes";
            }

            @Override
            public RecipeClient connect(String connectString) {
                return new ZkRecipesClient(connection.session(new Ensemble(connectString, null, 0, 0), "zkr-bench"));
            }
        };
    }

    private void scenario(PrintWriter err, Map<String, Result> results, Map<String, String> units, Scenario s,
            RecipeClient.Factory f, String cs) throws Exception {
        measure(err, results, units, s.name(), s.unit(), () -> call(() -> s.run(f, cs, duration)));
    }

    private static void measure(PrintWriter err, Map<String, Result> results, Map<String, String> units, String name,
            String unit, Supplier<Result> run) {
        err.printf("  %-30s running...", name);
        err.flush();
        long t0 = System.nanoTime();
        Result r = run.get();
        err.printf(" %.0f %s/s (%.1f s)%n", r.perSecond(), unit, (System.nanoTime() - t0) / 1e9);
        err.flush();
        results.put(name, r);
        units.put(name, unit);
    }

    private interface Measured {
        Result run() throws Exception;
    }

    private static Result call(Measured m) {
        try {
            return m.run();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(oneLine(e), e);
        }
    }
}
