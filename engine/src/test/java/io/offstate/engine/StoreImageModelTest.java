package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.KeyComponent;

/**
 * Model test of copy-on-write images: random puts (small and large values), overwrites that move
 * entries, deletes (freeing large blocks), index growth and, for file-backed stores, flushes, run by
 * the owner while another thread reads the open image, full or incremental. The store rebuilt from
 * the chain of images must hold exactly the model's state at each pin; the store itself the model's
 * current state.
 */
class StoreImageModelTest {
    @TempDir
    Path tmp;

    @Test
    void inMemoryImagesRestoreToTheStateAtThePinWhileTheOwnerWrites() {
        qt().withExamples(20).withFixedSeed(0x1DEA5L).forAll(longs().all()).checkAssert(seed -> scenario(seed, false));
    }

    @Test
    void fileBackedImagesRestoreToTheStateAtThePinWhileTheOwnerWritesAndFlushes() {
        qt().withExamples(6).withFixedSeed(0xF11EL).forAll(longs().all()).checkAssert(seed -> scenario(seed, true));
    }

    private void scenario(long seed, boolean fileBacked) {
        Random rnd = new Random(seed);
        StoreOptions.Builder b = StoreOptions.builder().name("cow").pageSize(1 << 14).expectedEntries(16)
            .hashSeed(seed).sortedIndex(rnd.nextBoolean());
        if (rnd.nextBoolean()) {
            b.dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|'));
        }
        StoreOptions options = b.build();
        Path dir = tmp.resolve("s" + Long.toHexString(seed) + (fileBacked ? "f" : "m"));
        TreeMap<String, String> model = new TreeMap<>();
        ImageChain chain = new ImageChain();
        int[] unique = {0};
        try (KeyValueStore store = fileBacked ? KeyValueStore.open(dir.resolve("store"), options) : KeyValueStore.create(options)) {
            for (int round = 0; round < 5; round++) {
                write(store, model, rnd, 100 + rnd.nextInt(1200), fileBacked, unique);
                boolean incremental = round > 0 && rnd.nextInt(3) > 0;
                StoreImage image = incremental ? store.incrementalImage() : store.image();
                assertEquals(incremental, image.isIncremental(), "seed " + seed);
                TreeMap<String, String> atPin = new TreeMap<>(model);
                long readerSeed = rnd.nextLong();
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread reader = new Thread(() -> {
                    try {
                        chain.apply(image, new Random(readerSeed));
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                }, "image-reader");
                // writes after the pin and before the reader starts: certain to change chunks the image still needs
                write(store, model, rnd, 50 + rnd.nextInt(500), fileBacked, unique);
                reader.start();
                write(store, model, rnd, 100 + rnd.nextInt(1500), fileBacked, unique); // races the reader
                try {
                    reader.join();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                image.close();
                if (failure.get() != null) {
                    throw new AssertionError("seed " + seed + " round " + round + ": reading the image failed", failure.get());
                }
                assertEquals(model, ImageChain.contents(store), "seed " + seed + ": the store itself");
                Path restoreDir = fileBacked ? dir.resolve("restored-" + round) : null;
                try (KeyValueStore restored = chain.restore(restoreDir, options)) {
                    restored.verify();
                    assertEquals(atPin, ImageChain.contents(restored),
                        "seed " + seed + " round " + round + (incremental ? " (incremental)" : " (full)") + ": state at the pin");
                }
            }
        }
        if (fileBacked) { // the flushes that ran while images were open left a store that reopens to the model
            try (KeyValueStore reopened = KeyValueStore.open(dir.resolve("store"), options)) {
                reopened.verify();
                assertEquals(model, ImageChain.contents(reopened), "seed " + seed + ": reopened after the images");
            }
        }
    }

    private static void write(KeyValueStore store, TreeMap<String, String> model, Random rnd, int ops, boolean fileBacked,
                              int[] unique) {
        List<String> keys = null;
        for (int i = 0; i < ops; i++) {
            int r = rnd.nextInt(100);
            if (r < 60) {
                put(store, model, "c" + rnd.nextInt(6) + "|k" + rnd.nextInt(300), rnd);
            } else if (r < 85) {
                if (model.isEmpty()) {
                    continue;
                }
                if (keys == null || rnd.nextInt(20) == 0) {
                    keys = new ArrayList<>(model.keySet());
                }
                String k = keys.get(rnd.nextInt(keys.size()));
                boolean present = model.remove(k) != null;
                assertEquals(present, store.delete(k.getBytes(StandardCharsets.ISO_8859_1)));
            } else if (r < 87 && fileBacked) {
                store.flush();
            } else {
                put(store, model, "g" + rnd.nextInt(3) + "|u" + unique[0]++, rnd); // growth
            }
        }
    }

    private static void put(KeyValueStore store, TreeMap<String, String> model, String key, Random rnd) {
        int length = rnd.nextInt(10) == 0 ? 4000 + rnd.nextInt(4000) : rnd.nextInt(200); // large blocks above 4 KiB
        byte[] value = new byte[length];
        rnd.nextBytes(value);
        store.put(key.getBytes(StandardCharsets.ISO_8859_1), value);
        model.put(key, new String(value, StandardCharsets.ISO_8859_1));
    }
}
