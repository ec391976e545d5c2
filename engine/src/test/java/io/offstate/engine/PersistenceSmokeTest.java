package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PersistenceSmokeTest {
    @TempDir
    Path dir;

    @Test
    void reopensWhatWasWritten() {
        StoreOptions o = StoreOptions.builder().pageSize(4096).sortedIndex(true).build();
        try (KeyValueStore s = KeyValueStore.open(dir, o)) {
            assertEquals(1, s.flushGeneration());
            for (int i = 0; i < 20000; i++) {
                s.put(("k" + i).getBytes(StandardCharsets.UTF_8), ("v" + i).getBytes(StandardCharsets.UTF_8));
            }
            s.flush();
            for (int i = 0; i < 20000; i += 3) {
                s.delete(("k" + i).getBytes(StandardCharsets.UTF_8));
            }
            s.put("big".getBytes(), new byte[5000]);
        }
        try (KeyValueStore s = KeyValueStore.open(dir, o)) {
            assertEquals(3, s.flushGeneration());
            s.verify();
            s.verifyFiles();
            for (int i = 0; i < 20000; i++) {
                byte[] v = s.getCopy(("k" + i).getBytes(StandardCharsets.UTF_8));
                if (i % 3 == 0) {
                    assertNull(v);
                } else {
                    assertEquals("v" + i, new String(v, StandardCharsets.UTF_8));
                }
            }
            assertEquals(5000, s.getCopy("big".getBytes()).length);
            s.put("after".getBytes(), "x".getBytes());
            s.closeWithoutFlush();
        }
        try (KeyValueStore s = KeyValueStore.open(dir, o)) {
            assertNull(s.getCopy("after".getBytes()));
            assertEquals(20000 - 6667 + 1, s.size());
        }
    }
}
