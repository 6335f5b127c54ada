package io.github.zkrecipes.samples;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
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
 * <p>Exit codes, for every subcommand:
 * <ul>
 *   <li>0: success;
 *   <li>1: failure: the ensemble unreachable, a coordination error, a malformed connect string
 *       (one line {@code zkr: <message>} on stderr; {@code --verbose} adds the stack trace);
 *   <li>2: bad usage: an unknown option, a value that does not parse or is out of range, an
 *       invalid znode path (one line {@code zkr: <message>} naming the value);
 *   <li>3: not granted within {@code --timeout} ({@code lock}, {@code rwlock}, {@code semaphore},
 *       {@code election}), or a barrier's parties did not all enter (or leave) within it ({@code barrier});
 *   <li>4: a grant, a term of leadership or a group membership was lost while held (its session
 *       expired or its node was deleted).
 * </ul>
 *
 * <p>For tests and embedding, {@link #commandLine()}{@code .setOut(...).setErr(...)} runs the
 * commands with their output captured: commands print only through picocli's writers.
 */
@Command(name = "zkr",
        scope = ScopeType.INHERIT, // every subcommand gets --help and --version too
        mixinStandardHelpOptions = true,
        versionProvider = Zkr.Versions.class,
        description = "Coordination recipes on Apache ZooKeeper, as runnable samples.",
        subcommands = {DemoCommand.class, ElectionCommand.class, LockCommand.class, ReadWriteLockCommand.class,
            SemaphoreCommand.class, BarrierCommand.class, GroupCommand.class, InspectCommand.class, BenchCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:failure (ensemble unreachable, coordination error, malformed connect string)",
            "2:bad usage (unknown option, bad value, invalid path)",
            "3:not granted within --timeout (barrier: the parties did not all enter or leave in time)",
            "4:a grant, leadership or membership was lost while held"})
public final class Zkr {
    // Not Runnable: picocli then answers a bare "zkr" with "Missing required subcommand" and exit code 2.

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;
    static final int NOT_GRANTED = 3;
    static final int LOST = 4;

    /** Runs {@code zkr} and exits with its exit code. */
    public static void main(String[] args) {
        // System.exit: an embedded server may leave non-daemon threads behind on a failure path.
        System.exit(commandLine().execute(args));
    }

    /**
     * The command line, ready to {@code execute}: usage errors are answered with one line {@code
     * zkr: <message>} (and a pointer to {@code --help}) and exit code 2, not with the whole usage.
     */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Zkr());
        cli.setParameterExceptionHandler((ex, args) -> {
            CommandLine failed = ex.getCommandLine();
            PrintWriter err = failed.getErr();
            err.println("zkr: " + ZkrCommand.oneLine(ex) + " (see '" + failed.getCommandSpec().qualifiedName()
                    + " --help')");
            err.flush();
            return USAGE;
        });
        return cli;
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
