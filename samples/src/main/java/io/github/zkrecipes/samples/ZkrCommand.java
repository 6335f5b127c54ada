package io.github.zkrecipes.samples;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What every {@code zkr} subcommand shares: {@code --verbose}, printing through picocli's writers
 * (so that callers can capture the output), and the error contract. A command that fails prints
 * one line {@code zkr: <message>} on stderr (plus the stack trace with {@code --verbose}) and
 * exits with 1. The handling lives here rather than in an exception handler installed by {@code
 * main}, so that {@code new CommandLine(new Zkr()).execute(...)} behaves exactly like the jar.
 */
abstract class ZkrCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", description = "Print the stack trace when something fails.")
    boolean verbose;

    /** The command's work; prints to {@code out}. Throws to fail with exit code 1. */
    protected abstract void run(PrintWriter out) throws Exception;

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            run(out);
            return 0;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            out.flush(); // the narrative so far comes before the error
            err.println("zkr: " + oneLine(e));
            if (verbose) {
                e.printStackTrace(err);
            }
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** The exception's message on one line; its type where it has no message. */
    static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        }
        return m.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
