package flux2.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.examples.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sample refuses sizes, step counts and strengths that are out of range or not finite, before loading the model. */
class SampleNumbersTest {
    @TempDir Path dir;

    @Test
    void outOfRangeOrNonFiniteSettingsAreRefusedByName() throws Exception {
        Path model = TinyModel.write(dir.resolve("model"), 3);
        Path png = dir.resolve("x.png");
        String[][] cases = {
                {"--width", "100000", "--height", "100000"}, {"width and height must be multiples of 16 from 16 to 8192, got 100000x100000"},
                {"--steps", "1000000000"}, {"steps must be from 1 to 1000, got 1000000000"},
                {"--guidance", "Infinity"}, {"the guidance must be a finite number, got Infinity"},
                {"--guidance-real", "NaN", "--negative-prompt", ""}, {"the classifier-free guidance scale must be a finite number of at least 0, got NaN"},
                {"--lora-scale", "NaN", "--lora", model.resolve("transformer/config.json").toString()}, {"the LoRA strength must be a finite number, got NaN"},
        };
        for (int i = 0; i < cases.length; i += 2) {
            List<String> args = new ArrayList<>(List.of("sample", "--model", model.toString(), "--prompt", "a red square", "-o", png.toString()));
            for (String[] d : new String[][]{{"--width", "32"}, {"--height", "32"}, {"--steps", "2"}})
                if (!List.of(cases[i]).contains(d[0])) args.addAll(List.of(d));
            args.addAll(List.of(cases[i]));
            CliRun r = CliRun.of(args.toArray(String[]::new));
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().contains("error: " + cases[i + 1][0]), r.err());
            assertFalse(Files.exists(png));
        }
    }
}
