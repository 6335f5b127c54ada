package io.github.zkrecipes.samples;

import io.github.zkrecipes.ZkSession;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.zookeeper.common.PathUtils;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What every one-participant command shares ({@code lock}, {@code rwlock}, {@code semaphore},
 * {@code election}, {@code barrier}, {@code group}): one session, {@code --rounds} rounds or as
 * many as fit in {@code --duration}, each holding what it got for {@code --hold} (or until Enter
 * with {@code --interactive}), and every state change printed on one line with a timestamp and
 * the participant's id, so several terminals against one ensemble show the recipe at work.
 */
abstract class RoundCommand extends ZkrCommand {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    @Mixin
    ConnectOptions connection;

    @Option(names = "--id", paramLabel = "<name>",
            description = "Who this participant is, as written into its nodes (default: host:pid).")
    String id;

    @Option(names = "--hold", paramLabel = "<duration>", converter = Durations.class, defaultValue = "2s",
            description = "How long each round keeps what it got (a grant, leadership, a place in the barrier or the "
                    + "group) before giving it up, e.g. 500ms, 2s, 1m (default: ${DEFAULT-VALUE}).")
    Duration hold;

    @Option(names = "--rounds", paramLabel = "<n>",
            description = "How many rounds to take (default: 1, or as many as fit in --duration).")
    Integer rounds;

    @Option(names = "--duration", paramLabel = "<duration>", converter = Durations.class,
            description = "Keep taking rounds until this much time has passed (no new round starts after it).")
    Duration duration;

    @Option(names = "--interactive",
            description = "Keep what each round got until Enter is pressed, then take the next round; q and Enter (or "
                    + "end of input) gives it up and quits. Replaces --hold; rounds are unlimited unless --rounds is given.")
    boolean interactive;

    private PrintWriter out;
    private Keyboard keyboard;
    private boolean quit;
    private String who;

    /** The recipe's directory, as given by {@code --path}. */
    abstract String path();

    /** Checks the command's own options; throw {@link #badValue} for a bad one. */
    void validateOptions() {}

    /** Called once the session is connected, before the first round. */
    void started(ZkSession session) throws Exception {}

    /** One round, numbered from 1; throw an {@link ZkrCommand.Exit} to end the command with its code. */
    abstract void round(ZkSession session, int round) throws Exception;

    /** Called after the last round (also after a failed one), before the session closes. */
    void finished(ZkSession session) {}

    @Override
    protected final void run(PrintWriter out) throws Exception {
        this.out = out;
        connection.validate(this);
        checkPath(path());
        if (rounds != null && rounds < 1) {
            throw badValue("--rounds must be at least 1, was " + rounds);
        }
        if (duration != null && duration.isZero()) {
            throw badValue("--duration must be more than 0, was '0'");
        }
        validateOptions();
        int maxRounds = rounds != null ? rounds : duration != null || interactive ? Integer.MAX_VALUE : 1;
        long end = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();

        try (Ensemble zk = Ensemble.open(connection.connect, 1);
             ZkSession session = connection.session(zk, id)) {
            who = "[" + session.participantId() + "]";
            if (zk.isEmbedded()) {
                print("started an embedded ZooKeeper at %s; other terminals can join with --connect %s",
                        zk.connectString(), zk.connectString());
            }
            print("session 0x%x connected to %s (session timeout %s)", session.sessionId(), zk.connectString(),
                    Durations.format(session.negotiatedSessionTimeout()));
            if (interactive) {
                keyboard = Keyboard.of(System.in);
                print("interactive: Enter gives up what is held and takes the next round; q and Enter gives it up and quits");
            }
            // Ctrl-C: close the session on the way out, so the ensemble deletes our node at once
            // instead of after the session timeout, and nobody waits behind a process that is gone.
            Thread onExit = new Thread(session::close, "zkr-close-on-exit");
            Runtime.getRuntime().addShutdownHook(onExit);
            try {
                started(session);
                int done = 0;
                while (!quit && done < maxRounds && System.nanoTime() - end < 0) {
                    round(session, done + 1);
                    done++;
                }
                print("done: %d round%s", done, done == 1 ? "" : "s");
            } finally {
                finished(session);
                try {
                    Runtime.getRuntime().removeShutdownHook(onExit);
                } catch (IllegalStateException exiting) {
                    // the JVM is shutting down: the hook is running
                }
            }
        }
    }

    /**
     * Keeps what the round got until {@code --hold} passed (or Enter was pressed, with {@code
     * --interactive}); true if {@code lost} completed first. A {@code lost} that completes
     * exceptionally throws {@link ExecutionException}.
     */
    boolean holdOrLose(CompletableFuture<?> lost) throws InterruptedException, ExecutionException {
        if (!interactive) {
            try {
                lost.get(hold.toNanos(), TimeUnit.NANOSECONDS);
                return true;
            } catch (TimeoutException heldToTheEnd) {
                return false;
            }
        }
        CompletableFuture<String> line = keyboard.nextLine();
        CompletableFuture.anyOf(lost, line).get();
        if (lost.isDone()) {
            lost.get(); // rethrows its failure, if that is how it ended
            return true;
        }
        String typed = line.join();
        quit = typed == null || typed.equalsIgnoreCase("q");
        return false;
    }

    /** One line: time, participant, message. Called from several threads; println is atomic on a PrintWriter. */
    void print(String format, Object... args) {
        out.println(LocalTime.now().format(TIME) + " " + who + " " + String.format(format, args));
        out.flush();
    }

    /** Refuses a path ZooKeeper would refuse, naming it, before anything connects. */
    void checkPath(String path) {
        checkPath("--path", path);
    }

    /** As {@link #checkPath(String)}, for the option {@code option}. */
    void checkPath(String option, String path) {
        try {
            PathUtils.validatePath(path);
        } catch (IllegalArgumentException e) {
            throw badValue("invalid " + option + " '" + path + "': " + oneLine(e));
        }
        if (path.equals("/")) {
            throw badValue("invalid " + option + " '/': a recipe needs a directory of its own");
        }
    }

    static String since(long startNanos) {
        return Durations.format(Duration.ofNanos(System.nanoTime() - startNanos));
    }

    static String ordinal(int n) {
        String suffix = (n % 100 >= 11 && n % 100 <= 13) ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
        return n + suffix;
    }
}
