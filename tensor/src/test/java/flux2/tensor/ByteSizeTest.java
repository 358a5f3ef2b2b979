package flux2.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ByteSizeTest {
    @Test
    void readsBytesAndBinaryAndDecimalUnits() {
        assertEquals(123, ByteSize.parse("123", "x"));
        assertEquals(512L << 20, ByteSize.parse("512M", "x"));
        assertEquals(24L << 30, ByteSize.parse("24GiB", "x"));
        assertEquals(24L << 30, ByteSize.parse("24g", "x"));
        assertEquals(80_000_000_000L, ByteSize.parse("80GB", "x"));
        assertEquals(1_500_000_000L, ByteSize.parse("1.5 GB", "x"));
    }

    @Test
    void refusesWhatIsNotASizeNamingTheOption() {
        for (String bad : new String[]{"", "0", "-5", "12 apples", "1.5", "GB", null}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(bad, "--memory"));
            assertTrue(e.getMessage().startsWith("--memory='" + bad + "'"), e.getMessage());
            assertTrue(e.getMessage().contains("KiB, MiB, GiB"), e.getMessage());
        }
    }

    @Test
    void formatsInTheLargestBinaryUnitBelowTheSize() {
        assertEquals("32.0 KiB", ByteSize.format(32768));
        assertEquals("1.5 MiB", ByteSize.format(3L << 19));
        assertEquals("64.5 GiB", ByteSize.format((long) (64.5 * (1L << 30))));
    }
}
