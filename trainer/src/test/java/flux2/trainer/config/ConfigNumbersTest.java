package flux2.trainer.config;

import static flux2.trainer.config.ConfigLoaderTest.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Numbers and JSON files that would wrap, overflow or be half read are refused by file and key when the config loads. */
class ConfigNumbersTest {
    @TempDir Path work;
    Path hfHome;

    static final String BASE = """
            "model_type": "lora", "model_family": "flux2", "model_flavour": "dev", "output_dir": "out",
            "data_backend_config": "config/multidatabackend.json\"""";

    static final String DATASETS = """
            [{"id": "d", "type": "local", "instance_data_dir": "data"%s},
             {"id": "t", "type": "local", "dataset_type": "text_embeds", "default": true}]""";

    @BeforeEach
    void setUp() throws IOException {
        hfHome = work.resolve("hf");
        Path repo = hfHome.resolve("hub/models--black-forest-labs--FLUX.2-dev");
        ConfigLoaderTest.makeDiffusersModel(repo.resolve("snapshots/0123abcd"));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), "0123abcd");
        Files.createDirectories(work.resolve("data"));
        write("config/multidatabackend.json", DATASETS.formatted(""));
    }

    Path write(String rel, String text) throws IOException {
        Path p = work.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    /** The problems of loading a config.json of BASE plus {@code extra} ("" or ", \"key\": value"). */
    String problems(String extra) throws IOException {
        Path cfg = write("config/config.json", "{" + BASE + extra + "}");
        ConfigException e = assertThrows(ConfigException.class, () -> loader().load(cfg, List.of()), "refused: " + extra);
        return e.getMessage();
    }

    TrainConfig load(String extra) throws IOException {
        return loader().load(write("config/config.json", "{" + BASE + extra + "}"), List.of());
    }

    ConfigLoader loader() {
        return new ConfigLoader(work, Map.of("HF_HOME", hfHome.toString(), "HOME", work.resolve("home").toString()));
    }

    String cfg() {
        return work.resolve("config/config.json").toString();
    }

    static List<KeyDef> ofKind(KeyTable t, KeyDef.Kind kind) {
        List<KeyDef> out = new ArrayList<>();
        for (KeyDef d : t.defs()) if (d.kind() == kind) out.add(d);
        return out;
    }

    @Test
    void everyIntegerKeyHasARangeThatFitsTheIntItIsReadAs() {
        // seeds are read as longs; every other integer key is read as an int
        Set<String> longs = Set.of("seed", "validation_seed", "max_train_steps", "max_image_pixels");
        for (KeyTable t : List.of(ConfigKeys.TABLE, DatasetKeys.TABLE)) {
            List<KeyDef> ints = ofKind(t, KeyDef.Kind.INT);
            assertFalse(ints.isEmpty());
            for (KeyDef d : ints) {
                assertNotNull(d.min(), d.name() + " has a minimum");
                assertNotNull(d.max(), d.name() + " has a maximum");
                assertTrue(d.max() <= (longs.contains(d.name()) ? 0xFFFF_FFFFL : Integer.MAX_VALUE), d.name() + " max " + d.max());
                assertTrue(d.describeAllowed().matches("an integer from -?\\d+ to \\d+"), d.describeAllowed());
            }
        }
    }

    @Test
    void aKeyTableRefusesAnIntegerKeyWithoutARange() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new KeyTable(List.of(KeyDef.integer("new_interval", 10L).min(1)), Set.of(), List.of()));
        assertContains(e.getMessage(), "new_interval");
        new KeyTable(List.of(KeyDef.integer("new_interval", 10L).range(1, 100)), Set.of(), List.of());
    }

    @Test
    void everyConfigIntegerKeyIsRefusedJustAboveAndBelowItsRange() throws IOException {
        for (KeyDef d : ofKind(ConfigKeys.TABLE, KeyDef.Kind.INT)) {
            long max = (long) (double) d.max(), min = (long) (double) d.min();
            String range = "expected an integer from " + min + " to " + max;
            assertContains(problems(", \"" + d.name() + "\": " + (max + 1)), cfg() + ": " + d.name() + ": " + (max + 1) + " is out of range: " + range);
            assertContains(problems(", \"" + d.name() + "\": " + (min - 1)), cfg() + ": " + d.name() + ": " + (min - 1) + " is out of range: " + range);
        }
    }

    @Test
    void everyDatasetIntegerKeyIsRefusedJustAboveItsRange() throws IOException {
        String backends = work.resolve("config/multidatabackend.json").toString();
        for (KeyDef d : ofKind(DatasetKeys.TABLE, KeyDef.Kind.INT)) {
            long max = (long) (double) d.max();
            write("config/multidatabackend.json", DATASETS.formatted(", \"" + d.name() + "\": " + (max + 1)));
            assertContains(problems(""), backends + " [0 id=d]: " + d.name() + ": " + (max + 1) + " is out of range: expected an integer from "
                    + (long) (double) d.min() + " to " + max);
        }
    }

    @Test
    void valuesThatWrappedWhenCastToIntAreRefused() throws IOException {
        // each of these was cast to an int: 2^31 -> negative, 2^32 + 4 -> 4, 2^32 + 1 -> 1, 2^32 -> 0
        assertContains(problems(", \"gradient_accumulation_steps\": 2147483648"),
                "gradient_accumulation_steps: 2147483648 is out of range: expected an integer from 1 to 4096");
        assertContains(problems(", \"lora_rank\": 4294967300"), "lora_rank: 4294967300 is out of range: expected an integer from 1 to 4096");
        assertContains(problems(", \"train_batch_size\": 4294967297"), "train_batch_size: 4294967297 is out of range");
        assertContains(problems(", \"checkpoint_step_interval\": 4294967296"), "checkpoint_step_interval: 4294967296 is out of range");
        assertContains(problems(", \"validation_steps\": 4294967296"), "validation_step_interval: 4294967296 is out of range");
        assertContains(problems(", \"validation_num_inference_steps\": 1000000000"),
                "validation_num_inference_steps: 1000000000 is out of range: expected an integer from 1 to 1000");
        // beyond a long, as a decimal, or as text
        assertContains(problems(", \"seed\": 18446744073709551616"), "seed: 18446744073709551616 is out of range: expected an integer from 0 to 4294967295");
        assertContains(problems(", \"lora_rank\": 1e400"), "lora_rank: 1E+400 is out of range");
        assertContains(problems(", \"train_batch_size\": \"4294967297\""), "train_batch_size: \"4294967297\" is out of range");
        // the command line goes through the same check
        Path cfg = write("config/config.json", "{" + BASE + "}");
        ConfigException e = assertThrows(ConfigException.class, () -> loader().load(cfg, List.of("--lora_rank", "4294967300")));
        assertContains(e.getMessage(), "lora_rank: 4294967300 is out of range");
        assertEquals(4096, load(", \"lora_rank\": 4096").lora().rank(), "the largest rank is accepted");
    }

    @Test
    void everyNumberKeyMustBeFinite() throws IOException {
        for (KeyDef d : ofKind(ConfigKeys.TABLE, KeyDef.Kind.NUMBER)) {
            assertContains(problems(", \"" + d.name() + "\": 1e400"), cfg() + ": " + d.name() + ": 1E+400 is out of range: expected a finite number");
            assertContains(problems(", \"" + d.name() + "\": \"Infinity\""), d.name() + ": \"Infinity\" is out of range");
            assertContains(problems(", \"" + d.name() + "\": \"NaN\""), d.name() + ": \"NaN\" is out of range");
        }
        for (KeyDef d : ofKind(DatasetKeys.TABLE, KeyDef.Kind.NUMBER)) {
            write("config/multidatabackend.json", DATASETS.formatted(", \"" + d.name() + "\": -1e400"));
            assertContains(problems(""), "[0 id=d]: " + d.name() + ": -1E+400 is out of range: expected a finite number");
        }
        write("config/multidatabackend.json", DATASETS.formatted(""));
        assertContains(problems(", \"learning_rate\": 1e400"), "learning_rate: 1E+400 is out of range: expected a finite number >= 0");
        assertEquals(1e-4, load(", \"learning_rate\": 1e-4").training().learningRate());
    }

    @Test
    void probabilitiesAndDropoutsStayBelowOne() throws IOException {
        assertContains(problems(", \"caption_dropout_probability\": 1.5"),
                "caption_dropout_probability: 1.5 is out of range: expected a finite number from 0 to 1");
        assertContains(problems(", \"lora_dropout\": 1"), "lora_dropout: 1 would drop every input of the adapters: expected 0 <= lora_dropout < 1");
        assertContains(problems(", \"lora_dropout\": 2"), "lora_dropout: 2 is out of range");
    }

    @Test
    void imageSizesHaveAnUpperBound() throws IOException {
        assertContains(problems(", \"validation_resolution\": \"100000x100000\""),
                "validation_resolution: '100000x100000' is out of range: width and height from 16 to 8192 pixels");
        assertContains(problems(", \"validation_resolution\": \"512,1e12\""), "validation_resolution: '1e12' is out of range");
        assertContains(problems(", \"resolution\": 100000"), "resolution: 100000 is out of range: expected a finite number from 0 to 8192");
        write("config/multidatabackend.json", DATASETS.formatted(", \"resolution\": 100000"));
        assertContains(problems(""), "[0 id=d]: resolution: 100000 is out of range: expected a finite number from 0 to 8192");
        write("config/multidatabackend.json", DATASETS.formatted(", \"resolution\": 80, \"resolution_type\": \"area\""));
        assertContains(problems(""), "[0 id=d]: resolution: 80.0 megapixels is out of range: expected at most 67.108864 megapixels (8192x8192)");
        write("config/multidatabackend.json", DATASETS.formatted(", \"resolution\": 8192"));
        assertEquals(8192, load("").imageDatasets().getFirst().resolution());
    }

    @Test
    void contentAfterTheJsonValueIsRefusedNamingTheFile() throws IOException {
        for (String tail : List.of("{}", " {\"lora_rank\": 4}", " 7", " \"x\"", " []")) {
            Path cfg = write("config/config.json", "{" + BASE + "}" + tail);
            ConfigException e = assertThrows(ConfigException.class, () -> loader().load(cfg, List.of()), tail);
            assertContains(e.getMessage(), cfg + ": content after the JSON value at line 2");
        }
        // text that is no JSON token at all is a syntax error, at the same place
        assertContains(problems("} garbage"), cfg() + ": not valid JSON at line 2");
        assertContains(problems("} garbage"), "Unrecognized token 'garbage'");
        Path backends = write("config/multidatabackend.json", DATASETS.formatted("") + "\n[]");
        assertContains(problems(""), backends + ": content after the JSON value at line 3");
        write("config/multidatabackend.json", DATASETS.formatted(""));
        Path lib = write("config/prompts.json", "{\"cat\": \"a cat\"} {\"dog\": \"a dog\"}");
        assertContains(problems(", \"user_prompt_library\": \"config/prompts.json\""), lib + ": content after the JSON value at line 1");
        Path targets = write("config/targets.json", "[\"to_q\"] [\"to_k\"]");
        assertContains(problems(", \"peft_lora_target_modules\": \"config/targets.json\""), targets + ": content after the JSON value");
        assertContains(problems(", \"tread_config\": \"{\\\"routes\\\": []} {}\""), cfg() + ": tread_config: content after the JSON value");
    }

    @Test
    void aKeyWrittenTwiceInOneObjectIsRefused() throws IOException {
        assertContains(problems(", \"lora_rank\": 4, \"lora_rank\": 8"), cfg() + ": not valid JSON at line 2");
        assertContains(problems(", \"lora_rank\": 4, \"lora_rank\": 8"), "Duplicate field 'lora_rank'");
    }
}
