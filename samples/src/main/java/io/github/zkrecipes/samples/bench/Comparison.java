package io.github.zkrecipes.samples.bench;

import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Runs scenarios for several libraries side by side in one JVM: every run on a fresh embedded
 * server, libraries alternating (their order flips every repetition), repeated, with the raw
 * ZooKeeper limit measured on the same servers. Only same-run ratios of medians mean anything on
 * a noisy machine.
 */
public final class Comparison {
    private final List<RecipeClient.Factory> libraries;
    private final List<Scenario> scenarios;
    private final Duration duration;
    private final int repetitions;
    private final PrintStream progress;
    /** scenario name → library name → results, one per repetition. */
    private final Map<String, Map<String, List<Result>>> results = new LinkedHashMap<>();
    private final Map<String, String> units = new LinkedHashMap<>();
    /** scenario name → library name → why a run failed (a library's bug must not stop the comparison). */
    private final Map<String, Map<String, List<String>>> failures = new LinkedHashMap<>();

    public Comparison(List<RecipeClient.Factory> libraries, List<Scenario> scenarios, Duration duration,
            int repetitions, PrintStream progress) {
        if (repetitions < 1) {
            throw new IllegalArgumentException("repetitions must be at least 1, was " + repetitions);
        }
        this.libraries = List.copyOf(libraries);
        this.scenarios = List.copyOf(scenarios);
        this.duration = duration;
        this.repetitions = repetitions;
        this.progress = progress;
    }

    /** Runs everything; returns this for {@link #table()} and {@link #median}. */
    public Comparison run() throws Exception {
        for (int rep = 0; rep < repetitions; rep++) {
            try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start()) {
                record("zookeeper-create-delete", "create+delete", "raw",
                        RawZooKeeper.createDeleteCycles(zk.connectString(), duration));
                record("zookeeper-pipelined-creates", "creates", "raw",
                        RawZooKeeper.pipelinedCreates(zk.connectString(), duration, 256));
            }
            for (Scenario s : scenarios) {
                List<RecipeClient.Factory> order = new ArrayList<>(libraries);
                if (rep % 2 == 1) {
                    java.util.Collections.reverse(order);
                }
                for (RecipeClient.Factory lib : order) {
                    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start()) {
                        record(s.name(), s.unit(), lib.name(), s.run(lib, zk.connectString(), duration));
                    } catch (InterruptedException e) {
                        throw e;
                    } catch (Exception e) {
                        fail(s.name(), s.unit(), lib.name(), e);
                    }
                }
            }
        }
        return this;
    }

    private void record(String scenario, String unit, String library, Result r) {
        units.put(scenario, unit);
        results.computeIfAbsent(scenario, k -> new LinkedHashMap<>()).computeIfAbsent(library, k -> new ArrayList<>())
                .add(r);
        if (progress != null) {
            progress.printf(Locale.ROOT, "  %-32s %-13s %s%n", scenario, library, r);
        }
    }

    private void fail(String scenario, String unit, String library, Exception e) {
        units.put(scenario, unit);
        results.computeIfAbsent(scenario, k -> new LinkedHashMap<>()).computeIfAbsent(library, k -> new ArrayList<>());
        String why = e.getMessage() != null ? e.getMessage() : e.toString();
        failures.computeIfAbsent(scenario, k -> new LinkedHashMap<>()).computeIfAbsent(library, k -> new ArrayList<>())
                .add(why);
        if (progress != null) {
            progress.printf(Locale.ROOT, "  %-32s %-13s FAILED: %s%n", scenario, library, why);
        }
    }

    /** Why runs of one scenario and library failed (empty if none did). */
    public List<String> failures(String scenario, String library) {
        return List.copyOf(failures.getOrDefault(scenario, Map.of()).getOrDefault(library, List.of()));
    }

    /** The median over repetitions of {@code metric} for one scenario and library; NaN if not run. */
    public double median(String scenario, String library, ToDoubleFunction<Result> metric) {
        List<Result> rs = results.getOrDefault(scenario, Map.of()).get(library);
        if (rs == null || rs.isEmpty()) {
            return Double.NaN;
        }
        double[] v = rs.stream().mapToDouble(metric).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /**
     * The report: per scenario, each library's median ops/s and p50/p99 acquire latency; each
     * library's ratio to the last one given (the baseline, e.g. Curator; throughput, higher is
     * better); and each library's share of the raw create+delete limit.
     */
    public String table() {
        StringBuilder out = new StringBuilder();
        double raw = median("zookeeper-create-delete", "raw", Result::perSecond);
        String baseline = libraries.get(libraries.size() - 1).name();
        out.append(String.format(Locale.ROOT, "%-28s %-13s %10s %9s %9s %8s %10s%n", "scenario", "library", "ops/s",
                "p50 ms", "p99 ms", "vs raw", "vs " + baseline));
        for (Map.Entry<String, Map<String, List<Result>>> e : results.entrySet()) {
            String scenario = e.getKey();
            double base = median(scenario, baseline, Result::perSecond);
            for (String lib : e.getValue().keySet()) {
                double ops = median(scenario, lib, Result::perSecond);
                String ratio = lib.equals(baseline) || Double.isNaN(base) ? ""
                        : String.format(Locale.ROOT, "%.2fx", ops / base);
                out.append(String.format(Locale.ROOT, "%-28s %-13s %10.0f %9.2f %9.2f %7.0f%% %10s%n", scenario, lib, ops,
                        median(scenario, lib, Result::p50Millis), median(scenario, lib, Result::p99Millis),
                        100 * ops / raw, ratio));
            }
        }
        failures.forEach((scenario, byLibrary) -> byLibrary.forEach((lib, why) -> out.append(String.format(Locale.ROOT,
                "%-28s %-13s failed in %d of %d repetition(s): %s%n", scenario, lib, why.size(), repetitions, why.get(0)))));
        out.append(String.format(Locale.ROOT,
                "(medians of %d repetition(s) of %d ms each; ratios are ops/s over %s's, same run)%n",
                repetitions, duration.toMillis(), baseline));
        return out.toString();
    }
}
