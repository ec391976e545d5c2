/**
 * offstate's memory layer: off-heap pages and blocks, the hash index, entry layout and the key
 * dictionary, all on {@code java.lang.foreign} (no JNI, no {@code sun.misc.Unsafe}).
 *
 * <p>Only {@code io.offstate.offheap} (exceptions, {@code KeyComponent}, {@code ByteSource}, …) is
 * exported to everyone; the memory, index and file packages are exported to the engine module only,
 * so that their types are no part of offstate's public API.
 *
 * <p>Agrona is optional ({@code requires static}): only callers that pass an Agrona
 * {@code DirectBuffer} need it on their module path.
 */
module io.offstate.offheap {
    requires static org.agrona;
    requires com.carrotsearch.hppc;

    // The public API is the exceptions, KeyComponent and ByteSource; the internals serve the engine only.
    exports io.offstate.offheap;
    exports io.offstate.offheap.memory to io.offstate.engine;
    exports io.offstate.offheap.index to io.offstate.engine;
    exports io.offstate.offheap.file to io.offstate.engine;
}
