package io.github.zkrecipes.samples;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * What every {@code zkr} subcommand shares: {@code --verbose}, printing through picocli's writers
 * (so that callers can capture the output), and the error contract. A command that fails prints
 * one line {@code zkr: <message>} on stderr (plus the stack trace with {@code --verbose}) and
 * exits with 1, or with the code its {@link Exit} names. A bad option value found by the command
 * itself ({@link #badValue}) is a usage error: picocli's handler, installed by {@link
 * Zkr#commandLine()}, prints it on one line and exits with 2.
 */
abstract class ZkrCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", description = "Print the stack trace when something fails.")
    boolean verbose;

    /** The command's work; prints to {@code out}. Throws to fail with exit code 1 (or an {@link Exit}'s). */
    protected abstract void run(PrintWriter out) throws Exception;

    /** A failure with its own exit code; its message is printed like any failure's. */
    static final class Exit extends Exception {
        private static final long serialVersionUID = 1L;
        final int code;

        Exit(int code, String message) {
            super(message);
            this.code = code;
        }
    }

    /** A usage error naming the bad value: exit code 2, one line. */
    ParameterException badValue(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            run(out);
            return Zkr.OK;
        } catch (ParameterException e) {
            throw e; // a usage error: picocli's handler prints it (exit code 2)
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            out.flush(); // the narrative so far comes before the error
            err.println("zkr: " + oneLine(e));
            if (verbose) {
                e.printStackTrace(err);
            }
            return e instanceof Exit exit ? exit.code : Zkr.FAILED;
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
