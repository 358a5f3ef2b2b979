package flux2.trainer.config;

import static org.junit.jupiter.api.Assertions.*;

import flux2.trainer.config.DatasetConfig.ConditioningType;
import flux2.examples.TinyEditProject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConditioningConfigTest {
    @TempDir Path dir;

    private TrainConfig load(Path cfg, String... overrides) {
        return new ConfigLoader(dir, Map.of()).load(cfg, List.of(overrides));
    }

    /** The edit project with its multidatabackend.json replaced by {@code json} (REF and EDIT name its two folders). */
    private Path withBackends(String json) throws Exception {
        Path cfg = TinyEditProject.write(dir, Map.of());
        Files.writeString(dir.resolve("multidatabackend.json"), json.replace("EDIT", dir.resolve("data/edit").toString())
                .replace("REF", dir.resolve("data/reference").toString()));
        return cfg;
    }

    private static final String TEXT = "{\"id\": \"t\", \"type\": \"local\", \"dataset_type\": \"text_embeds\", \"default\": true}";

    @Test
    void pairsConditioningDatasetsWithTheirImageDataset() throws Exception {
        TrainConfig c = load(TinyEditProject.write(dir, Map.of()));
        assertEquals(List.of("edits"), c.imageDatasets().stream().map(DatasetConfig::id).toList());
        assertEquals(List.of("references"), c.imageDatasets().getFirst().conditioningData());
        DatasetConfig ref = c.conditioningDatasets().getFirst();
        assertEquals(ConditioningType.REFERENCE_STRICT, ref.conditioningType());
        assertEquals(dir.resolve("data/reference"), ref.instanceDataDir());
        assertEquals(TrainConfig.MultidatasetSampling.COMBINED, c.conditioning().multidatasetSampling());
        assertEquals(List.of("magentasq", "magentacirc"), c.promptLibrary().stream().map(PromptEntry::shortname).toList());
        assertEquals(List.of(dir.resolve("validation/magenta-square.png")), c.promptLibrary().getFirst().referenceImages());
    }

    @Test
    void sourceDatasetIdPairsToo() throws Exception {
        Path cfg = withBackends("[{\"id\": \"e\", \"type\": \"local\", \"instance_data_dir\": \"EDIT\"},"
                + " {\"id\": \"r\", \"type\": \"local\", \"dataset_type\": \"conditioning\", \"conditioning_type\": \"reference_loose\","
                + " \"instance_data_dir\": \"REF\", \"source_dataset_id\": \"e\"}, " + TEXT + "]");
        TrainConfig c = load(cfg);
        assertEquals(List.of("r"), c.imageDatasets().getFirst().conditioningData());
        assertEquals(ConditioningType.REFERENCE_LOOSE, c.conditioningDatasets().getFirst().conditioningType());
    }

    @Test
    void badPairingsAreNamedWithTheFileAndWhatIsAllowed() throws Exception {
        Path cfg = withBackends("[{\"id\": \"e\", \"type\": \"local\", \"instance_data_dir\": \"EDIT\", \"conditioning_data\": [\"nope\", \"t\"],"
                + " \"conditioning_type\": \"reference_strict\"},"
                + " {\"id\": \"r\", \"type\": \"local\", \"dataset_type\": \"conditioning\", \"instance_data_dir\": \"REF\"},"
                + " {\"id\": \"m\", \"type\": \"local\", \"dataset_type\": \"conditioning\", \"conditioning_type\": \"mask\", \"instance_data_dir\": \"REF\"},"
                + " {\"id\": \"x\", \"type\": \"local\", \"dataset_type\": \"conditioning\", \"conditioning_type\": \"reference_loose\", \"instance_data_dir\": \"REF\"}, "
                + TEXT + "]");
        String m = assertThrows(ConfigException.class, () -> load(cfg)).getMessage();
        String file = dir.resolve("multidatabackend.json").toString();
        assertTrue(m.contains(file + ": conditioning_data: dataset 'e' names 'nope', which is not an enabled dataset_type conditioning dataset"), m);
        assertTrue(m.contains("dataset 'e' names 't', which is not an enabled dataset_type conditioning dataset"), m);
        assertTrue(m.contains("conditioning_type: only for dataset_type conditioning"), m);
        assertTrue(m.contains("id=r]: conditioning_type: required for a conditioning dataset: reference_strict"), m);
        assertTrue(m.contains("conditioning_type: 'mask' is a SimpleTuner value this trainer does not implement; implemented: reference_strict, reference_loose"), m);
        assertTrue(m.contains("conditioning dataset 'x' is not paired with an image dataset: add \"conditioning_data\": \"x\""), m);
    }

    @Test
    void multidatasetSamplingIsRandomOrCombined() throws Exception {
        Path cfg = TinyEditProject.write(dir, Map.of());
        assertEquals(TrainConfig.MultidatasetSampling.RANDOM, load(cfg, "--conditioning_multidataset_sampling", "random").conditioning().multidatasetSampling());
        String m = assertThrows(ConfigException.class, () -> load(cfg, "--conditioning_multidataset_sampling", "all")).getMessage();
        assertTrue(m.contains("conditioning_multidataset_sampling: 'all' is not allowed; allowed: random, combined"), m);
    }

    @Test
    void promptLibraryReferenceImagesMustExist() throws Exception {
        Path cfg = TinyEditProject.write(dir, Map.of());
        Files.writeString(dir.resolve("user_prompt_library.json"), "{\"a\": {\"prompt\": \"p\", \"path\": [\"missing.png\", 3]}}");
        String m = assertThrows(ConfigException.class, () -> load(cfg)).getMessage();
        assertTrue(m.contains("a.path: file 'missing.png' does not exist"), m);
        assertTrue(m.contains("a.path: wrong type: 3 is not an image path"), m);
    }
}
