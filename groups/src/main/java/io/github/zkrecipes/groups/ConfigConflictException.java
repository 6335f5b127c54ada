package io.github.zkrecipes.groups;

import io.github.zkrecipes.CoordinationException;

/**
 * A {@link GroupConfig#compareAndSet} found another version than expected: someone changed (or
 * created, or deleted) the configuration first. Nothing was written. Read again and retry.
 */
public class ConfigConflictException extends CoordinationException {
    private static final long serialVersionUID = 1L;

    private final int expectedVersion;
    private final int actualVersion;

    public ConfigConflictException(String path, long sessionId, int expectedVersion, int actualVersion) {
        super("configuration " + path + " is at version " + describe(actualVersion) + ", not the expected "
                + describe(expectedVersion) + "; nothing was written", path, sessionId, null);
        this.expectedVersion = expectedVersion;
        this.actualVersion = actualVersion;
    }

    private static String describe(int v) {
        return v == Versioned.ABSENT ? "ABSENT" : Integer.toString(v);
    }

    public int expectedVersion() {
        return expectedVersion;
    }

    /** The version found (as read just after the conflict; it may have moved on), or ABSENT. */
    public int actualVersion() {
        return actualVersion;
    }
}
