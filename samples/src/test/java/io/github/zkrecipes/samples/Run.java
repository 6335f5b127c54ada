package io.github.zkrecipes.samples;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine;

/** One run of {@code zkr} with its output captured. */
record Run(int exitCode, String out, String err) {
    static Run zkr(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Zkr.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Starts {@code zkr} on a thread of its own; its output can be read while it runs. */
    static Running start(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Zkr.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true));
        CompletableFuture<Run> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                int code = cli.execute(args);
                done.complete(new Run(code, out.toString(), err.toString()));
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, "zkr-" + args[0]);
        t.setDaemon(true);
        t.start();
        return new Running(out, done);
    }

    /** A {@code zkr} running on its own thread. */
    record Running(StringWriter out, CompletableFuture<Run> done) {
        /** Everything printed so far. */
        String outSoFar() {
            synchronized (out.getBuffer()) {
                return out.toString();
            }
        }
    }

    /** Output and error, for assertion messages. */
    String both() {
        return "--- stdout ---\n" + out + "--- stderr ---\n" + err;
    }

    /** The only line of stderr; fails unless there is exactly one, starting "zkr: ", with no stack trace. */
    String errorLine() {
        String e = err.strip();
        if (e.isEmpty() || e.contains("\n") || !e.startsWith("zkr: ") || e.contains("\tat ")) {
            throw new AssertionError("expected one line 'zkr: ...' on stderr:\n" + both());
        }
        return e;
    }
}
