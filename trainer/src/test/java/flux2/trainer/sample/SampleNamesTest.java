package flux2.trainer.sample;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class SampleNamesTest {
    @Test
    void slugKeepsLettersAndDigitsAndJoinsTheRestWithOneDash() {
        assertEquals("a-red-circle-on-a-white-background", SampleNames.slug("A red circle, on a white background!"));
        assertEquals("prompt", SampleNames.slug("  ?? "));
        assertEquals("caf-2", SampleNames.slug("café 2"));
    }

    @Test
    void longPromptsGiveShortNames() {
        String s = SampleNames.slug("word ".repeat(40));
        assertTrue(s.length() <= SampleNames.MAX_SLUG, s);
        assertFalse(s.endsWith("-"));
    }

    @Test
    void fileNameHasSlugAndSeed() {
        assertEquals("a-zorblax_seed12.png", SampleNames.png("a zorblax", 12));
    }
}
