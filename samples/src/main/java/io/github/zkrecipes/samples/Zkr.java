package io.github.zkrecipes.samples;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.ScopeType;

/**
 * {@code zkr}: the zk-recipes samples as one command line. Each subcommand is one class; every
 * one runs against an embedded ZooKeeper when no {@code --connect} is given, so it works out of
 * the box, and against a real ensemble when one is.
 *
 * <pre>{@code
 * java -jar samples/target/zkr.jar demo                       # embedded 3-server ensemble
 * java -jar samples/target/zkr.jar demo --connect zk1:2181    # your ensemble, under /zkr-demo-<random>
 * }</pre>
 *
 * <p>Exit codes: 0 success, 1 failure (one line {@code zkr: <message>} on stderr; {@code
 * --verbose} adds the stack trace), 2 bad usage (picocli's message and the usage on stderr).
 *
 * <p>For tests and embedding, {@code new CommandLine(new Zkr()).setOut(...).setErr(...)} runs
 * the commands with their output captured: commands print only through picocli's writers.
 */
@Command(name = "zkr",
        scope = ScopeType.INHERIT, // every subcommand gets --help and --version too
        mixinStandardHelpOptions = true,
        versionProvider = Zkr.Versions.class,
        description = "Coordination recipes on Apache ZooKeeper, as runnable samples.",
        subcommands = {DemoCommand.class})
public final class Zkr {
    // Not Runnable: picocli then answers a bare "zkr" with "Missing required subcommand" and exit code 2.

    /** Runs {@code zkr} and exits with its exit code. */
    public static void main(String[] args) {
        // System.exit: an embedded server may leave non-daemon threads behind on a failure path.
        System.exit(new CommandLine(new Zkr()).execute(args));
    }

    /** {@code --version}: this project's version and the ZooKeeper and Curator versions it was built with. */
    static final class Versions implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Zkr.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {
                "zkr " + p.getProperty("zkr.version", "(unknown version)"),
                "built with ZooKeeper " + p.getProperty("zookeeper.version", "?")
                        + " and Curator " + p.getProperty("curator.version", "?"),
            };
        }
    }
}
