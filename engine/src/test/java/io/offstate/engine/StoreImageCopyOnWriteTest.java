package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.StoreClosedException;

/** Copy-on-write images: what the pin copies, what the owner copies later, and what outlives what. */
class StoreImageCopyOnWriteTest {
    @TempDir
    Path tmp;

    private static final StoreOptions OPTIONS = StoreOptions.builder().name("cow").pageSize(1 << 14).expectedEntries(16)
        .sortedIndex(true).build();

    private static void fill(KeyValueStore store, TreeMap<String, String> model, int from, int to, String tag) {
        for (int i = from; i < to; i++) {
            String k = "k" + i;
            String v = tag + "-" + i + (i % 97 == 0 ? "x".repeat(6000) : ""); // some large blocks
            store.put(k.getBytes(StandardCharsets.ISO_8859_1), v.getBytes(StandardCharsets.ISO_8859_1));
            model.put(k, v);
        }
    }

    private static void restoreEquals(ImageChain chain, Path dir, TreeMap<String, String> expected) {
        try (KeyValueStore restored = chain.restore(dir, OPTIONS)) {
            restored.verify();
            assertEquals(expected, ImageChain.contents(restored));
        }
    }

    @Test
    void pinningCopiesNothingAndTheOwnerCopiesOnlyChunksItChanges() {
        TreeMap<String, String> model = new TreeMap<>();
        try (KeyValueStore store = KeyValueStore.create(OPTIONS)) {
            fill(store, model, 0, 20_000, "a");
            TreeMap<String, String> atPin = new TreeMap<>(model);
            try (StoreImage image = store.image()) {
                assertEquals(0, image.sideCopyBytes(), "the pin copies no store bytes");
                store.put("k5".getBytes(StandardCharsets.ISO_8859_1), "changed".getBytes(StandardCharsets.ISO_8859_1));
                long afterOne = image.sideCopyBytes();
                assertTrue(afterOne > 0 && afterOne <= 16 * 4096, "one put copies a few chunks aside, copied " + afterOne);
                fill(store, model, 0, 20_000, "b"); // every entry rewritten, index grown, large blocks moved or freed
                for (int i = 0; i < 20_000; i += 3) {
                    store.delete(("k" + i).getBytes(StandardCharsets.ISO_8859_1));
                }
                assertTrue(image.sideCopyBytes() <= image.bytesCarried(), "at most one copy of each carried chunk");
                ImageChain chain = new ImageChain();
                chain.apply(image, new Random(1));
                restoreEquals(chain, null, atPin);
            }
        }
    }

    @Test
    void aSecondImageWhileOneIsOpenCopiesWhatTheFirstHasNotReadAndBothStayValid() {
        TreeMap<String, String> model = new TreeMap<>();
        try (KeyValueStore store = KeyValueStore.create(OPTIONS)) {
            fill(store, model, 0, 5_000, "a");
            TreeMap<String, String> atFirst = new TreeMap<>(model);
            StoreImage first = store.image();
            fill(store, model, 2_000, 8_000, "b");
            TreeMap<String, String> atSecond = new TreeMap<>(model);
            StoreImage second = store.incrementalImage();
            assertTrue(first.sideCopyBytes() > 0);
            fill(store, model, 0, 8_000, "c");
            ImageChain chain = new ImageChain();
            chain.apply(first, new Random(2));
            restoreEquals(chain, null, atFirst);
            chain.apply(second, new Random(3));
            restoreEquals(chain, null, atSecond);
            first.close();
            second.close();
        }
    }

    @Test
    void anImageOutlivesItsStore() {
        TreeMap<String, String> model = new TreeMap<>();
        StoreImage image;
        TreeMap<String, String> atPin;
        try (KeyValueStore store = KeyValueStore.open(tmp.resolve("store"), OPTIONS)) {
            fill(store, model, 0, 5_000, "a");
            atPin = new TreeMap<>(model);
            image = store.image();
            fill(store, model, 0, 3_000, "b");
        }
        try (image) {
            ImageChain chain = new ImageChain();
            chain.apply(image, new Random(4));
            restoreEquals(chain, tmp.resolve("restored"), atPin);
        }
    }

    @Test
    void flushesWhileAnImageIsOpenCorruptNeitherTheImageNorTheStore() {
        TreeMap<String, String> model = new TreeMap<>();
        Path dir = tmp.resolve("store");
        try (KeyValueStore store = KeyValueStore.open(dir, OPTIONS)) {
            fill(store, model, 0, 6_000, "a");
            store.flush();
            fill(store, model, 3_000, 7_000, "b");
            TreeMap<String, String> atPin = new TreeMap<>(model);
            try (StoreImage image = store.image()) {
                fill(store, model, 0, 9_000, "c");
                store.flush();
                for (int i = 0; i < 9_000; i += 2) {
                    store.delete(("k" + i).getBytes(StandardCharsets.ISO_8859_1));
                    model.remove("k" + i);
                }
                store.flush();
                ImageChain chain = new ImageChain();
                chain.apply(image, new Random(5));
                restoreEquals(chain, null, atPin);
            }
            fill(store, model, 9_000, 9_500, "d");
        }
        try (KeyValueStore reopened = KeyValueStore.open(dir, OPTIONS)) {
            reopened.verify();
            assertEquals(model, ImageChain.contents(reopened));
        }
    }

    @Test
    void bytesAreReadOnceAndNotAfterClose() {
        TreeMap<String, String> model = new TreeMap<>();
        try (KeyValueStore store = KeyValueStore.create(OPTIONS); Arena arena = Arena.ofConfined()) {
            fill(store, model, 0, 2_000, "a");
            StoreImage image = store.image();
            StoreImage.Region r = image.regions().get(0);
            MemorySegment into = arena.allocate(r.bytesCarried());
            r.read(0, into, 0, r.bytesCarried());
            assertThrows(IllegalStateException.class, () -> r.read(0, into, 0, 4096), "a chunk read live cannot be read again");
            assertThrows(IllegalStateException.class, r::data, "data() after read()");
            StoreImage.Region other = image.regions().get(1);
            MemorySegment data = other.data();
            assertEquals(other.bytesCarried(), data.byteSize());
            assertEquals(data, other.data(), "data() is copied once");
            image.close();
            assertThrows(StoreClosedException.class, () -> image.regions().get(2).read(0, into, 0, 1));
            store.put("after".getBytes(StandardCharsets.ISO_8859_1), "close".getBytes(StandardCharsets.ISO_8859_1));
            assertEquals("close", new String(store.getCopy("after".getBytes(StandardCharsets.ISO_8859_1)), StandardCharsets.ISO_8859_1));
        }
    }
}
