package io.github.zkrecipes.election;

import io.github.zkrecipes.Registration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Callback-style election: runs a {@link LeaderTask} on a thread of its own while this candidate
 * leads, and cancels it when leadership is lost.
 *
 * <pre>{@code
 * try (ElectedTask scheduler = election.task(ctx -> {
 *         while (!ctx.isCancelled()) {
 *             ctx.guarded(session.curator().transactionOp().setData().forPath("/jobs/next", plan()));
 *             ctx.awaitCancellation(); // or do work that checks isCancelled() / handles interrupts
 *         }
 *     }).start()) {
 *     ...
 * }
 * }</pre>
 *
 * <h2>Behaviour</h2>
 * <ul>
 *   <li>The task runs once per term, on this elected task's thread ({@code zkr-leader-task-N}),
 *       never two at once: a term's task starts only after the previous one returned.
 *   <li>Cancellation: when the term is lost (session expired, node gone), when the connection is
 *       suspended (the default; see {@link Builder#cancelOnSuspend}), or on {@link #close()}, the
 *       task's {@link LeaderContext#isCancelled()} turns true and its thread is interrupted.
 *   <li>When the task returns (or throws) by itself, the term ends (one delete, the next candidate
 *       leads); with {@link Builder#requeue(boolean) requeue} (the default) the candidate joins
 *       again at the tail, otherwise the elected task closes. A cancelled task's candidate stays
 *       in the election either way: it re-joins after a loss.
 *   <li>A task that throws is logged at WARN and kept as {@link #lastTaskFailure()}; it ends the
 *       term, never the election.
 * </ul>
 *
 * <p>States are the {@link Candidacy}'s: LATENT, CONTENDING, LEADING, UNCERTAIN, CLOSED, FAILED.
 * Round trips are the candidacy's (join 1, handover 0 or 1 listing for the next, end of term 1 delete + 1 join).
 *
 * <h2>Not guaranteed</h2>
 * That the task stops before someone else leads: it is interrupted when this client learns of the
 * loss, which after a partition is only after the ensemble expired the session. Write through
 * {@link LeaderContext#guarded} or pass {@link LeaderContext#epoch()} to what you write to.
 */
public final class ElectedTask implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ElectedTask.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Candidacy candidacy;
    private final LeaderTask task;
    private final boolean cancelOnSuspend;
    private final boolean requeue;
    private final ExecutorService runner;
    private final Object lock = new Object();
    // guarded by lock
    private LeaderContext current;     // the latest term's context
    private LeaderContext running;     // the context whose task is running now
    private Thread taskThread;
    private boolean closed;
    private volatile Throwable lastTaskFailure;
    private volatile Thread runnerThread;

    private ElectedTask(Builder b) {
        this.candidacy = b.election.candidacy();
        this.task = b.task;
        this.cancelOnSuspend = b.cancelOnSuspend;
        this.requeue = b.requeue;
        int n = THREADS.incrementAndGet();
        this.runner = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "zkr-leader-task-" + n);
            t.setDaemon(true);
            runnerThread = t;
            return t;
        });
        candidacy.addListener(this::onEvent);
    }

    /** Starts contending; see {@link Candidacy#start()}. */
    public ElectedTask start() {
        candidacy.start();
        return this;
    }

    public ElectionState state() {
        return candidacy.state();
    }

    /** True while this candidate leads (see {@link Candidacy#isLeader()}). */
    public boolean isLeader() {
        return candidacy.isLeader();
    }

    /** The candidacy under this task: its state, epoch, failure, and {@link Candidacy#resign()}. */
    public Candidacy candidacy() {
        return candidacy;
    }

    /** What the task last threw by itself (not counting the interrupt of a cancellation). */
    public Optional<Throwable> lastTaskFailure() {
        return Optional.ofNullable(lastTaskFailure);
    }

    /** Adds a listener for the candidacy's state changes; see {@link Candidacy#addListener}. */
    public Registration addListener(Consumer<ElectionEvent> listener) {
        return candidacy.addListener(listener);
    }

    // Runs on the election thread: start or cancel, never block.
    private void onEvent(ElectionEvent e) {
        if (e.gainedLeadership()) {
            LeaderContext ctx = new LeaderContext(e.leadership());
            synchronized (lock) {
                if (closed) {
                    return;
                }
                current = ctx;
            }
            runner.execute(() -> runTerm(ctx));
        } else if (!e.state().inTerm() || (e.state() == ElectionState.UNCERTAIN && cancelOnSuspend)) {
            cancelCurrent();
        }
    }

    private void cancelCurrent() {
        synchronized (lock) {
            LeaderContext ctx = current;
            if (ctx != null && ctx.cancel() && running == ctx) {
                taskThread.interrupt();
            }
        }
    }

    private void runTerm(LeaderContext ctx) {
        synchronized (lock) {
            if (closed || ctx.isCancelled()) {
                return; // lost before it could start; the candidacy re-joins by itself
            }
            running = ctx;
            taskThread = Thread.currentThread();
        }
        Throwable thrown = null;
        try {
            task.lead(ctx);
        } catch (InterruptedException e) {
            if (!ctx.isCancelled()) {
                thrown = e;
            }
        } catch (Throwable t) {
            thrown = t;
        } finally {
            synchronized (lock) {
                running = null;
                taskThread = null;
                Thread.interrupted(); // an interrupt is only sent while running == ctx
            }
        }
        if (thrown != null) {
            lastTaskFailure = thrown;
            LOG.warn("leader task of {} (epoch {}) threw", candidacy.election().path(), ctx.epoch(), thrown);
        }
        boolean ownAccord = !ctx.isCancelled();
        ctx.cancel();
        synchronized (lock) {
            if (closed) {
                return;
            }
        }
        if (ownAccord && !requeue) {
            close();
        } else {
            ctx.leadership().resign(); // ends the term if it is still current; the candidate joins again
        }
        if (thrown instanceof Error err) {
            throw err;
        }
    }

    /**
     * Cancels the running task (interrupt and signal), leaves the election (see {@link
     * Candidacy#close()}), and waits a bounded time for the task to return. Idempotent.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        cancelCurrent();
        candidacy.close();
        runner.shutdown();
        if (Thread.currentThread() != runnerThread) { // a task closing its own elected task cannot wait for itself
            try {
                if (!runner.awaitTermination(10, TimeUnit.SECONDS)) {
                    LOG.warn("leader task of {} ignores its interrupt; leaving it running", candidacy.election().path());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "ElectedTask[" + candidacy + "]";
    }

    /** Configures an {@link ElectedTask}; from {@link ZkElection#task(LeaderTask)}. */
    public static final class Builder {
        private final ZkElection election;
        private final LeaderTask task;
        private boolean cancelOnSuspend = true;
        private boolean requeue = true;

        Builder(ZkElection election, LeaderTask task) {
            this.election = election;
            this.task = Objects.requireNonNull(task, "task");
        }

        /**
         * Whether a suspended connection cancels the task (default true). With false the task
         * keeps running while the connection is suspended and is cancelled only when the session
         * is lost. The risk: the session may already have expired on the ensemble (it does at the
         * session timeout; this client learns it only when it reconnects), so for up to a third
         * of the session timeout, or the whole partition, this task runs while another leader's
         * does too. Only choose false if every write of the task is {@link LeaderContext#guarded}
         * or fenced by {@link LeaderContext#epoch()}, and brief connection blips are costly.
         */
        public Builder cancelOnSuspend(boolean cancel) {
            this.cancelOnSuspend = cancel;
            return this;
        }

        /**
         * Whether, after the task returns or throws by itself, the candidate joins again at the
         * tail (default true) or the elected task closes.
         */
        public Builder requeue(boolean requeue) {
            this.requeue = requeue;
            return this;
        }

        /** Builds the elected task, not started. */
        public ElectedTask build() {
            return new ElectedTask(this);
        }

        /** Builds the elected task and starts contending. */
        public ElectedTask start() {
            return build().start();
        }
    }
}
