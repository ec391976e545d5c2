/**
 * offstate's memory layer: off-heap pages and blocks, the hash index, entry layout and the key
 * dictionary, all on {@code java.lang.foreign} (no JNI, no {@code sun.misc.Unsafe}).
 *
 * <p>Agrona is optional ({@code requires static}): only callers that pass an Agrona
 * {@code DirectBuffer} need it on their module path.
 */
module io.offstate.offheap {
    requires static org.agrona;
    requires com.carrotsearch.hppc;

    exports io.offstate.offheap;
    exports io.offstate.offheap.memory;
    exports io.offstate.offheap.index;
    exports io.offstate.offheap.file;
}
