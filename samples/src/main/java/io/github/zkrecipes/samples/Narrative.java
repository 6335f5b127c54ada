package io.github.zkrecipes.samples;

import java.io.PrintWriter;

/** Prints a demo as numbered steps, with indented details and headings between acts. */
final class Narrative {
    private final PrintWriter out;
    private int step;

    Narrative(PrintWriter out) {
        this.out = out;
    }

    /** A title line, or a blank line and a heading between acts. */
    void heading(String text) {
        if (step > 0) {
            out.println();
        }
        out.println(text);
        out.flush();
    }

    /** The next numbered step. */
    void step(String format, Object... args) {
        out.printf("%2d. %s%n", ++step, String.format(format, args));
        out.flush();
    }

    /** A line under the current step. */
    void detail(String format, Object... args) {
        out.printf("      %s%n", String.format(format, args));
        out.flush();
    }
}
