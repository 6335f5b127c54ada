package io.github.zkrecipes.election;

import io.github.zkrecipes.Registration;
import io.github.zkrecipes.SessionLostException;
import io.github.zkrecipes.internal.queue.SequentialQueue;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One observation of an election's leader: a thread that waits on the head with one watch. */
final class LeaderWatch implements Registration {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderWatch.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final ZkElection election;
    private final SequentialQueue queue;
    private final Consumer<Optional<Leader>> listener;
    private final Thread thread;
    private volatile boolean closed;

    private LeaderWatch(ZkElection election, SequentialQueue queue, Consumer<Optional<Leader>> listener) {
        this.election = election;
        this.queue = queue;
        this.listener = listener;
        this.thread = new Thread(this::run, "zkr-election-observer-" + THREADS.incrementAndGet());
        this.thread.setDaemon(true);
    }

    static LeaderWatch start(ZkElection election, SequentialQueue queue, Consumer<Optional<Leader>> listener) {
        election.session().ensureOpen();
        LeaderWatch w = new LeaderWatch(election, queue, listener);
        w.thread.start();
        return w;
    }

    private void run() {
        String known = null; // the head's name last reported; "" for none
        while (!closed) {
            try {
                Optional<SequentialQueue.NodeInfo> head = queue.awaitHead(known);
                String name = head.map(h -> h.node().name()).orElse("");
                if (name.equals(known) || closed) {
                    continue;
                }
                known = name;
                Optional<Leader> leader = head.map(election::toLeader);
                try {
                    listener.accept(leader);
                } catch (RuntimeException e) {
                    LOG.warn("leader observer of {} threw on {}", election.path(), leader, e);
                }
            } catch (InterruptedException e) {
                return; // closed
            } catch (SessionLostException | IllegalStateException e) {
                if (election.session().isClosed()) {
                    return;
                }
                pause(e);
            } catch (RuntimeException e) {
                pause(e);
            }
        }
    }

    /** After an unexpected failure: log it and look again a second later, never a busy loop. */
    private void pause(RuntimeException e) {
        LOG.warn("observing the leader of {} failed; trying again", election.path(), e);
        try {
            TimeUnit.SECONDS.sleep(1);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    /** Stops observing: the thread is interrupted, removes its watch, and ends (waited for up to 5 s). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        thread.interrupt();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
