package io.github.zkrecipes.internal.queue;

import io.github.zkrecipes.ZkSession;

/** Lets tests outside this package join the test queue. */
public final class QueueTestAccess {
    private QueueTestAccess() {}

    public static QueueEntry joinNow(ZkSession session) throws InterruptedException {
        return QueueTesting.joinNow(session);
    }
}
