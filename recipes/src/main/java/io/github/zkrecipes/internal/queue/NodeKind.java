package io.github.zkrecipes.internal.queue;

/**
 * What a queue node stands for, written as the first segment of its name so that a listing (and
 * a person reading {@code zkCli ls}) can tell kinds apart without reading node data.
 */
public enum NodeKind {
    /** A fair exclusive lock's entry. */
    LOCK,
    /** A read-write lock's shared entry. */
    READ,
    /** A read-write lock's exclusive entry. */
    WRITE,
    /** A semaphore lease; its weight is the number of permits. */
    LEASE,
    /** An election candidate. */
    CANDIDATE,
    /** A double-barrier participant. */
    BARRIER,
    /** A group member. */
    MEMBER;

    private final String segment = name().toLowerCase(java.util.Locale.ROOT);

    /** The name segment: the kind in lower case. */
    public String segment() {
        return segment;
    }

    static NodeKind fromSegment(String s) {
        for (NodeKind k : values()) {
            if (k.segment.equals(s)) {
                return k;
            }
        }
        return null;
    }
}
