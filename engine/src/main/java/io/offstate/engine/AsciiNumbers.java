package io.offstate.engine;

import static org.agrona.AsciiEncoding.INTEGER_ABSOLUTE_MIN_VALUE;
import static org.agrona.AsciiEncoding.INT_MAX_DIGITS;
import static org.agrona.AsciiEncoding.LONG_MAX_DIGITS;
import static org.agrona.AsciiEncoding.LONG_MAX_VALUE_DIGITS;
import static org.agrona.AsciiEncoding.LONG_MIN_VALUE_DIGITS;
import static org.agrona.AsciiEncoding.MINUS_SIGN;
import static org.agrona.AsciiEncoding.isDigit;
import static org.agrona.AsciiEncoding.isEightDigitAsciiEncodedNumber;
import static org.agrona.AsciiEncoding.isFourDigitsAsciiEncodedNumber;
import static org.agrona.AsciiEncoding.parseEightDigitsLittleEndian;
import static org.agrona.AsciiEncoding.parseFourDigitsLittleEndian;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import org.agrona.AsciiNumberFormatException;

/**
 * The ASCII number parsers of {@link SegmentBuffer}, reading through a {@link MemorySegment}: the
 * same algorithm as Agrona's {@code AbstractMutableDirectBuffer} (Apache License 2.0), so that the
 * same inputs give the same results and the same {@link AsciiNumberFormatException}s, in the same
 * order of checks (an all-digit 8-byte group above the limit is an overflow even if a non-digit
 * follows). Callers check {@code [index, index + length)} first; every byte read lies in it.
 *
 * <p>Stateless; allocates only the exception (and its message) on bad input.
 */
final class AsciiNumbers {
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private AsciiNumbers() {
    }

    /** {@link org.agrona.DirectBuffer#parseNaturalIntAscii}; the range is checked. */
    static int parseNaturalInt(MemorySegment segment, long base, int index, int length) {
        if (length <= 0) {
            throw new AsciiNumberFormatException("empty string: index=" + index + " length=" + length);
        }
        if (length < INT_MAX_DIGITS) {
            return parsePositiveIntAscii(segment, base, index, length, index, index + length);
        }
        final long tally = parsePositiveIntAsciiOverflowCheck(segment, base, index, length, index, index + length);
        if (tally >= INTEGER_ABSOLUTE_MIN_VALUE) {
            throw intOverflow(segment, base, index, length);
        }
        return (int) tally;
    }

    /** {@link org.agrona.DirectBuffer#parseNaturalLongAscii}; the range is checked. */
    static long parseNaturalLong(MemorySegment segment, long base, int index, int length) {
        if (length <= 0) {
            throw new AsciiNumberFormatException("empty string: index=" + index + " length=" + length);
        }
        if (length < LONG_MAX_DIGITS) {
            return parsePositiveLongAscii(segment, base, index, length, index, index + length);
        }
        return parseLongAsciiOverflowCheck(segment, base, index, length, LONG_MAX_VALUE_DIGITS, index, index + length);
    }

    /** {@link org.agrona.DirectBuffer#parseIntAscii}; the range is checked. */
    static int parseInt(MemorySegment segment, long base, int index, int length) {
        if (length <= 0) {
            throw new AsciiNumberFormatException("empty string: index=" + index + " length=" + length);
        }
        final boolean negative = MINUS_SIGN == byteAt(segment, base, index);
        int i = index;
        if (negative) {
            i++;
            if (length == 1) {
                throw intError(segment, base, index, length);
            }
        }
        final int end = index + length;
        if (end - i < INT_MAX_DIGITS) {
            final int tally = parsePositiveIntAscii(segment, base, index, length, i, end);
            return negative ? -tally : tally;
        }
        final long tally = parsePositiveIntAsciiOverflowCheck(segment, base, index, length, i, end);
        if (tally > INTEGER_ABSOLUTE_MIN_VALUE || INTEGER_ABSOLUTE_MIN_VALUE == tally && !negative) {
            throw intOverflow(segment, base, index, length);
        }
        return (int) (negative ? -tally : tally);
    }

    /** {@link org.agrona.DirectBuffer#parseLongAscii}; the range is checked. */
    static long parseLong(MemorySegment segment, long base, int index, int length) {
        if (length <= 0) {
            throw new AsciiNumberFormatException("empty string: index=" + index + " length=" + length);
        }
        final boolean negative = MINUS_SIGN == byteAt(segment, base, index);
        int i = index;
        if (negative) {
            i++;
            if (length == 1) {
                throw longError(segment, base, index, length);
            }
        }
        final int end = index + length;
        if (end - i < LONG_MAX_DIGITS) {
            final long tally = parsePositiveLongAscii(segment, base, index, length, i, end);
            return negative ? -tally : tally;
        } else if (negative) {
            return -parseLongAsciiOverflowCheck(segment, base, index, length, LONG_MIN_VALUE_DIGITS, i, end);
        } else {
            return parseLongAsciiOverflowCheck(segment, base, index, length, LONG_MAX_VALUE_DIGITS, i, end);
        }
    }

    private static byte byteAt(MemorySegment segment, long base, int i) {
        return segment.get(ValueLayout.JAVA_BYTE, base + i);
    }

    private static int parsePositiveIntAscii(MemorySegment segment, long base, int index, int length, int startIndex, int end) {
        int i = startIndex;
        int tally = 0;
        int quartet;
        while (end - i >= 4 && isFourDigitsAsciiEncodedNumber(quartet = segment.get(INT_LE, base + i))) {
            tally = tally * 10_000 + parseFourDigitsLittleEndian(quartet);
            i += 4;
        }
        byte digit;
        while (i < end && isDigit(digit = byteAt(segment, base, i))) {
            tally = tally * 10 + (digit - 0x30);
            i++;
        }
        if (i != end) {
            throw intError(segment, base, index, length);
        }
        return tally;
    }

    private static long parsePositiveIntAsciiOverflowCheck(MemorySegment segment, long base, int index, int length, int startIndex, int end) {
        if (end - startIndex > INT_MAX_DIGITS) {
            throw intOverflow(segment, base, index, length);
        }
        int i = startIndex;
        long tally = 0;
        final long octet = segment.get(LONG_LE, base + i);
        if (isEightDigitAsciiEncodedNumber(octet)) {
            tally = parseEightDigitsLittleEndian(octet);
            i += 8;
            byte digit;
            while (i < end && isDigit(digit = byteAt(segment, base, i))) {
                tally = tally * 10L + (digit - 0x30);
                i++;
            }
        }
        if (i != end) {
            throw intError(segment, base, index, length);
        }
        return tally;
    }

    private static long parsePositiveLongAscii(MemorySegment segment, long base, int index, int length, int startIndex, int end) {
        int i = startIndex;
        long tally = 0;
        long octet;
        while (end - i >= 8 && isEightDigitAsciiEncodedNumber(octet = segment.get(LONG_LE, base + i))) {
            tally = tally * 100_000_000L + parseEightDigitsLittleEndian(octet);
            i += 8;
        }
        int quartet;
        while (end - i >= 4 && isFourDigitsAsciiEncodedNumber(quartet = segment.get(INT_LE, base + i))) {
            tally = tally * 10_000L + parseFourDigitsLittleEndian(quartet);
            i += 4;
        }
        byte digit;
        while (i < end && isDigit(digit = byteAt(segment, base, i))) {
            tally = tally * 10 + (digit - 0x30);
            i++;
        }
        if (i != end) {
            throw longError(segment, base, index, length);
        }
        return tally;
    }

    private static long parseLongAsciiOverflowCheck(MemorySegment segment, long base, int index, int length, int[] maxValue, int startIndex, int end) {
        if (end - startIndex > LONG_MAX_DIGITS) {
            throw longOverflow(segment, base, index, length);
        }
        int i = startIndex;
        int k = 0;
        boolean checkOverflow = true;
        long tally = 0;
        long octet;
        while (end - i >= 8 && isEightDigitAsciiEncodedNumber(octet = segment.get(LONG_LE, base + i))) {
            final int eightDigits = parseEightDigitsLittleEndian(octet);
            if (checkOverflow) {
                if (eightDigits > maxValue[k]) {
                    throw longOverflow(segment, base, index, length);
                } else if (eightDigits < maxValue[k]) {
                    checkOverflow = false;
                }
                k++;
            }
            tally = tally * 100_000_000L + eightDigits;
            i += 8;
        }
        byte digit;
        int lastDigits = 0;
        while (i < end && isDigit(digit = byteAt(segment, base, i))) {
            lastDigits = lastDigits * 10 + (digit - 0x30);
            i++;
        }
        if (i != end) {
            throw longError(segment, base, index, length);
        } else if (checkOverflow && lastDigits > maxValue[k]) {
            throw longOverflow(segment, base, index, length);
        }
        return tally * 1000L + lastDigits;
    }

    private static AsciiNumberFormatException intError(MemorySegment segment, long base, int index, int length) {
        return new AsciiNumberFormatException("error parsing int: " + text(segment, base, index, length));
    }

    private static AsciiNumberFormatException intOverflow(MemorySegment segment, long base, int index, int length) {
        return new AsciiNumberFormatException("int overflow parsing: " + text(segment, base, index, length));
    }

    private static AsciiNumberFormatException longError(MemorySegment segment, long base, int index, int length) {
        return new AsciiNumberFormatException("error parsing long: " + text(segment, base, index, length));
    }

    private static AsciiNumberFormatException longOverflow(MemorySegment segment, long base, int index, int length) {
        return new AsciiNumberFormatException("long overflow parsing: " + text(segment, base, index, length));
    }

    /** The input as Agrona shows it in messages (US-ASCII decoding). */
    private static String text(MemorySegment segment, long base, int index, int length) {
        byte[] bytes = new byte[length];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, base + index, bytes, 0, length);
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
