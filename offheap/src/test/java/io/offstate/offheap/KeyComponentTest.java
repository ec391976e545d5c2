package io.offstate.offheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class KeyComponentTest {
    private static ByteSource key(String s) {
        return new ByteSource().wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void untilDelimiterIsTheBytesBeforeTheFirstDelimiterOrTheWholeKey() {
        KeyComponent c = KeyComponent.untilDelimiter((byte) '|');
        assertEquals(4, c.componentLength(key("acme|order|17")));
        assertEquals(0, c.componentLength(key("|x")));
        assertEquals(5, c.componentLength(key("plain")));
        assertEquals(0, c.componentLength(key("")));
    }

    @Test
    void untilDelimiterMatchesHighByteDelimiters() {
        KeyComponent c = KeyComponent.untilDelimiter((byte) 0xFF);
        ByteSource k = new ByteSource().wrap(new byte[] {1, 2, (byte) 0xFF, 3});
        assertEquals(2, c.componentLength(k));
    }

    @Test
    void fixedPrefixIsTheFirstBytesOrTheWholeShorterKey() {
        KeyComponent c = KeyComponent.fixedPrefix(4);
        assertEquals(4, c.componentLength(key("abcdefgh")));
        assertEquals(2, c.componentLength(key("ab")));
        assertEquals(0, c.componentLength(key("")));
    }

    @Test
    void fixedPrefixRejectsLengthsOutsideOneTo65536() {
        assertEquals("fixedPrefix(65536)", KeyComponent.fixedPrefix(65536).toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeyComponent.fixedPrefix(0));
        assertEquals(true, e.getMessage().contains("1..65536"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KeyComponent.fixedPrefix(65537));
    }

    @Test
    void equalComponentsAreEqual() {
        assertEquals(KeyComponent.fixedPrefix(3), KeyComponent.fixedPrefix(3));
        assertEquals(KeyComponent.fixedPrefix(3).hashCode(), KeyComponent.fixedPrefix(3).hashCode());
        assertEquals(KeyComponent.untilDelimiter((byte) '|'), KeyComponent.untilDelimiter((byte) '|'));
        assertNotEquals(KeyComponent.untilDelimiter((byte) '|'), KeyComponent.untilDelimiter((byte) ':'));
        assertNotEquals(KeyComponent.fixedPrefix(3), KeyComponent.fixedPrefix(4));
    }
}
