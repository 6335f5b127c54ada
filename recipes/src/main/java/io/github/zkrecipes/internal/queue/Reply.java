package io.github.zkrecipes.internal.queue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.data.Stat;

/**
 * One ZooKeeper reply: its result code, value and stat. Shared by every recipe module that talks
 * to ZooKeeper directly (internal API).
 */
public record Reply<T>(Code code, T value, Stat stat) {

    public boolean ok() {
        return code == Code.OK;
    }

    /** Connection trouble: the request may or may not have been applied, and the session may live. */
    public boolean connectionTrouble() {
        return code == Code.CONNECTIONLOSS || code == Code.OPERATIONTIMEOUT || code == Code.SESSIONMOVED
                || code == Code.REQUESTTIMEOUT;
    }

    static <T> void complete(CompletableFuture<Reply<T>> f, int rc, T value, Stat stat) {
        f.complete(new Reply<>(Code.get(rc), value, stat));
    }

    /** Waits for a reply until the deadline; null if the deadline passed first. */
    public static <T> Reply<T> await(CompletableFuture<Reply<T>> f, Deadline d) throws InterruptedException {
        try {
            return d.isForever() ? f.get() : f.get(d.remainingNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (ExecutionException e) {
            throw new IllegalStateException("ZooKeeper callback failed", e.getCause());
        }
    }
}
