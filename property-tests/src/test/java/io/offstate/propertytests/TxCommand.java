package io.offstate.propertytests;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * One step of {@link TransactionModelTest}: a transactional read or write on store {@code store},
 * a scan through the transaction, a commit or an abort. A step that needs a transaction begins one
 * if none is open.
 */
sealed interface TxCommand {
    record Put(int store, Bytes key, Bytes value) implements TxCommand {
    }

    record Delete(int store, Bytes key) implements TxCommand {
    }

    record Get(int store, Bytes key) implements TxCommand {
    }

    /** A scan of {@code [from, to)} ({@code null}: open), or of a prefix if {@code prefix}; reverse if {@code reverse}. */
    record Scan(int store, Bytes from, Bytes to, boolean prefix, boolean reverse) implements TxCommand {
        /** What the scan must return over {@code visible}: keys in order. */
        List<Bytes> expected(TreeMap<Bytes, Bytes> visible) {
            NavigableMap<Bytes, Bytes> m;
            if (prefix) {
                List<Bytes> out = new ArrayList<>();
                for (Map.Entry<Bytes, Bytes> e : visible.entrySet()) {
                    if (startsWith(e.getKey().array(), from.array())) {
                        out.add(e.getKey());
                    }
                }
                if (reverse) {
                    java.util.Collections.reverse(out);
                }
                return out;
            }
            if (from != null && to != null && from.compareTo(to) >= 0) {
                return List.of();
            }
            m = visible;
            if (from != null) {
                m = m.tailMap(from, true);
            }
            if (to != null) {
                m = m.headMap(to, false);
            }
            List<Bytes> out = new ArrayList<>(m.keySet());
            if (reverse) {
                java.util.Collections.reverse(out);
            }
            return out;
        }

        private static boolean startsWith(byte[] key, byte[] prefix) {
            return key.length >= prefix.length && java.util.Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
        }
    }

    record Commit(Bytes positions) implements TxCommand {
    }

    record Abort() implements TxCommand {
    }
}
