package io.offstate.checkpoint.redis;

import java.nio.charset.StandardCharsets;

/**
 * The Redis key layout of a {@link RedisCheckpointStorage}: every key starts with the storage's
 * prefix {@code P} (default {@code "offstate:checkpoint:"}), so several storages share one database.
 *
 * <pre>
 *   P index            sorted set   member = checkpoint id, score = publication sequence (published only)
 *   P seq              string       INCR counter giving each publication its sequence
 *   P m: id            string       the manifest; exists if and only if id is published
 *   P s: id            set          the names of the blocks written for id (the upload record)
 *   P b: id : block    string       one block's bytes, one key per block
 * </pre>
 *
 * <p>Ids and block names are {@code [A-Za-z0-9._-]}, so the {@code ':'} separators cannot be
 * ambiguous. The block-name set is what {@code delete} and {@code listUnpublished} iterate, so
 * neither has to scan block keys: a set exists while any block of its id may exist (blocks are
 * removed before it, and with an expiry it expires no earlier than the blocks it lists).
 *
 * <p>Immutable and thread-safe. Each method returns a new array that belongs to the caller.
 */
final class RedisKeys {
    /** Longest id or block name the {@code CheckpointStorage} contract allows. */
    static final int MAX_NAME_LENGTH = 128;

    private final String prefix;

    RedisKeys(String prefix) {
        this.prefix = prefix;
    }

    String prefix() {
        return prefix;
    }

    byte[] index() {
        return bytes(prefix + "index");
    }

    byte[] sequence() {
        return bytes(prefix + "seq");
    }

    byte[] manifest(String id) {
        return bytes(manifestPrefix() + id);
    }

    /** What a manifest key is before its id (the Lua scripts append ids to it). */
    String manifestPrefix() {
        return prefix + "m:";
    }

    byte[] blockSet(String id) {
        return bytes(blockSetPrefix() + id);
    }

    String blockSetPrefix() {
        return prefix + "s:";
    }

    byte[] block(String id, String block) {
        return bytes(blockPrefix(id) + block);
    }

    /** What the key of every block of {@code id} starts with (the Lua scripts append names to it). */
    String blockPrefix(String id) {
        return prefix + "b:" + id + ":";
    }

    /** A {@code SCAN MATCH} pattern for every block-name set of this prefix. */
    byte[] blockSetPattern() {
        return bytes(globEscape(blockSetPrefix()) + "*");
    }

    /** The id of block-name set key {@code key}, which matched {@link #blockSetPattern()}. */
    String idOfBlockSet(byte[] key) {
        String k = new String(key, StandardCharsets.UTF_8);
        return k.substring(blockSetPrefix().length());
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Checks a checkpoint id or block name against the contract: 1-128 characters of
     * {@code [A-Za-z0-9._-]}.
     *
     * @throws IllegalArgumentException naming {@code what} and the offending name
     */
    static String requireName(String what, String name) {
        if (name == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        int n = name.length();
        if (n < 1 || n > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException(
                what + " must be 1-" + MAX_NAME_LENGTH + " characters of [A-Za-z0-9._-], got " + n
                    + " characters: '" + abbreviate(name) + "'");
        }
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '_' || c == '-';
            if (!ok) {
                throw new IllegalArgumentException(
                    what + " must be 1-" + MAX_NAME_LENGTH + " characters of [A-Za-z0-9._-], got '"
                        + abbreviate(name) + "' (character " + i + " is not allowed)");
            }
        }
        return name;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    /** Escapes the characters {@code SCAN MATCH} treats as a glob, so a prefix matches literally. */
    static String globEscape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\' || c == '^' || c == '-') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }
}
