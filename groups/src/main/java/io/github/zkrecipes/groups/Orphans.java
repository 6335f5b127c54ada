package io.github.zkrecipes.groups;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.queue.QueueEntry;
import io.github.zkrecipes.internal.queue.QueueNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A second node carrying the same protected id as our entry: a create whose reply was lost, sent
 * again by the engine because its recovery listing did not show the first one yet (it was still
 * in flight in the ensemble, or the server reconnected to lagged). It is ours and must neither be
 * counted as another participant nor taken for a duplicate member: it is deleted.
 */
final class Orphans {
    private static final Logger LOG = LoggerFactory.getLogger(Orphans.class);

    private Orphans() {}

    static boolean isOrphanOf(QueueNode node, QueueEntry entry) {
        return node.id().equals(entry.node().id()) && !node.name().equals(entry.node().name());
    }

    /** Deletes it in the background (Curator's guaranteed delete retries across connection loss). */
    static void delete(ZkSession session, String dir, QueueNode node) {
        LOG.info("deleting {}/{}: a second node of one create whose reply was lost", dir, node.name());
        try {
            session.curator().delete().guaranteed().inBackground().forPath(dir + "/" + node.name());
        } catch (Exception e) {
            LOG.warn("cannot delete orphan {}/{}; it goes with its session", dir, node.name(), e);
        }
    }
}
