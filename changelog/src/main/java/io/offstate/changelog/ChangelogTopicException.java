package io.offstate.changelog;

/**
 * A changelog topic exists but does not fit its store (wrong partition count or cleanup policy),
 * or the input topic is missing: recovering from it would silently give wrong state, so
 * {@link Changelog#open} refuses to start. Nothing was created or changed.
 */
public final class ChangelogTopicException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String topic;

    ChangelogTopicException(String topic, String message) {
        super(message);
        this.topic = topic;
    }

    /** The topic that does not fit. */
    public String topic() {
        return topic;
    }
}
