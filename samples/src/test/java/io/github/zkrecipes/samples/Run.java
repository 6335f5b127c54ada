package io.github.zkrecipes.samples;

import java.io.PrintWriter;
import java.io.StringWriter;
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

    /** Output and error, for assertion messages. */
    String both() {
        return "--- stdout ---\n" + out + "--- stderr ---\n" + err;
    }
}
