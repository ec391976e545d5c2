package io.offstate.checkpoint;

/**
 * The one check of checkpoint ids and block names that every {@link CheckpointStorage} applies:
 * 1-128 characters of {@code [A-Za-z0-9._-]}, and never {@code "."} or {@code ".."} (so a name is
 * also a safe file name and a safe Redis key part).
 *
 * <p>Stateless and thread-safe.
 */
public final class CheckpointNames {
    /** Longest id or block name. */
    public static final int MAX_LENGTH = 128;

    private CheckpointNames() {
    }

    /**
     * Returns {@code name} if it is a valid id or block name.
     *
     * @param what "checkpoint id" or "block name", for the message
     * @throws IllegalArgumentException naming {@code what} and the offending name otherwise
     */
    public static String check(String what, String name) {
        if (name == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        int n = name.length();
        if (n < 1 || n > MAX_LENGTH || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException(what + " '" + name + "' must be 1-" + MAX_LENGTH
                + " characters of [A-Za-z0-9._-] and not '.' or '..'");
        }
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
            if (!ok) {
                throw new IllegalArgumentException(what + " '" + name + "' has character '" + c
                    + "' at " + i + "; only [A-Za-z0-9._-] are allowed");
            }
        }
        return name;
    }
}
