package io.github.zkrecipes.samples;

import io.github.zkrecipes.GrantState;
import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.Registration;
import io.github.zkrecipes.ZkSession;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.zookeeper.common.PathUtils;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What {@code zkr lock}, {@code rwlock} and {@code semaphore} share: one participant that
 * acquires, holds for {@code --hold} and releases, {@code --rounds} times or for {@code
 * --duration}, printing every state change with a timestamp: waiting, queued (and its place),
 * granted with its fence, {@code UNCERTAIN} when the connection is suspended, {@code HELD} again,
 * {@code LOST}, released. Several terminals against one ensemble show the recipe at work.
 *
 * <p>The command's thread acquires and releases (a lock handle belongs to its thread); a second
 * thread reads the queue while it waits, to say where it stands (about 2 round trips every
 * {@link #QUEUE_POLL}).
 */
abstract class ParticipantCommand extends ZkrCommand {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    private static final Duration QUEUE_POLL = Duration.ofMillis(250);

    @Mixin
    ConnectOptions connection;

    @Option(names = "--id", paramLabel = "<name>",
            description = "Who this participant is, as written into its nodes (default: host:pid).")
    String id;

    @Option(names = "--hold", paramLabel = "<duration>", converter = Durations.class, defaultValue = "2s",
            description = "How long to hold each grant before releasing it, e.g. 500ms, 2s, 1m (default: ${DEFAULT-VALUE}).")
    Duration hold;

    @Option(names = "--rounds", paramLabel = "<n>",
            description = "How many times to acquire, hold and release (default: 1, or as many as fit in --duration).")
    Integer rounds;

    @Option(names = "--duration", paramLabel = "<duration>", converter = Durations.class,
            description = "Keep taking rounds until this much time has passed (no new round starts after it).")
    Duration duration;

    @Option(names = "--timeout", paramLabel = "<duration>", converter = Durations.class,
            description = "Give up (exit code 3) if a grant does not come within this time; 0 means only if free now. "
                    + "Default: wait as long as it takes.")
    Duration timeout;

    @Option(names = "--interactive",
            description = "Hold each grant until Enter is pressed, then take the next round; q and Enter (or end of "
                    + "input) releases and quits. Replaces --hold; rounds are unlimited unless --rounds is given.")
    boolean interactive;

    private PrintWriter out;
    private Keyboard keyboard;
    private boolean quit;
    private String who;

    /** The recipe's directory, as given by {@code --path}. */
    abstract String path();

    /** What is acquired, for messages: "lock /zkr/lock", "2 permits of /zkr/semaphore". */
    abstract String what();

    /** Checks the command's own options; throw {@link #badValue} for a bad one. */
    void validateOptions() {}

    /** Acquires on the calling thread; empty if {@code timeout} (null: none) passed first. */
    abstract Optional<Held> acquire(ZkSession session, Duration timeout) throws InterruptedException;

    /** The recipe's nodes in queue order, and how many of them hold it now. */
    abstract Queue queue(ZkSession session) throws InterruptedException;

    /** A snapshot of the queue: {@code nodes} in order, the first {@code holders} of them holding. */
    record Queue(List<RecipeNode> nodes, int holders) {}

    /** What a participant holds, whatever the recipe: a lock handle or a lease. */
    interface Held extends AutoCloseable {
        String path();

        long fence();

        GrantState state();

        CompletableFuture<Void> whenLost();

        Registration onStateChange(Consumer<GrantState> listener);

        @Override
        void close();
    }

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
                print("interactive: Enter releases what is held and takes the next round; q and Enter releases and quits");
            }
            // Ctrl-C: close the session on the way out, so the ensemble deletes our node at once
            // instead of after the session timeout, and nobody waits behind a process that is gone.
            Thread onExit = new Thread(session::close, "zkr-close-on-exit");
            Runtime.getRuntime().addShutdownHook(onExit);
            try {
                int done = 0;
                while (!quit && done < maxRounds && System.nanoTime() - end < 0) {
                    round(session, done + 1);
                    done++;
                }
                print("done: %d round%s", done, done == 1 ? "" : "s");
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(onExit);
                } catch (IllegalStateException exiting) {
                    // the JVM is shutting down: the hook is running
                }
            }
        }
    }

    /** Holds until {@code --hold} passed (or Enter was pressed); true if the grant was lost meanwhile. */
    private boolean holdOrLose(Held held) throws Exception {
        if (!interactive) {
            try {
                held.whenLost().get(hold.toNanos(), TimeUnit.NANOSECONDS);
                return true;
            } catch (TimeoutException heldToTheEnd) {
                return false;
            }
        }
        CompletableFuture<String> line = keyboard.nextLine();
        CompletableFuture.anyOf(held.whenLost(), line).get();
        if (held.whenLost().isDone()) {
            return true;
        }
        String typed = line.join();
        quit = typed == null || typed.equalsIgnoreCase("q");
        return false;
    }

    private void round(ZkSession session, int round) throws Exception {
        print("round %d: waiting for %s", round, what());
        long asked = System.nanoTime();
        Optional<Held> granted;
        CompletableFuture<Void> acquired = new CompletableFuture<>();
        Thread watcher = watchQueue(session, acquired);
        try {
            granted = acquire(session, timeout);
        } finally {
            acquired.complete(null);
            watcher.join(TimeUnit.SECONDS.toMillis(5));
        }
        if (granted.isEmpty()) {
            print("not granted within %s; nothing left queued", Durations.format(timeout));
            throw new Exit(Zkr.NOT_GRANTED, "not granted " + what() + " within " + Durations.format(timeout));
        }
        try (Held held = granted.get();
             Registration r = held.onStateChange(s -> print("%s (fence 0x%x)%s", s, held.fence(), meaning(s)))) {
            print("granted %s, fence 0x%x, after %s: %s", what(), held.fence(),
                    Durations.format(Duration.ofNanos(System.nanoTime() - asked)), held.path());
            long heldSince = System.nanoTime();
            if (interactive) {
                print("holding; Enter releases and goes again, q and Enter releases and quits");
            }
            try {
                if (holdOrLose(held)) {
                    throw new Exit(Zkr.LOST, "lost " + what() + " (fence 0x" + Long.toHexString(held.fence())
                            + ") while holding it: " + held.state());
                }
            } catch (ExecutionException e) {
                throw new Exit(Zkr.LOST, "lost " + what() + " while holding it: " + oneLine(e.getCause()));
            }
            r.close(); // the release is printed below, once
            held.close();
            print("released after %s", Durations.format(Duration.ofNanos(System.nanoTime() - heldSince)));
        }
    }

    private static String meaning(GrantState s) {
        return switch (s) {
            case HELD -> ": the connection is back and a write confirmed the node";
            case UNCERTAIN -> ": the connection is suspended; not acting as owner until it is back";
            case LOST -> ": the session expired or the node is gone; someone else may hold it now";
            case RELEASED -> "";
        };
    }

    /** Reads the queue while the acquire waits and says where this participant stands, when that changes. */
    private Thread watchQueue(ZkSession session, CompletableFuture<Void> acquired) {
        Thread t = new Thread(() -> {
            String last = null;
            try {
                // Wait a little first: an uncontended acquire is done before a listing would tell anything.
                while (!waitFor(acquired, QUEUE_POLL)) {
                    String now = place(session);
                    if (now != null && !now.equals(last) && !acquired.isDone()) {
                        print("%s", now);
                        last = now;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                // Only a progress report: the acquire itself reports what matters.
            }
        }, "zkr-queue-watch");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static boolean waitFor(CompletableFuture<Void> f, Duration d) throws InterruptedException {
        try {
            f.get(d.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    /** "queued: 2nd in line, behind [alice] (holds, fence 0x...), ..." or null if not queued. */
    private String place(ZkSession session) throws InterruptedException {
        Queue q = queue(session);
        List<RecipeNode> nodes = q.nodes();
        for (int i = q.holders(); i < nodes.size(); i++) {
            if (nodes.get(i).sessionId() == session.sessionId()) {
                StringBuilder b = new StringBuilder("queued: ").append(ordinal(i - q.holders() + 1))
                        .append(" in line; held by ");
                for (int h = 0; h < q.holders(); h++) {
                    RecipeNode n = nodes.get(h);
                    b.append(h == 0 ? "" : ", ").append('[').append(n.owner().id()).append("] fence 0x")
                            .append(Long.toHexString(n.fence()));
                }
                if (q.holders() == 0) {
                    b.append("nobody (being handed over)");
                }
                return b.toString();
            }
        }
        return null;
    }

    private static String ordinal(int n) {
        String suffix = (n % 100 >= 11 && n % 100 <= 13) ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
        return n + suffix;
    }

    /** One line: time, participant, message. Called from several threads; println is atomic on a PrintWriter. */
    void print(String format, Object... args) {
        out.println(LocalTime.now().format(TIME) + " " + who + " " + String.format(format, args));
        out.flush();
    }

    /** Refuses a path ZooKeeper would refuse, naming it, before anything connects. */
    void checkPath(String path) {
        try {
            PathUtils.validatePath(path);
        } catch (IllegalArgumentException e) {
            throw badValue("invalid --path '" + path + "': " + oneLine(e));
        }
        if (path.equals("/")) {
            throw badValue("invalid --path '/': a recipe needs a directory of its own");
        }
    }
}
