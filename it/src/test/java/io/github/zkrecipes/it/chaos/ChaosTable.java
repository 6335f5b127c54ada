package io.github.zkrecipes.it.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The results table: scenario, operations, faults injected, violations. Printed by each test
 * class after its rows ran, and appended to target/chaos/matrix.md for docs/RELIABILITY.md.
 */
final class ChaosTable {
    record Row(String row, String scenario, long operations, int faults, int violations, String note) { }

    private static final List<Row> ROWS = new ArrayList<>();

    private ChaosTable() {}

    static synchronized void add(Row r) {
        ROWS.add(r);
        Path file = Path.of(System.getProperty("chaos.workDir", "target/chaos"), "matrix.md");
        try {
            Files.createDirectories(file.getParent());
            if (!Files.exists(file)) {
                Files.writeString(file, "| # | scenario | operations | faults | violations | note |\n"
                        + "|---|---|---|---|---|---|\n", StandardCharsets.UTF_8);
            }
            Files.writeString(file, line(r) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("cannot write " + file + ": " + e);
        }
    }

    /** Prints and forgets the rows recorded so far. */
    static synchronized void print(String title) {
        StringBuilder b = new StringBuilder("\n" + title + "\n");
        b.append(String.format("%-4s %-62s %10s %7s %10s  %s%n", "#", "scenario", "operations", "faults", "violations", "note"));
        for (Row r : ROWS) {
            b.append(String.format("%-4s %-62s %10d %7d %10d  %s%n", r.row(), r.scenario(), r.operations(), r.faults(),
                    r.violations(), r.note()));
        }
        System.out.println(b);
        ROWS.clear();
    }

    private static String line(Row r) {
        return "| " + r.row() + " | " + r.scenario() + " | " + r.operations() + " | " + r.faults() + " | "
                + r.violations() + " | " + r.note() + " |";
    }
}
