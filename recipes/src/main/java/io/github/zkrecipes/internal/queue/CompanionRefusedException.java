package io.github.zkrecipes.internal.queue;

import io.github.zkrecipes.CoordinationException;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;

/**
 * A companion create of {@link SequentialQueue#enter(NodeKind, int, byte[], java.util.List, Deadline)}
 * was refused by the ensemble (for example NODEEXISTS: the name is taken), so the whole transaction
 * was: no node of it exists. Internal API; recipes turn it into their own exception.
 */
public final class CompanionRefusedException extends CoordinationException {
    private static final long serialVersionUID = 1L;

    private final transient Code code;

    CompanionRefusedException(String serverPath, Code code, long sessionId) {
        super("cannot create " + serverPath + ": " + code, serverPath, sessionId, KeeperException.create(code, serverPath));
        this.code = code;
    }

    /** The refusal's code. */
    public Code code() {
        return code;
    }
}
