package flux2.trainer.config;

import static org.junit.jupiter.api.Assertions.*;

import flux2.model.flux2.tread.TreadConfig;
import flux2.examples.TinyProject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TreadConfigReaderTest {
    @TempDir Path dir;

    private TrainConfig load(String treadJson) throws Exception {
        Path cfg = TinyProject.write(dir, Map.of());
        return new ConfigLoader(dir, Map.of()).load(cfg, List.of("--tread_config", treadJson));
    }

    private String errors(String treadJson) throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> load(treadJson));
        return e.getMessage();
    }

    @Test
    void readsRoutesAndDefaultsToNone() throws Exception {
        TrainConfig c = load("{\"routes\": [{\"selection_ratio\": 0.5, \"start_layer_idx\": 2, \"end_layer_idx\": -2},"
                + " {\"selection_ratio\": 0.25, \"start_layer_idx\": -1, \"end_layer_idx\": -1}]}");
        assertEquals(List.of(new TreadConfig.Route(0.5, 2, -2), new TreadConfig.Route(0.25, -1, -1)), c.conditioning().tread().routes());
        assertEquals(TrainConfig.MultidatasetSampling.RANDOM, c.conditioning().multidatasetSampling());
        Path cfg = TinyProject.write(dir, Map.of());
        assertNull(new ConfigLoader(dir, Map.of()).load(cfg, List.of()).conditioning().tread());
        assertTrue(new ConfigLoader(dir, Map.of()).load(cfg, List.of()).warnings().stream().noneMatch(w -> w.key().equals("tread_config")),
                "tread_config is implemented, not an ignored key");
    }

    @Test
    void aJsonStringIsReadAsTheCommandLinePassesIt() throws Exception {
        TrainConfig c = load("\"{\\\"routes\\\": [{\\\"selection_ratio\\\": 0.1, \\\"start_layer_idx\\\": 0, \\\"end_layer_idx\\\": 1}]}\"");
        assertEquals(List.of(new TreadConfig.Route(0.1, 0, 1)), c.conditioning().tread().routes());
    }

    @Test
    void badValuesNameTheFileTheKeyAndWhatIsAllowed() throws Exception {
        String cfg = dir.resolve("config.json").toString();
        String m = errors("{\"routes\": [{\"selection_ratio\": 1.5, \"start_layer_idx\": 2, \"end_layer_idx\": -2}]}");
        assertTrue(m.contains("tread_config.routes[0].selection_ratio") && m.contains("expected 0 <= ratio < 1")
                && m.contains("fraction of image tokens routed around the window"), m);
        assertTrue(m.contains(cfg + ": tread_config.routes[0].selection_ratio: 1.5 is out of range"), m);

        m = errors("{\"routes\": []}");
        assertTrue(m.contains("tread_config.routes") && m.contains("non-empty list") && m.contains("selection_ratio"), m);
        m = errors("{\"route\": [{\"selection_ratio\": 0.5, \"start_layer_idx\": 2, \"end_layer_idx\": 3}]}");
        assertTrue(m.contains("tread_config.route: unknown field; allowed: routes") && m.contains("tread_config.routes: missing"), m);
        m = errors("{\"routes\": [{\"selection_ratio\": \"half\", \"start_layer_idx\": 2.5, \"ratio\": 1}]}");
        assertTrue(m.contains("selection_ratio: wrong type: \"half\" is not a number"), m);
        assertTrue(m.contains("start_layer_idx: wrong type: 2.5 is not an integer"), m);
        assertTrue(m.contains("end_layer_idx: missing"), m);
        assertTrue(m.contains("tread_config.routes[0].ratio: unknown field; allowed: selection_ratio, start_layer_idx, end_layer_idx"), m);
        m = errors("[1, 2]");
        assertTrue(m.contains("tread_config: wrong type: expected {\"routes\""), m);
        m = errors("\"{not json\"");
        assertTrue(m.contains("tread_config: not valid JSON"), m);
    }

    @Test
    void orderAndOverlapOfNonNegativeWindowsAreCheckedBeforeTheModelLoads() throws Exception {
        String m = errors("{\"routes\": [{\"selection_ratio\": 0.5, \"start_layer_idx\": 3, \"end_layer_idx\": 1}]}");
        assertTrue(m.contains("start_layer_idx 3 (block 3) comes after end_layer_idx 1"), m);
        m = errors("{\"routes\": [{\"selection_ratio\": 0.5, \"start_layer_idx\": 0, \"end_layer_idx\": 4},"
                + " {\"selection_ratio\": 0.5, \"start_layer_idx\": 4, \"end_layer_idx\": 6}]}");
        assertTrue(m.contains("tread_config.routes[0] (blocks 0..4) overlaps tread_config.routes[1] (blocks 4..6)"), m);
    }
}
